/**
 * The Monitoring tab of a model version: the score's distribution against the
 * reference, the per-feature drift table (sortable, a PSI sparkline each; a click shows
 * the feature's reference vs current histogram), drift and realized performance over
 * time, the model's alert history, and the button that schedules the monitor.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { IDriftRow, IVersionMonitoring } from '../api/monitoring';
import { errorText } from '../api/request';
import { useSignal } from '../core/react';
import { gate } from '../status/permissions';
import { IBigheadModels } from '../tokens';
import { DriftSortKey, sortDriftRows } from './drift';
import { PlotlyChart } from './plotly';

const WINDOWS = ['1h', '6h', '1d', '7d', '30d'];

const num = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

/** A PSI sparkline as a small SVG polyline (gaps where a window had no rows), drawn to
 * the scale `top` (the table passes one for every row, so a drifting feature stands out). */
export function Sparkline(props: { values: (number | null)[]; top?: number; width?: number; height?: number }): JSX.Element {
  const width = props.width ?? 80;
  const height = props.height ?? 18;
  const finite = props.values.filter((v): v is number => v !== null && Number.isFinite(v));
  const top = Math.max(0.25, props.top ?? 0, ...finite);
  const step = props.values.length > 1 ? width / (props.values.length - 1) : 0;
  const segments: string[][] = [[]];
  props.values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      segments.push([]);
    } else {
      segments[segments.length - 1].push(`${(i * step).toFixed(1)},${(height - (v / top) * height).toFixed(1)}`);
    }
  });
  return (
    <svg className="jp-bighead-sparkline" width={width} height={height} role="img" aria-label="PSI over time">
      {segments
        .filter(s => s.length > 0)
        .map((s, i) =>
          s.length === 1 ? (
            <circle key={i} cx={s[0].split(',')[0]} cy={s[0].split(',')[1]} r={1.5} />
          ) : (
            <polyline key={i} points={s.join(' ')} fill="none" strokeWidth={1.5} />
          )
        )}
    </svg>
  );
}

