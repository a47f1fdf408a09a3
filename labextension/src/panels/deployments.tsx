/**
 * The Deployments section of the Bighead sidebar: every endpoint with its status and
 * URL, the server's log (local target), and Stop. Deploy from a version in the Models
 * panel.
 */
import * as React from 'react';

import { hub, useRefresh } from '../refresh';
import { errorText, requestAPI } from '../request';
import { IDeployment } from '../tokens';

function DeploymentLog(props: { id: string }): JSX.Element {
  const [text, setText] = React.useState<string | null>(null);
  React.useEffect(() => {
    requestAPI<{ text: string }>(`deployments/${encodeURIComponent(props.id)}/logs`)
      .then(r => setText(r.text.slice(-5000)))
      .catch(err => setText(errorText(err)));
  }, [props.id]);
  return <pre className="jp-bighead-logs">{text ?? 'Loading…'}</pre>;
}

function DeploymentRow(props: { item: IDeployment; onStop: (id: string) => void }): JSX.Element {
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
          <button className="jp-mod-styled" onClick={() => props.onStop(d.id)}>
            Stop
          </button>
          {d.target === 'local' && <DeploymentLog id={d.id} />}
        </div>
      )}
    </li>
  );
}

export function DeploymentsSection(): JSX.Element {
  const [items, setItems] = React.useState<IDeployment[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const load = React.useCallback(async () => {
    try {
      setItems((await requestAPI<{ items: IDeployment[] }>('deployments')).items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  React.useEffect(() => void load(), [load]);
  useRefresh('deployments', load);
  const stop = async (id: string): Promise<void> => {
    try {
      await requestAPI(`deployments/${encodeURIComponent(id)}`, { method: 'DELETE' });
      hub.emit('deployments');
    } catch (err) {
      setError(errorText(err));
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
        <button className="jp-bighead-link" onClick={() => hub.emit('deployments')} aria-label="Refresh deployments">
          ↻
        </button>
      </header>
      {items && items.length === 0 && (
        <p className="jp-bighead-muted">No endpoints: open a model version and click Deploy….</p>
      )}
      <ul className="jp-bighead-feature-list">
        {items?.map(d => <DeploymentRow key={d.id} item={d} onStop={id => void stop(id)} />)}
      </ul>
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
