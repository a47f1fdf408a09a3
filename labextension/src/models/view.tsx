/**
 * A model in the main area: versions (sortable), metric trend, one version's
 * evaluation, lineage and aliases, and the comparison of two versions.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { DeploySection } from '../deployments/deploy';
import { ICompare, IModelVersion, IPlotlyFigure, IVersionView } from '../api/models';
import { errorText } from '../api/request';
import { useInvalidated, useSignal } from '../core/react';
import { bigheadIcon } from '../icons';
import { RequestReview, ReviewHistory } from '../reviews/request';
import { gate } from '../status/permissions';
import { IBigheadModels } from '../tokens';
import { MonitoringTab } from './monitoring';
import { PipelineGraph } from './pipeline';
import { PlotlyChart } from './plotly';

const COLUMNS = ['roc_auc', 'pr_auc', 'log_loss', 'brier', 'f1_at_best_f1', 'rmse', 'r2'];
const FIGURE_ORDER = ['pr', 'roc', 'calibration', 'importance_gain', 'importance_split', 'shap', 'residuals'];

export interface IContext {
  /** The areas of the page and their client. */
  areas: IBigheadModels;
  rendermime: IRenderMimeRegistry | null;
  openPath: (path: string) => void;
}

const fmt = (value: unknown): string =>
  typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(4)) : JSON.stringify(value);