function DriftTable(props: { rows: IDriftRow[]; selected: string | null; onSelect: (feature: string) => void }): JSX.Element {
  const [sort, setSort] = React.useState<{ key: DriftSortKey; desc: boolean }>({ key: 'severity', desc: true });
  const rows = sortDriftRows(props.rows, sort.key, sort.desc);
  const top = Math.max(0.25, ...props.rows.flatMap(r => r.sparkline.filter((v): v is number => v !== null && Number.isFinite(v))));
  const header = (key: DriftSortKey, label: string): JSX.Element => (
    <th>
      <button
        className="jp-bighead-link"
        aria-label={`Sort by ${label}`}
        onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== 'feature' })}
      >
        {label}
        {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  return (
    <div className="jp-bighead-table-scroll">
      <table className="jp-bighead-table" data-testid="drift-table">
        <thead>
          <tr>
            {header('feature', 'feature')}
            {header('severity', 'severity')}
            {header('psi', 'PSI')}
            <th>JS</th>
            <th>test p</th>
            <th>nulls (ref → now)</th>
            <th>PSI over time</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(r => (
            <tr
              key={r.feature}
              data-feature={r.feature}
              data-severity={r.severity}
              className={`jp-bighead-drift-${r.severity}${props.selected === r.feature ? ' jp-mod-selected' : ''}`}
            >
              <td>
                <button className="jp-bighead-link" title="Show the histograms" onClick={() => props.onSelect(r.feature)}>
                  {r.feature}
                </button>
              </td>
              <td>
                <span className={`jp-bighead-tag jp-bighead-severity-${r.severity}`}>{r.severity}</span>
              </td>
              <td>{num(r.psi)}</td>
              <td>{num(r.js)}</td>
              <td title={r.test ?? ''}>{num(r.p_value, 4)}</td>
              <td>
                {num(r.null_rate_reference, 3)} → {num(r.null_rate_current, 3)}
              </td>
              <td>
                <Sparkline values={r.sparkline} top={top} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateMonitor(props: { areas: IBigheadModels; name: string; window: string }): JSX.Element {
  const [schedule, setSchedule] = React.useState('0 * * * *');
  const [alias, setAlias] = React.useState('');
  const [labels, setLabels] = React.useState('');
  const [note, setNote] = React.useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = React.useState(false);
  useSignal(props.areas.status.changed);
  const mayCreate = props.areas.status.permit('write', 'Create monitor');
  const create = async (): Promise<void> => {
    setBusy(true);
    try {
      const result = await props.areas.client.monitoring.createMonitor(props.name, {
        schedule,
        window: props.window,
        alias: alias.trim() || null,
        ...(labels.trim() ? { labels: labels.trim() } : {})
      });
      setNote({ ok: true, text: `Monitor ${String(result.name ?? '')} scheduled (${schedule}, UTC).` });
      void props.areas.jobs.invalidate();
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="jp-bighead-monitor-create" data-testid="create-monitor">
      <label>
        Schedule (cron, UTC){' '}
        <input className="jp-mod-styled" value={schedule} onChange={e => setSchedule(e.target.value)} aria-label="Monitor schedule" />
      </label>{' '}
      <label>
        Alias{' '}
        <input
          className="jp-mod-styled"
          value={alias}
          placeholder="latest version"
          onChange={e => setAlias(e.target.value)}
          aria-label="Monitor alias"
        />
      </label>{' '}
      <label>
        Labels{' '}
        <input
          className="jp-mod-styled"
          value={labels}
          placeholder="none (e.g. data/outcomes.parquet)"
          title="A .parquet or .csv file of outcomes (entity, ts, label, arrived_at), relative to the server root: realized performance"
          onChange={e => setLabels(e.target.value)}
          aria-label="Monitor labels file"
        />
      </label>{' '}
      <button className="jp-mod-styled jp-mod-accept" onClick={() => void create()} {...gate(mayCreate, busy || !schedule.trim())}>
        Create monitor
      </button>
      {note && (
        <div className={note.ok ? 'jp-bighead-muted' : 'jp-bighead-error'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </div>
      )}
    </div>
  );
}

export function MonitoringTab(props: {
  areas: IBigheadModels;
  rendermime: IRenderMimeRegistry | null;
  name: string;
  version: number;
}): JSX.Element {
  const [window, setWindow] = React.useState('1d');
  const [data, setData] = React.useState<IVersionMonitoring | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [selected, setSelected] = React.useState<string | null>(null);
  const { areas, name, version } = props;
  React.useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    areas.client.monitoring
      .version(name, version, window)
      .then(d => live && setData(d))
      .catch(err => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [areas, name, version, window]);

  const chart = (key: string, figure: unknown): JSX.Element | null =>
    figure ? <PlotlyChart key={key} name={key} figure={figure as never} rendermime={props.rendermime} /> : null;
  const histogram = selected ? data?.figures.features?.[selected] : undefined;
  return (
    <div className="jp-bighead-monitoring" data-testid="monitoring-tab">
      <div className="jp-bighead-monitoring-head">
        <label>
          Window{' '}
          <select className="jp-mod-styled" value={window} onChange={e => setWindow(e.target.value)} aria-label="Monitoring window">
            {WINDOWS.map(w => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        {data && (
          <span className={`jp-bighead-tag jp-bighead-severity-${data.status}`} data-testid="monitoring-status">
            {data.status.replace('_', ' ')}
          </span>
        )}
        {data && <span className="jp-bighead-muted"> {data.message}</span>}
      </div>
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
      {!data && !error && <p className="jp-bighead-muted">Checking the last {window}…</p>}
      {data && !data.reference && (
        <p className="jp-bighead-muted" data-testid="no-reference">
          No reference: v{version} was registered without validation data, so there is nothing to compare its traffic with.
          Register with X_valid/y_valid (or attach one with jupyter_bighead.monitoring.attach_reference).
        </p>
      )}
      {data && data.reference && (
        <>
          <p className="jp-bighead-muted">
            {data.check.n_rows} logged predictions from {data.check.start.slice(0, 16).replace('T', ' ')} to{' '}
            {data.check.end.slice(0, 16).replace('T', ' ')} UTC.
          </p>
          <div className="jp-bighead-charts">
            {chart('monitor-score', data.figures.score)}
            {chart('monitor-drift-over-time', data.figures.drift_over_time)}
          </div>
          {data.drift_rows.length > 0 && (
            <>
              <h4>Feature drift</h4>
              <DriftTable rows={data.drift_rows} selected={selected} onSelect={f => setSelected(cur => (cur === f ? null : f))} />
            </>
          )}
          {selected && histogram && (
            <div data-testid="feature-histogram" data-feature={selected}>
              {chart(`monitor-feature-${selected}`, histogram)}
            </div>
          )}
          {data.figures.performance && (
            <>
              <h4>Realized performance</h4>
              {chart('monitor-performance', data.figures.performance)}
            </>
          )}
        </>
      )}
      <h4>Alerts</h4>
      {data && data.alerts.length === 0 && <p className="jp-bighead-muted">No alerts for {name}.</p>}
      {data && data.alerts.length > 0 && (
        <ul className="jp-bighead-alerts" data-testid="alert-history">
          {data.alerts.map(a => (
            <li key={a.id} data-alert={a.id}>
              <span className="jp-bighead-muted">{a.created_at.slice(0, 19).replace('T', ' ')}</span>{' '}
              <span className={`jp-bighead-tag jp-bighead-severity-${a.severity ?? 'alert'}`}>{a.severity ?? 'alert'}</span>{' '}
              {a.message ?? (a.features ?? []).join(', ')}
            </li>
          ))}
        </ul>
      )}
      <h4>Monitor</h4>
      <CreateMonitor areas={areas} name={name} window={window} />
    </div>
  );
}
