/**
 * The Blocks section of the Bighead sidebar: the catalog of pipeline blocks
 * (built-in, from installed packages, from the admin's shared folders), with
 * search, details, and "Insert" to put a snippet into the active notebook.
 */
import * as React from 'react';

import { IBlock } from '../api/blocks';
import { useArea } from '../core/react';
import { RstText, rstInline } from '../rst';
import { BlocksModel } from './model';

function formatDefault(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

function matches(block: IBlock, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) {
    return true;
  }
  return [block.name, block.summary, block.owner ?? '', block.source].some(s => s.toLowerCase().includes(q));
}

function BlockDetail(props: {
  block: IBlock;
  onClose: () => void;
  onInsert: (code: string) => string | null;
}): JSX.Element {
  const { block } = props;
  const [note, setNote] = React.useState<string | null>(null);
  return (
    <div className="jp-bighead-feature-detail" data-block-detail={block.name}>
      <header className="jp-bighead-section-header">
        <h4>{block.name}</h4>
        <button className="jp-bighead-link" onClick={props.onClose} aria-label="Back to blocks">
          ← all blocks
        </button>
      </header>
      <RstText text={block.doc || block.summary} className="jp-bighead-block-doc" />
      <dl className="jp-bighead-status">
        <dt>Source</dt>
        <dd data-field="source">{block.source}</dd>
        <dt>Owner</dt>
        <dd>{block.owner ?? '—'}</dd>
        <dt>Resources</dt>
        <dd data-field="resources">
          {Object.entries(block.resources)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', ') || '—'}
        </dd>
      </dl>
      <h5>Parameters</h5>
      <table className="jp-bighead-table">
        <thead>
          <tr>
            <th>name</th>
            <th>type</th>
            <th>default</th>
          </tr>
        </thead>
        <tbody>
          {block.parameters.map(p => (
            <tr key={p.name} data-param={p.name}>
              <td>{p.name}</td>
              <td>{p.type ?? ''}</td>
              <td>{p.required ? 'required' : formatDefault(p.default)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h5>Snippet</h5>
      <pre className="jp-bighead-snippet">{block.snippet}</pre>
      <button
        className="jp-mod-styled jp-mod-accept"
        data-action="insert-block"
        onClick={() => setNote(props.onInsert(block.snippet))}
      >
        Insert into notebook
      </button>
      {note && (
        <p className="jp-bighead-muted" role="status">
          {note}
        </p>
      )}
    </div>
  );
}

export function BlocksSection(props: { model: BlocksModel; insertCode: (code: string) => string | null }): JSX.Element {
  const { model } = props;
  useArea(model);
  const catalog = model.data;
  const error = model.error?.message ?? null;
  const [query, setQuery] = React.useState('');
  const [open, setOpen] = React.useState<IBlock | null>(null);
  const shown = catalog?.blocks.filter(b => matches(b, query)) ?? [];
  return (
    <section className="jp-bighead-section" data-section="blocks" aria-labelledby="jp-bighead-blocks-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-blocks-title">Blocks</h3>
        <span className="jp-bighead-muted">{catalog ? `${catalog.blocks.length}` : ''}</span>
        <button className="jp-bighead-link" onClick={() => void model.refresh()} aria-label="Refresh blocks">
          ↻
        </button>
      </header>
      {open ? (
        <BlockDetail block={open} onClose={() => setOpen(null)} onInsert={props.insertCode} />
      ) : (
        <>
          <input
            className="jp-mod-styled jp-bighead-search"
            type="search"
            aria-label="Search blocks"
            placeholder="Search blocks"
            title="Search blocks by name, summary, owner or source"
            value={query}
            onChange={e => setQuery(e.target.value)}
          />
          {catalog && shown.length === 0 && <p className="jp-bighead-muted">No block matches.</p>}
          <ul className="jp-bighead-feature-list">
            {shown.map(block => (
              <li key={`${block.source}:${block.name}`} className="jp-bighead-feature-row" data-block={block.name}>
                <button className="jp-bighead-link" onClick={() => setOpen(block)}>
                  {block.name}
                </button>
                <span className="jp-bighead-muted"> {rstInline(block.summary)}</span>
                {block.source !== 'builtin' && <span className="jp-bighead-tag">{block.source}</span>}
              </li>
            ))}
          </ul>
          {catalog?.errors.map(e => (
            <div key={e.source} className="jp-bighead-error" role="alert">
              {e.source}: {e.message}
            </div>
          ))}
        </>
      )}
      {error !== null && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