function VersionsTable(props: {
  versions: IModelVersion[];
  aliases: { [alias: string]: number };
  selected: number[];
  onToggle: (v: number) => void;
  onOpen: (v: number) => void;
}): JSX.Element {
  const [sort, setSort] = React.useState<{ key: string; desc: boolean }>({ key: 'version', desc: true });
  const metricKeys = COLUMNS.filter(k => props.versions.some(v => k in v.metrics));
  const value = (v: IModelVersion, key: string): number =>
    key === 'version' ? v.version : (v.metrics[key] ?? Number.NaN);
  const rows = [...props.versions].sort((a, b) => {
    const d = value(a, sort.key) - value(b, sort.key);
    return (Number.isNaN(d) ? 0 : d) * (sort.desc ? -1 : 1);
  });
  const header = (key: string, label: string): JSX.Element => (
    <th key={key}>
      <button
        className="jp-bighead-link"
        aria-label={`Sort by ${label}`}
        onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : true })}
      >
        {label}
        {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  return (
    <div className="jp-bighead-table-scroll">
    <table className="jp-bighead-table" data-testid="versions-table">
      <thead>
        <tr>
          <th>Compare</th>
          {header('version', 'version')}
          <th>created</th>
          {metricKeys.map(k => header(k, k))}
          <th>aliases</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(v => (
          <tr key={v.version} data-version={v.version}>
            <td>
              <input
                type="checkbox"
                aria-label={`Select version ${v.version} to compare`}
                checked={props.selected.includes(v.version)}
                onChange={() => props.onToggle(v.version)}
              />
            </td>
            <td>
              <button className="jp-bighead-link" onClick={() => props.onOpen(v.version)}>
                v{v.version}
              </button>
            </td>
            <td>{v.created_at.slice(0, 16).replace('T', ' ')}</td>
            {metricKeys.map(k => (
              <td key={k} data-metric={k}>
                {k in v.metrics ? fmt(v.metrics[k]) : ''}
              </td>
            ))}
            <td>
              {Object.entries(props.aliases)
                .filter(([, ver]) => ver === v.version)
                .map(([alias]) => (
                  <span key={alias} className="jp-bighead-tag">
                    {alias}
                  </span>
                ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

function VersionDetail(props: {
  name: string;
  version: number;
  /** The model's aliases now (the model view keeps them current). */
  aliases: { [alias: string]: number };
  ctx: IContext;
  onAliasChange: () => void;
}): JSX.Element {
  const [view, setView] = React.useState<IVersionView | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [tab, setTab] = React.useState<'overview' | 'monitoring'>('overview');
  const load = React.useCallback(async () => {
    try {
      setView(await props.ctx.areas.client.models.version(props.name, props.version));
    } catch (err) {
      setError(errorText(err));
    }
  }, [props.ctx, props.name, props.version]);
  React.useEffect(() => void load(), [load]);
  const { status } = props.ctx.areas;
  useSignal(status.changed); // the alias buttons follow the user's roles

  const alias = async (name: string, action: 'set' | 'rollback'): Promise<void> => {
    const { client, models } = props.ctx.areas;
    try {
      if (action === 'set') {
        await client.models.setAlias(props.name, name, props.version);
      } else {
        await client.models.rollbackAlias(props.name, name);
      }
      setError(null);
      props.onAliasChange();
      void models.invalidate();
    } catch (err) {
      setError(errorText(err));
    }
  };

  if (error && !view) {
    return <div className="jp-bighead-error" role="alert">{error}</div>;
  }
  if (!view) {
    return <p className="jp-bighead-muted">Loading v{props.version}…</p>;
  }
  const v = view.version;
  const lineage = v.lineage as {
    notebook?: { path?: string; contents_path?: string | null };
    git?: { commit?: string; dirty?: boolean };
  };
  const notebookPath = lineage.notebook?.contents_path;
  const figures = FIGURE_ORDER.filter(k => k in view.figures);
  const aliases = Object.entries(props.aliases)
    .filter(([, version]) => version === v.version)
    .map(([a]) => a)
    .sort();
  return (
    <section className="jp-bighead-version" data-testid="version-detail" data-version={v.version}>
      <h3>
        {v.name} v{v.version}{' '}
        {aliases.map(a => (
          <span key={a} className="jp-bighead-tag">
            {a}
          </span>
        ))}
      </h3>
      <div className="jp-bighead-tabs" role="tablist">
        {(['overview', 'monitoring'] as const).map(t => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={`jp-bighead-tab${tab === t ? ' jp-mod-current' : ''}`}
            onClick={() => setTab(t)}
          >
            {t === 'overview' ? 'Overview' : 'Monitoring'}
          </button>
        ))}
      </div>
      {tab === 'monitoring' ? (
        <MonitoringTab areas={props.ctx.areas} rendermime={props.ctx.rendermime} name={v.name} version={v.version} />
      ) : (
      <>
      <div className="jp-bighead-alias-buttons">
        {['staging', 'production'].map(a => (
          <React.Fragment key={a}>
            <button
              className="jp-mod-styled"
              onClick={() => void alias(a, 'set')}
              {...gate(status.permitAlias(a, 'set'), aliases.includes(a))}
            >
              Set {a}
            </button>
            <button className="jp-mod-styled" onClick={() => void alias(a, 'rollback')} {...gate(status.permitAlias(a, 'rollback'))}>
              Roll back {a}
            </button>
          </React.Fragment>
        ))}
        <RequestReview areas={props.ctx.areas} name={v.name} version={v.version} aliases={aliases} />
      </div>
      <DeploySection
        areas={props.ctx.areas}
        name={v.name}
        version={v.version}
        aliases={aliases}
        resources={view.pipeline?.resources ?? null}
        inputs={view.pipeline?.inputs ?? v.input_schema}
      />
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      {view.pipeline && (
        <div className="jp-bighead-pipeline-view">
          <h4>Pipeline</h4>
          <PipelineGraph graph={view.pipeline.graph} />
        </div>
      )}
      <div className="jp-bighead-columns">
        <div>
          <h4>Metrics</h4>
          <dl className="jp-bighead-status" data-testid="version-metrics">
            {Object.entries(v.metrics).map(([k, val]) => (
              <React.Fragment key={k}>
                <dt>{k}</dt>
                <dd data-metric={k}>{fmt(val)}</dd>
              </React.Fragment>
            ))}
          </dl>
        </div>
        <div>
          <h4>Lineage</h4>
          <dl className="jp-bighead-status">
            <dt>Notebook</dt>
            <dd>
              {notebookPath ? (
                <button className="jp-bighead-link" onClick={() => props.ctx.openPath(notebookPath)}>
                  {notebookPath}
                </button>
              ) : (
                (lineage.notebook?.path ?? '—')
              )}
            </dd>
            <dt>Commit</dt>
            <dd>{lineage.git?.commit ? `${String(lineage.git.commit).slice(0, 10)}${lineage.git.dirty ? ' (dirty)' : ''}` : '—'}</dd>
            <dt>Features</dt>
            <dd data-testid="version-features">{v.features.join(', ') || '—'}</dd>
            <dt>Model</dt>
            <dd>{v.model_class}</dd>
            <dt>By</dt>
            <dd>
              {v.created_by} · {v.created_at.slice(0, 16).replace('T', ' ')}
            </dd>
          </dl>
          <h4>Params</h4>
          <dl className="jp-bighead-status">
            {Object.entries(v.params).map(([k, val]) => (
              <React.Fragment key={k}>
                <dt>{k}</dt>
                <dd>{fmt(val)}</dd>
              </React.Fragment>
            ))}
          </dl>
        </div>
      </div>
      <div className="jp-bighead-charts">
        {figures.map(k => (
          <PlotlyChart key={k} name={k} figure={view.figures[k]} rendermime={props.ctx.rendermime} />
        ))}
      </div>
      </>
      )}
    </section>
  );
}

function CompareView(props: { ctx: IContext; name: string; a: number; b: number }): JSX.Element {
  const [data, setData] = React.useState<ICompare | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    props.ctx.areas.client.models
      .compare(props.name, props.a, props.b)
      .then(setData)
      .catch(err => setError(errorText(err)));
  }, [props.ctx, props.name, props.a, props.b]);
  if (error) {
    return <div className="jp-bighead-error" role="alert">{error}</div>;
  }
  if (!data) {
    return <p className="jp-bighead-muted">Comparing…</p>;
  }
  const diffRows = (diff: ICompare['params']): JSX.Element[] => [
    ...Object.entries(diff.changed).map(([k, c]) => (
      <tr key={`c-${k}`}>
        <td>{k}</td>
        <td>{fmt(c.a)}</td>
        <td>{fmt(c.b)}</td>
      </tr>
    )),
    ...Object.entries(diff.added).map(([k, val]) => (
      <tr key={`a-${k}`}>
        <td>{k}</td>
        <td>—</td>
        <td>{fmt(val)}</td>
      </tr>
    )),
    ...Object.entries(diff.removed).map(([k, val]) => (
      <tr key={`r-${k}`}>
        <td>{k}</td>
        <td>{fmt(val)}</td>
        <td>—</td>
      </tr>
    ))
  ];
  return (
    <section className="jp-bighead-compare" data-testid="compare-view">
      <h3>
        Compare v{data.a} → v{data.b}
      </h3>
      <table className="jp-bighead-table">
        <thead>
          <tr>
            <th>metric</th>
            <th>v{data.a}</th>
            <th>v{data.b}</th>
            <th>Δ</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(data.metrics).map(([k, m]) => (
            <tr key={k} data-metric={k}>
              <td>{k}</td>
              <td>{m.a === null ? '—' : fmt(m.a)}</td>
              <td>{m.b === null ? '—' : fmt(m.b)}</td>
              <td className={m.delta !== null && m.delta > 0 ? 'jp-bighead-up' : 'jp-bighead-down'}>
                {m.delta === null ? '' : (m.delta > 0 ? '+' : '') + fmt(m.delta)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Params that differ</h4>
      <table className="jp-bighead-table" data-testid="compare-params">
        <tbody>{diffRows(data.params)}</tbody>
      </table>
      <h4>Features</h4>
      <ul>
        {data.features.added.map(f => <li key={f}>+ {f}</li>)}
        {data.features.removed.map(f => <li key={f}>− {f}</li>)}
        {data.features.changed.map(c => (
          <li key={c.feature}>
            {c.feature}: @{c.a} → @{c.b}
          </li>
        ))}
        {data.features.unchanged.length > 0 && <li>unchanged: {data.features.unchanged.join(', ')}</li>}
      </ul>
    </section>
  );
}

function ModelView(props: { name: string; version?: number; ctx: IContext }): JSX.Element {
  const [versions, setVersions] = React.useState<IModelVersion[]>([]);
  const [aliases, setAliases] = React.useState<{ [a: string]: number }>({});
  const [trend, setTrend] = React.useState<IPlotlyFigure | null>(null);
  const [selected, setSelected] = React.useState<number[]>([]);
  const [open, setOpen] = React.useState<number | null>(props.version ?? null);
  const [compare, setCompare] = React.useState<[number, number] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const { name } = props;
  const { client, models } = props.ctx.areas;

  // The versions the trend was drawn for: it is fetched again only when they change.
  const trendOf = React.useRef('');
  const load = React.useCallback(async () => {
    try {
      const page = await client.models.versions(name, { limit: 500 });
      const model = await client.models.get(name);
      const same = <T,>(cur: T, next: T): T => (JSON.stringify(cur) === JSON.stringify(next) ? cur : next);
      setVersions(cur => same(cur, page.items));
      setAliases(cur => same(cur, model.aliases));
      setOpen(cur => (cur === null && page.items.length > 0 ? page.items[0].version : cur));
      setError(null);
      const drawn = page.items.map(v => v.version).join(',');
      if (drawn !== trendOf.current) {
        trendOf.current = drawn;
        const metric = page.items[0] && 'roc_auc' in page.items[0].metrics ? 'roc_auc' : 'rmse';
        const t = await client.models.trend(name, metric).catch(() => null);
        setTrend(t ? t.figure : null);
      }
    } catch (err) {
      setError(errorText(err));
    }
  }, [client, name]);
  React.useEffect(() => void load(), [load]);
  // Versions registered or aliases moved elsewhere show up on the models area's poll.
  useInvalidated(models, load);

  const toggle = (v: number): void =>
    setSelected(cur => (cur.includes(v) ? cur.filter(x => x !== v) : [...cur, v].slice(-2)));

  return (
    <div className="jp-bighead-model" data-model={props.name}>
      <h2>
        <bigheadIcon.react tag="span" /> {props.name}
      </h2>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      <div className="jp-bighead-columns jp-bighead-model-top">
        <div>
          <VersionsTable
            versions={versions}
            aliases={aliases}
            selected={selected}
            onToggle={toggle}
            onOpen={v => {
              setCompare(null);
              setOpen(v);
            }}
          />
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={selected.length !== 2}
            onClick={() => setCompare([Math.min(...selected), Math.max(...selected)])}
          >
            Compare selected
          </button>
        </div>
        <div>{trend && <PlotlyChart name="trend" figure={trend} rendermime={props.ctx.rendermime} />}</div>
      </div>
      {compare ? (
        <CompareView ctx={props.ctx} name={props.name} a={compare[0]} b={compare[1]} />
      ) : (
        open !== null && (
          <VersionDetail
            key={open}
            name={props.name}
            version={open}
            aliases={aliases}
            ctx={props.ctx}
            onAliasChange={() => void load()}
          />
        )
      )}
      <ReviewHistory areas={props.ctx.areas} name={props.name} />
    </div>
  );
}

/** The main-area widget for one model. */
export class ModelPanel extends ReactWidget {
  constructor(
    readonly modelName: string,
    private readonly ctx: IContext,
    private readonly version?: number
  ) {
    super();
    this.id = `bighead-model-${modelName}`;
    this.addClass('jp-bighead-model-panel');
    this.title.label = `Model: ${modelName}`;
    this.title.icon = bigheadIcon;
    this.title.closable = true;
  }

  protected render(): JSX.Element {
    return <ModelView name={this.modelName} version={this.version} ctx={this.ctx} />;
  }
}
