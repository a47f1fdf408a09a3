/**
 * The Models section of the Bighead sidebar: registered models; a click opens one.
 */
import * as React from 'react';

import { useArea } from '../core/react';
import { ModelsModel } from './model';

export function ModelsSection(props: { model: ModelsModel; onOpen: (name: string) => void }): JSX.Element {
  const { model } = props;
  useArea(model);
  const page = model.data;
  const error = model.error?.message;
  return (
    <section className="jp-bighead-section" data-section="models" aria-labelledby="jp-bighead-models-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-models-title">Models</h3>
        <button className="jp-bighead-link" onClick={() => void model.invalidate()} aria-label="Refresh models">
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
