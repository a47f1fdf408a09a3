/**
 * The Deployments section of the Bighead sidebar: every endpoint with its status and
 * URL, the server's log (local target), and Stop. Deploy from a version in the Models
 * panel.
 */
import * as React from 'react';

import { BigheadClient } from '../api';
import { IDeployment } from '../api/deployments';
import { errorText } from '../api/request';
import { useArea, useInvalidated, useSignal } from '../core/react';
import { StatusModel } from '../status/model';
import { gate } from '../status/permissions';
import { DeploymentsModel } from './model';

function DeploymentLog(props: { client: BigheadClient; id: string }): JSX.Element {
  const [text, setText] = React.useState<string | null>(null);
  React.useEffect(() => {
    props.client.deployments
      .logs(props.id)
      .then(r => setText(r.text.slice(-5000)))
      .catch(err => setText(errorText(err)));
  }, [props.client, props.id]);
  return <pre className="jp-bighead-logs">{text ?? 'Loading…'}</pre>;
}

function DeploymentRow(props: {
  client: BigheadClient;
  item: IDeployment;
  onStop: (id: string) => void;
  status: StatusModel;
}): JSX.Element {
  const d = props.item;
  const [open, setOpen] = React.useState(false);
  return (
    <li className="jp-bighead-feature-row" data-deployment={d.id} data-status={d.status}>
      <button className="jp-bighead-link" onClick={() => setOpen(!open)} aria-expanded={open}>
        {d.model}
        {d.alias ? `@${d.alias}` : ''} v{d.version}
      </button>
      <span className={`jp-bighead-tag jp-bighead-status-${d.status}`}>{d.status}</span>
      <span className="jp-bighead-muted"> {d.target}</span>
      {open && (
        <div className="jp-bighead-feature-detail">
          <dl className="jp-bighead-status">
            <dt>URL</dt>
            <dd title={d.url ?? ''}>{d.url ?? '—'}</dd>
            {d.reason && (
              <>
                <dt>Reason</dt>
                <dd>{d.reason}</dd>
              </>
            )}
          </dl>
          <button
            className="jp-mod-styled"
            onClick={() => props.onStop(d.id)}
            {...gate(props.status.permitOwner(d.user, 'Stopping the deployment'))}
          >
            Stop
          </button>
          {d.target === 'local' && <DeploymentLog client={props.client} id={d.id} />}
        </div>
      )}
    </li>
  );
}

export function DeploymentsSection(props: { model: DeploymentsModel; status: StatusModel }): JSX.Element {
  const { model, status } = props;
  useArea(model);
  useSignal(status.changed);
  const items = model.data;
  const [stopError, setStopError] = React.useState<string | null>(null);
  const error = stopError ?? model.error?.message ?? null;
  // A failed Stop is shown until the list is read again.
  useInvalidated(model, () => setStopError(null));
  const stop = async (id: string): Promise<void> => {
    try {
      await model.client.deployments.stop(id);
      setStopError(null);
      void model.invalidate();
    } catch (err) {
      setStopError(errorText(err));
    }
  };
  return (
    <section
      className="jp-bighead-section"
      data-section="deployments"
      aria-labelledby="jp-bighead-deployments-title"
    >
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-deployments-title">Deployments</h3>
        <button className="jp-bighead-link" onClick={() => void model.invalidate()} aria-label="Refresh deployments">
          ↻
        </button>
      </header>
      {items && items.length === 0 && (
        <p className="jp-bighead-muted">No endpoints: open a model version and click Deploy….</p>
      )}
      <ul className="jp-bighead-feature-list">
        {items?.map(d => (
          <DeploymentRow key={d.id} client={model.client} item={d} onStop={id => void stop(id)} status={status} />
        ))}
      </ul>
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
