/**
 * The Features section of the Bighead sidebar: search the catalog, read a definition
 * with its versions, and preview online values (the same code path serving uses).
 */
import * as React from 'react';

import { FeaturesClient, IFeatureDetail, IFeatureSummary } from '../api/features';
import { errorText } from '../api/request';
import { useArea, useInvalidated } from '../core/react';
import { FeaturesModel } from './model';


function FeatureRow(props: { item: IFeatureSummary; onOpen: (name: string) => void }): JSX.Element {
  const { item } = props;
  return (
    <li className="jp-bighead-feature-row" data-feature={item.name}>
      <button className="jp-bighead-link" onClick={() => props.onOpen(item.name)}>
        {item.name}
      </button>
      <span className="jp-bighead-muted">
        {' '}
        {item.agg}
        {item.column ? `(${item.column})` : ''} · {item.window ?? 'all history'} · v{item.version}
        {item.owner ? ` · ${item.owner}` : ''}
      </span>
      {item.tags.length > 0 && (
        <span className="jp-bighead-tags">
          {item.tags.map(tag => (
            <span key={tag} className="jp-bighead-tag">
              {tag}
            </span>
          ))}
        </span>
      )}
    </li>
  );
}

function Preview(props: { client: FeaturesClient; name: string; version: number }): JSX.Element {
  const [entity, setEntity] = React.useState('');
  const [at, setAt] = React.useState('');
  const [result, setResult] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const ref = `${props.name}:${props.version}`;
  const run = async (): Promise<void> => {
    setError(null);
    setResult(null);
    const trimmed = entity.trim();
    const numeric = /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    try {
      const preview = await props.client.preview({ features: [ref], entities: [numeric], at: at || null });
      const value = preview.rows[0]?.[ref];
      setResult(value === null || value === undefined ? 'null (no value)' : String(value));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form
      className="jp-bighead-preview"
      onSubmit={event => {
        event.preventDefault();
        void run();
      }}
    >
      <label>
        Entity
        <input
          className="jp-mod-styled"
          aria-label="Entity id"
          value={entity}
          onChange={e => setEntity(e.target.value)}
          placeholder="e.g. 4268652"
        />
      </label>
      <label>
        As of
        <input
          className="jp-mod-styled"
          aria-label="As of time"
          type="datetime-local"
          step="1"
          value={at}
          onChange={e => setAt(e.target.value)}
        />
      </label>
      <button className="jp-mod-styled jp-mod-accept" type="submit" disabled={!entity.trim()}>
        Preview
      </button>
      {result !== null && (
        <div className="jp-bighead-preview-value" data-testid="feature-preview-value">
          {ref} = <strong>{result}</strong>
        </div>
      )}
      {error !== null && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}

function Detail(props: { client: FeaturesClient; detail: IFeatureDetail; onClose: () => void }): JSX.Element {
  const { detail } = props;
  const latest = detail.latest;
  const src = latest.definition.source;
  return (
    <div className="jp-bighead-feature-detail" data-testid="feature-detail">
      <header className="jp-bighead-section-header">
        <h4>{detail.name}</h4>
        <button className="jp-bighead-link" onClick={props.onClose}>
          Back
        </button>
      </header>
      {latest.description && <p>{latest.description}</p>}
      <dl className="jp-bighead-status">
        <dt>Source</dt>
        <dd title={src.path ?? src.query ?? ''}>{src.name}</dd>
        <dt>Entity</dt>
        <dd>{src.entity}</dd>
        <dt>Time</dt>
        <dd>{src.created_at ? `${src.timestamp} (visible at ${src.created_at})` : src.timestamp}</dd>
        <dt>Column</dt>
        <dd>{latest.definition.column ?? '—'}</dd>
        <dt>Aggregation</dt>
        <dd data-field="agg">{latest.definition.agg}</dd>
        <dt>Window</dt>
        <dd data-field="window">{latest.definition.window ?? 'all history'}</dd>
      </dl>
      <h5>Versions</h5>
      <ol className="jp-bighead-versions">
        {detail.versions.map(v => (
          <li key={v.version} data-version={v.version}>
            v{v.version} · {v.created_at.slice(0, 16).replace('T', ' ')}
            {v.owner ? ` · ${v.owner}` : ''}
            {v.changes.length > 0 && (
              <ul className="jp-bighead-changes">
                {v.changes.map(c => (
                  <li key={c.field}>
                    {c.field}: <del>{JSON.stringify(c.old)}</del> → <ins>{JSON.stringify(c.new)}</ins>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
      <h5>Preview</h5>
      <Preview client={props.client} name={detail.name} version={latest.version} />
    </div>
  );
}

export function FeaturesSection(props: { model: FeaturesModel }): JSX.Element {
  const { model } = props;
  const [query, setQuery] = React.useState(model.search);
  const [detail, setDetail] = React.useState<IFeatureDetail | null>(null);
  const [openError, setOpenError] = React.useState<string | null>(null);
  // Features defined elsewhere (a notebook, the CLI) show up on the area's poll.
  useArea(model);
  const page = model.data;
  const error = openError ?? model.error?.message ?? null;
  useInvalidated(model, () => setOpenError(null));

  React.useEffect(() => {
    if (query === model.search) {
      return;
    }
    const timer = window.setTimeout(() => void model.setSearch(query), 200);
    return () => window.clearTimeout(timer);
  }, [query, model]);

  const open = async (name: string): Promise<void> => {
    try {
      setDetail(await model.client.features.get(name));
    } catch (err) {
      setOpenError(errorText(err));
    }
  };

  return (
    <section className="jp-bighead-section" data-section="features" aria-labelledby="jp-bighead-features-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-features-title">Features</h3>
        <span className="jp-bighead-muted">{page ? `${page.total}` : ''}</span>
      </header>
      {detail ? (
        <Detail client={model.client.features} detail={detail} onClose={() => setDetail(null)} />
      ) : (
        <>
          <input
            className="jp-mod-styled jp-bighead-search"
            type="search"
            aria-label="Search features"
            placeholder="Search features"
            title="Search features by name, tag or owner"
            value={query}
            onChange={e => setQuery(e.target.value)}
          />
          {page && page.items.length === 0 && (
            <p className="jp-bighead-muted">
              {query ? 'No feature matches.' : 'No features yet: define some with FeatureRepo.apply().'}
            </p>
          )}
          <ul className="jp-bighead-feature-list">
            {page?.items.map(item => <FeatureRow key={item.name} item={item} onOpen={n => void open(n)} />)}
          </ul>
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
