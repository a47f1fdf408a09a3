/**
 * The Admin section of the Bighead sidebar, shown to admins only: compute profiles
 * (add, edit, delete), kernel images, quotas, every user's running jobs and
 * deployments, and the audit of every change. Closed by default; while open it reads
 * the admin store on each poll. Edits take effect for every user at once: their
 * *Run remotely* dialog lists the profiles the store holds when it opens.
 */
import * as React from 'react';

import { IProfileSpec } from '../api/admin';
import { IProfile } from '../api/jobs';
import { asRequestError } from '../core/area';
import { useArea, useSignal } from '../core/react';
import { IBigheadModels } from '../tokens';
import { AdminModel, adminOf } from './model';
import { AuditList, KernelImages, Quotas, Usage } from './tables';

const EMPTY: { [field: string]: string } = {
  name: '',
  cpu: '1',
  memory: '2Gi',
  gpu: '0',
  image: '',
  description: '',
  max_concurrent_per_user: '4'
};

// Inline layout: one labelled input per line, in the narrow sidebar.
const FIELD: React.CSSProperties = { display: 'flex', alignItems: 'center', gap: '4px', margin: '2px 0' };
const FIELD_LABEL: React.CSSProperties = { flex: '0 0 7em' };
const FIELD_INPUT: React.CSSProperties = { flex: '1 1 auto', minWidth: 0 };

/** "4 CPU, 16Gi, 1 GPU": what a profile gives, in the table's one column. */
export function resourcesText(p: IProfile): string {
  return `${p.cpu} CPU, ${p.memory}${p.gpu > 0 ? `, ${p.gpu} GPU` : ''}`;
}

/** The profile form's fields as the API takes them. */
export function profileSpec(fields: { [field: string]: string }): IProfileSpec {
  const whole = (key: string): number => {
    const text = (fields[key] ?? '').trim();
    if (!/^[0-9]{1,6}$/.test(text)) {
      throw new Error(`${key.replace(/_/g, ' ')} must be a whole number, not "${text}"`);
    }
    return Number(text);
  };
  return {
    cpu: (fields.cpu ?? '').trim(),
    memory: (fields.memory ?? '').trim(),
    gpu: whole('gpu'),
    image: (fields.image ?? '').trim() || null,
    description: (fields.description ?? '').trim(),
    max_concurrent_per_user: whole('max_concurrent_per_user')
  };
}

function ProfileForm(props: { model: AdminModel; editing: IProfile | null; onDone: () => void }): JSX.Element {
  const [fields, setFields] = React.useState(EMPTY);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  React.useEffect(() => {
    const p = props.editing;
    setFields(
      p
        ? {
            name: p.name,
            cpu: p.cpu,
            memory: p.memory,
            gpu: String(p.gpu),
            image: p.image ?? '',
            description: p.description,
            max_concurrent_per_user: String(p.max_concurrent_per_user)
          }
        : EMPTY
    );
    setError(null);
  }, [props.editing]);
  const input = (key: string, label: string, placeholder = ''): JSX.Element => (
    <label className="jp-bighead-admin-field" style={FIELD}>
      <span style={FIELD_LABEL}>{label}</span>
      <input
        style={FIELD_INPUT}
        aria-label={`Profile ${label.toLowerCase()}`}
        value={fields[key]}
        placeholder={placeholder}
        disabled={key === 'name' && props.editing !== null}
        onChange={e => setFields({ ...fields, [key]: e.target.value })}
      />
    </label>
  );
  const save = async (): Promise<void> => {
    setError(null);
    setBusy(true);
    try {
      const spec = profileSpec(fields);
      const name = fields.name.trim();
      await props.model.save(() => props.model.areas.client.admin.putProfile(name, spec));
      setFields(EMPTY);
      props.onDone();
    } catch (e) {
      setError(asRequestError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="jp-bighead-admin-form"
      data-testid="profile-form"
      onSubmit={e => {
        e.preventDefault();
        void save();
      }}
    >
      <h5>{props.editing ? `Edit profile ${props.editing.name}` : 'Add a profile'}</h5>
      {input('name', 'Name', 'gpu-small')}
      {input('cpu', 'CPU', '4')}
      {input('memory', 'Memory', '16Gi')}
      {input('gpu', 'GPUs', '0')}
      {input('image', 'Image', 'org/train:cuda (optional)')}
      {input('max_concurrent_per_user', 'Jobs per user', '4')}
      {input('description', 'Description')}
      <div className="jp-bighead-actions">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy}>
          Save profile
        </button>
        {props.editing && (
          <button type="button" className="jp-mod-styled" onClick={props.onDone}>
            Cancel
          </button>
        )}
      </div>
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}

function Profiles(props: { model: AdminModel }): JSX.Element {
  const { model } = props;
  const [editing, setEditing] = React.useState<IProfile | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const profiles = model.data?.settings.profiles ?? [];
  const remove = async (name: string): Promise<void> => {
    setError(null);
    try {
      await model.save(() => model.areas.client.admin.deleteProfile(name));
    } catch (e) {
      setError(asRequestError(e).message);
    }
  };
  return (
    <div data-testid="admin-profiles">
      <h4>Compute profiles</h4>
      <div className="jp-bighead-table-scroll">
        <table className="jp-bighead-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Gives</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {profiles.map(p => (
              <tr key={p.name} data-profile={p.name} title={[p.description, p.image].filter(Boolean).join(' · ')}>
                <td>{p.name}</td>
                <td>
                  {resourcesText(p)}
                  {p.image && <div className="jp-bighead-muted">{p.image}</div>}
                </td>
                <td>
                  <button className="jp-bighead-link" aria-label={`Edit profile ${p.name}`} onClick={() => setEditing(p)}>
                    Edit
                  </button>{' '}
                  <button
                    className="jp-bighead-link"
                    aria-label={`Delete profile ${p.name}`}
                    onClick={() => void remove(p.name)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
      <ProfileForm model={model} editing={editing} onDone={() => setEditing(null)} />
    </div>
  );
}

function AdminBody(props: { model: AdminModel }): JSX.Element {
  const { model } = props;
  useArea(model);
  const data = model.data;
  return (
    <div className="jp-bighead-admin-body">
      {data && (
        <p className="jp-bighead-muted" data-testid="admin-version">
          Settings version {data.settings.version}
          {data.settings.updated_by ? `, last changed by ${data.settings.updated_by}` : ''}
        </p>
      )}
      <Profiles model={model} />
      <KernelImages model={model} />
      <Quotas model={model} />
      <Usage model={model} />
      <AuditList model={model} />
      {model.error && (
        <div className="jp-bighead-error" role="alert">
          {model.error.message}
        </div>
      )}
    </div>
  );
}

/** The section; nothing for a user without the admin permission. */
export function AdminSection(props: { areas: IBigheadModels }): JSX.Element | null {
  const { status } = props.areas;
  useSignal(status.changed);
  const [open, setOpen] = React.useState(false);
  const user = status.user;
  if (!user || !user.permissions.includes('admin')) {
    return null;
  }
  return (
    <section className="jp-bighead-section" data-section="admin" aria-labelledby="jp-bighead-admin-title">
      <details open={open} onToggle={e => setOpen((e.target as HTMLDetailsElement).open)}>
        <summary>
          <h3 id="jp-bighead-admin-title" style={{ display: 'inline' }}>
            Admin
          </h3>
        </summary>
        {open && <AdminBody model={adminOf(props.areas)} />}
      </details>
    </section>
  );
}
