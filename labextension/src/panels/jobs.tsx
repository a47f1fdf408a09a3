/**
 * The Jobs section of the Bighead sidebar: live status, streamed logs, cancel,
 * re-run, and a link to the executed notebook.
 */
import * as React from 'react';

import { hub, useRefresh } from '../refresh';
import { errorText, requestAPI } from '../request';
import { IJob } from '../tokens';

/** `1 h 02 min`, `3 min 07 s`, `12 s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (h > 0) {
    return `${h} h ${pad(m)} min`;
  }
  return m > 0 ? `${m} min ${pad(sec)} s` : `${sec} s`;
}

/** How long the job ran (or has been running), or null before it started. */
export function jobDuration(job: IJob, now: number = Date.now()): string | null {
  if (!job.started) {
    return null;
  }
  const end = job.finished ? Date.parse(job.finished) : now;
  const start = Date.parse(job.started);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return null;
  }
  return formatDuration(end - start) + (job.finished ? '' : ' so far');
}

const clock = (iso: string | null): string => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');


function JobLogs(props: { job: IJob }): JSX.Element {
  const [text, setText] = React.useState('');
  const offset = React.useRef(0);
  React.useEffect(() => {
    let stopped = false;
    offset.current = 0;
    setText('');
    const poll = async (): Promise<void> => {
      while (!stopped) {
        try {
          const chunk = await requestAPI<{ text: string; offset: number; final: boolean }>(
            `jobs/${props.job.id}/logs?offset=${offset.current}`
          );
          offset.current = chunk.offset;
          if (chunk.text) {
            setText(t => (t + chunk.text).slice(-20000));
          }
          if (chunk.final) {
            return;
          }
        } catch (err) {
          setText(t => `${t}\n[could not read the log: ${errorText(err)}]`);
          return;
        }
        await new Promise(resolve => window.setTimeout(resolve, 1000));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [props.job.id]);
  return (
    <pre className="jp-bighead-logs" data-testid="job-logs">
      {text || '(no output yet)'}
    </pre>
  );
}

function JobDetail(props: { job: IJob; onChange: () => void; openPath: (path: string) => void }): JSX.Element {
  const { job } = props;
  const [error, setError] = React.useState<string | null>(null);
  const act = async (action: 'cancel' | 'rerun'): Promise<void> => {
    try {
      await requestAPI(`jobs/${job.id}/${action}`, { method: 'POST', body: '{}' });
      setError(null);
      props.onChange();
    } catch (err) {
      setError(errorText(err));
    }
  };
  // The executed notebook lives in the hidden .bighead/ folder, which the contents API
  // does not serve: the server copies it to runs/ beside the job's notebook first.
  const openExecuted = async (): Promise<void> => {
    try {
      const { path } = await requestAPI<{ path: string }>(`jobs/${encodeURIComponent(job.id)}/notebook`, {
        method: 'POST',
        body: '{}'
      });
      setError(null);
      props.openPath(path);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const executed = job.outputs.executed_notebook;
  const duration = jobDuration(job);
  return (
    <div className="jp-bighead-job-detail" data-testid="job-detail">
      <dl className="jp-bighead-status">
        <dt>Notebook</dt>
        <dd title={job.spec.notebook ?? ''}>{job.spec.notebook ?? job.spec.function}</dd>
        <dt>Started</dt>
        <dd data-field="started">{clock(job.started)}</dd>
        <dt>Duration</dt>
        <dd data-field="duration">{duration ?? 'not started'}</dd>
        <dt>Profile</dt>
        <dd>
          {job.spec.profile} ({String(job.resources.cpu)} CPU, {String(job.resources.memory)}
          {Number(job.resources.gpu) > 0 ? `, ${String(job.resources.gpu)} GPU` : ''})
        </dd>
        {Object.entries(job.metrics).map(([k, v]) => (
          <React.Fragment key={k}>
            <dt>{k}</dt>
            <dd data-metric={k}>{v}</dd>
          </React.Fragment>
        ))}
      </dl>
      {job.error && <div className="jp-bighead-error">{job.error}</div>}
      <div className="jp-bighead-alias-buttons">
        {!job.final && (
          <button className="jp-mod-styled jp-mod-warn" onClick={() => void act('cancel')}>
            Cancel
          </button>
        )}
        <button className="jp-mod-styled" onClick={() => void act('rerun')}>
          Re-run
        </button>
        {executed && (
          <button className="jp-mod-styled" onClick={() => void openExecuted()}>
            Open executed notebook
          </button>
        )}
      </div>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      <JobLogs job={job} />
    </div>
  );
}

interface ISchedule {
  name: string;
  schedule: string;
  user?: string;
  last_fired?: string | null;
}

function Schedules(): JSX.Element | null {
  const [items, setItems] = React.useState<ISchedule[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const load = React.useCallback(async () => {
    try {
      setItems((await requestAPI<{ items: ISchedule[] }>('schedules')).items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  React.useEffect(() => void load(), [load]);
  useRefresh('jobs', load);
  if (items.length === 0 && !error) {
    return null;
  }
  return (
    <div className="jp-bighead-schedules" data-testid="schedules">
      <h4>Schedules</h4>
      <ul className="jp-bighead-feature-list">
        {items.map(item => (
          <li key={item.name} className="jp-bighead-feature-row" data-schedule={item.name}>
            {item.name} <code>{item.schedule}</code>{' '}
            <button
              className="jp-bighead-link"
              aria-label={`Delete schedule ${item.name}`}
              onClick={() =>
                void requestAPI(`schedules/${encodeURIComponent(item.name)}`, { method: 'DELETE' })
                  .then(() => hub.emit('jobs'))
                  .catch(err => setError(errorText(err)))
              }
            >
              delete
            </button>
          </li>
        ))}
      </ul>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
    </div>
  );
}

interface ISweep {
  id: string;
  state: string;
  total: number;
  trials: { job_id: string; parameters: { [k: string]: unknown }; state: string; metric: number | null }[];
  best: { parameters: { [k: string]: unknown }; metric: number | null } | null;
  options: { metric?: string };
  registered: { name: string; version: number } | null;
}

function Sweeps(): JSX.Element | null {
  const [items, setItems] = React.useState<ISweep[]>([]);
  const [active, setActive] = React.useState(false);
  const load = React.useCallback(async () => {
    try {
      const page = await requestAPI<{ items: ISweep[] }>('sweeps');
      setItems(page.items.slice(0, 10));
      setActive(page.items.some(s => s.state === 'running'));
    } catch {
      // the Jobs list shows connection errors already
    }
  }, []);
  React.useEffect(() => void load(), [load]);
  useRefresh('jobs', load);
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = window.setInterval(() => void load(), 2000);
    return () => window.clearInterval(timer);
  }, [active, load]);
  if (items.length === 0) {
    return null;
  }
  const show = (p: { [k: string]: unknown }): string =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
  return (
    <div className="jp-bighead-sweeps" data-testid="sweeps">
      <h4>Sweeps</h4>
      <ul className="jp-bighead-feature-list">
        {items.map(s => (
          <li key={s.id} className="jp-bighead-feature-row" data-sweep={s.id} data-state={s.state}>
            <span className={`jp-bighead-state jp-bighead-state-${s.state}`}>{s.state}</span>{' '}
            {s.trials.length}/{s.total} trials
            {s.best && (
              <div className="jp-bighead-muted">
                best {s.options.metric ?? 'metric'} = {s.best.metric} with {show(s.best.parameters)}
                {s.registered ? ` → ${s.registered.name} v${s.registered.version}` : ''}
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function JobsSection(props: { openPath: (path: string) => void }): JSX.Element {
  const [jobs, setJobs] = React.useState<IJob[]>([]);
  const [open, setOpen] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [active, setActive] = React.useState(false);
  const load = React.useCallback(async () => {
    try {
      const page = await requestAPI<{ items: IJob[] }>('jobs?limit=30');
      setJobs(page.items);
      setError(null);
      setActive(page.items.some(j => !j.final));
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  React.useEffect(() => void load(), [load]);
  useRefresh('jobs', load);
  // Live jobs are followed closely; otherwise the shared poller's tick is enough.
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = window.setInterval(() => void load(), 1500);
    return () => window.clearInterval(timer);
  }, [active, load]);
  return (
    <section className="jp-bighead-section" data-section="jobs" aria-labelledby="jp-bighead-jobs-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-jobs-title">Jobs</h3>
        <button className="jp-bighead-link" onClick={() => hub.emit('jobs')} aria-label="Refresh jobs">
          ↻
        </button>
      </header>
      {jobs.length === 0 && (
        <p className="jp-bighead-muted">No jobs yet: use “Run remotely” in a notebook’s toolbar.</p>
      )}
      <ul className="jp-bighead-feature-list">
        {jobs.map(job => (
          <li key={job.id} className="jp-bighead-feature-row" data-job={job.id} data-state={job.state}>
            <button className="jp-bighead-link" onClick={() => setOpen(open === job.id ? null : job.id)}>
              {job.name}
            </button>{' '}
            <span className={`jp-bighead-state jp-bighead-state-${job.state}`}>{job.state}</span>
            <span className="jp-bighead-muted"> {job.created.slice(11, 19)}</span>
            {open === job.id && <JobDetail job={job} onChange={() => hub.emit('jobs')} openPath={props.openPath} />}
          </li>
        ))}
      </ul>
      <Sweeps />
      <Schedules />
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
    </section>
  );
}
