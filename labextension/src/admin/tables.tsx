/**
 * The Admin section's other tables: kernel images, quotas, usage and the audit.
 */
import * as React from 'react';

import { IQuota, QuotaName } from '../api/admin';
import { asRequestError } from '../core/area';
import { AdminModel, auditLine, quotaText, quotaValue } from './model';

const QUOTAS: [QuotaName, string][] = [
  ['max_running_jobs', 'Jobs'],
  ['max_gpus', 'GPUs'],
  ['max_deployments', 'Deploys']
];

// The sidebar is narrow: a form's inputs one under the other.
const STACK: React.CSSProperties = { display: 'flex', flexDirection: 'column', gap: '2px', alignItems: 'stretch' };

/** Run `edit` through the model; its error message goes to `setError`. */
async function attempt(
  model: AdminModel,
  setError: (text: string | null) => void,
  edit: () => Promise<unknown>
): Promise<boolean> {
  setError(null);
  try {
    await model.save(edit);
    return true;
  } catch (e) {
    setError(asRequestError(e).message);
    return false;
  }
}

function ErrorLine(props: { text: string | null }): JSX.Element | null {
  return props.text ? (
    <div className="jp-bighead-error" role="alert">
      {props.text}
    </div>
  ) : null;
}

export function KernelImages(props: { model: AdminModel }): JSX.Element {
  const { model } = props;
  const [kernel, setKernel] = React.useState('');
  const [image, setImage] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const images = Object.entries(model.data?.settings.kernel_images ?? {});
  const admin = model.areas.client.admin;
  return (
    <div data-testid="admin-kernel-images">
      <h4>Kernel images</h4>
      {images.length === 0 && <p className="jp-bighead-muted">No kernelspec is mapped to an image.</p>}
      <ul className="jp-bighead-feature-list">
        {images.map(([k, v]) => (
          <li key={k} data-kernelspec={k}>
            <code>{k}</code> → <code>{v}</code>{' '}
            <button
              className="jp-bighead-link"
              aria-label={`Remove the image of ${k}`}
              onClick={() => void attempt(model, setError, () => admin.putKernelImage(k, null))}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="jp-bighead-admin-form"
        style={STACK}
        onSubmit={e => {
          e.preventDefault();
          void attempt(model, setError, () => admin.putKernelImage(kernel.trim(), image.trim() || null)).then(
            ok => ok && (setKernel(''), setImage(''))
          );
        }}
      >
        <input aria-label="Kernelspec" placeholder="kernelspec, e.g. python3" value={kernel} onChange={e => setKernel(e.target.value)} />
        <input aria-label="Kernel image" placeholder="image, e.g. org/python:3.12" value={image} onChange={e => setImage(e.target.value)} />
        <button type="submit" className="jp-mod-styled">
          Save image
        </button>
      </form>
      <ErrorLine text={error} />
    </div>
  );
}

export function Quotas(props: { model: AdminModel }): JSX.Element {
  const { model } = props;
  const [user, setUser] = React.useState('*');
  const [values, setValues] = React.useState<{ [name: string]: string }>({});
  const [error, setError] = React.useState<string | null>(null);
  const quotas = Object.entries(model.data?.settings.quotas ?? {});
  const help = model.data?.settings.quota_help ?? {};
  const save = (): void => {
    let body: Partial<IQuota>;
    try {
      body = Object.fromEntries(QUOTAS.map(([name]) => [name, quotaValue(values[name] ?? '')]));
    } catch (e) {
      setError(asRequestError(e).message);
      return;
    }
    void attempt(model, setError, () => model.areas.client.admin.putQuota(user.trim(), body)).then(
      ok => ok && setValues({})
    );
  };
  return (
    <div data-testid="admin-quotas">
      <h4>Quotas</h4>
      <div className="jp-bighead-table-scroll">
        <table className="jp-bighead-table">
          <thead>
            <tr>
              <th>User</th>
              {QUOTAS.map(([name, label]) => (
                <th key={name} title={help[name]}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {quotas.length === 0 && (
              <tr>
                <td colSpan={4} className="jp-bighead-muted">
                  No quotas: nobody is limited.
                </td>
              </tr>
            )}
            {quotas.map(([who, q]) => (
              <tr key={who} data-quota-user={who}>
                <td>{who === '*' ? 'everyone (default)' : who}</td>
                {QUOTAS.map(([name]) => (
                  <td key={name}>{who === '*' ? quotaText(q[name]) : q[name] === null ? 'default' : q[name]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form
        className="jp-bighead-admin-form"
        style={STACK}
        onSubmit={e => {
          e.preventDefault();
          save();
        }}
      >
        <input aria-label="Quota user" title="a user name, or * for everyone" value={user} onChange={e => setUser(e.target.value)} />
        {QUOTAS.map(([name, label]) => (
          <input
            key={name}
            aria-label={`Quota ${label.toLowerCase()}`}
            placeholder={`${label} (blank: none)`}
            value={values[name] ?? ''}
            onChange={e => setValues({ ...values, [name]: e.target.value })}
          />
        ))}
        <button type="submit" className="jp-mod-styled">
          Save quota
        </button>
      </form>
      <ErrorLine text={error} />
    </div>
  );
}

export function Usage(props: { model: AdminModel }): JSX.Element {
  const usage = props.model.data?.usage;
  const users = usage?.users ?? [];
  return (
    <div data-testid="admin-usage">
      <h4>Usage</h4>
      {usage && users.length === 0 && <p className="jp-bighead-muted">Nobody runs a job or a deployment now.</p>}
      <ul className="jp-bighead-feature-list">
        {users.map(u => (
          <li key={u.user} data-usage-user={u.user}>
            <strong>{u.user}</strong>: {u.running_jobs} job(s) of {quotaText(u.quota.max_running_jobs)}, {u.gpus} GPU(s)
            of {quotaText(u.quota.max_gpus)}, {u.deployments} deployment(s) of {quotaText(u.quota.max_deployments)}
          </li>
        ))}
      </ul>
      {(usage?.jobs.length ?? 0) > 0 && (
        <ul className="jp-bighead-feature-list" data-testid="admin-running-jobs">
          {usage?.jobs.map(j => (
            <li key={j.id}>
              <code>{j.name}</code> {j.user ?? '?'} · {j.spec.profile} · <span className="jp-bighead-tag">{j.state}</span>
            </li>
          ))}
        </ul>
      )}
      {(usage?.deployments.length ?? 0) > 0 && (
        <ul className="jp-bighead-feature-list" data-testid="admin-deployments">
          {usage?.deployments.map(d => (
            <li key={d.id}>
              <code>
                {d.model}:{d.version}
              </code>{' '}
              {d.user ?? '?'} · <span className="jp-bighead-tag">{d.status}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function AuditList(props: { model: AdminModel }): JSX.Element {
  const entries = props.model.data?.audit ?? [];
  return (
    <div data-testid="admin-audit">
      <h4>Audit</h4>
      <ul className="jp-bighead-feature-list">
        {entries.map(e => (
          <li key={e.version} title={`before: ${JSON.stringify(e.before)}\nafter: ${JSON.stringify(e.after)}`}>
            {auditLine(e)} <span className="jp-bighead-muted">{e.at}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
