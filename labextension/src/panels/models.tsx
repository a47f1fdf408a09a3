/**
 * The Models section of the Bighead sidebar: registered models; a click opens one.
 */
import * as React from 'react';

import { hub, useRefresh } from '../refresh';
import { errorText, requestAPI } from '../request';
import { IModelSummary, IPage } from '../tokens';

export function ModelsSection(props: { onOpen: (name: string) => void }): JSX.Element {
  const [page, setPage] = React.useState<IPage<IModelSummary> | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const load = React.useCallback(async () => {
    try {
      setPage(await requestAPI<IPage<IModelSummary>>('models?limit=200'));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  React.useEffect(() => void load(), [load]);
  useRefresh('models', load);
  return (
    <section className="jp-bighead-section" data-section="models" aria-labelledby="jp-bighead-models-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-models-title">Models</h3>
        <button className="jp-bighead-link" onClick={() => hub.emit('models')} aria-label="Refresh models">
          ↻
        </button>
      </header>
      {page && page.items.length === 0 && (
        <p className="jp-bighead-muted">No models yet: register one with bh.register() or the Register button.</p>
      )}
      <ul className="jp-bighead-feature-list">
        {page?.items.map(m => (
          <li key={m.name} className="jp-bighead-feature-row" data-model={m.name}>
            <button className="jp-bighead-link" onClick={() => props.onOpen(m.name)}>
              {m.name}
            </button>
            <span className="jp-bighead-muted"> v{m.latest_version}</span>
            {Object.entries(m.aliases).map(([a, v]) => (
              <span key={a} className="jp-bighead-tag">
                {a}→v{v}
              </span>
            ))}
          </li>
        ))}
      </ul>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
    </section>
  );
}
