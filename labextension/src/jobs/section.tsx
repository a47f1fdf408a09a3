/**
 * The Jobs section of the Bighead sidebar: live status, streamed logs, cancel,
 * re-run, and a link to the executed notebook.
 */
import * as React from 'react';

import { JobsClient, IJob } from '../api/jobs';
import { errorText } from '../api/request';
import { Poller } from '../core/poller';
import { useArea, useInvalidated, usePoll, useSignal } from '../core/react';
import { StatusModel } from '../status/model';
import { gate } from '../status/permissions';
import { jobClusterLine } from './cluster';
import { jobGpuLine } from './gpus';
import { JobsModel } from './model';

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

/** A job's Dask cluster: its size and state, and while it runs its address and dashboard. */
function JobCluster(props: { job: IJob }): JSX.Element | null {
  const line = jobClusterLine(props.job);
  if (!line) {
    return null;
  }
  return (
    <div className="jp-bighead-muted" data-field="job-cluster" data-cluster-state={line.state}>
      {line.text}
      {line.address && (
        <>
          {' '}
          <code>{line.address}</code>
        </>
      )}
      {line.dashboard && (
        <>
          {' '}
          <a href={line.dashboard} target="_blank" rel="noopener noreferrer">
            dashboard
          </a>
        </>
      )}
    </div>
  );
}

/** The GPUs a running job holds (`GPUs 0, 2`), or a queued job's place (`queued #2 for 1 GPU`). */
function JobGpus(props: { job: IJob }): JSX.Element | null {
  const line = jobGpuLine(props.job);
  if (!line) {
    return null;
  }
  return (
    <div className="jp-bighead-muted" data-field="job-gpus" data-gpus={line.kind} title={line.title}>
      {line.text}
    </div>
  );
}

/** Seconds between two reads of a live job's log. */
const LOG_SECONDS = 1;

/** The job's log, streamed: read from the last offset every second until final. */
function JobLogs(props: { client: JobsClient; poller: Poller; job: IJob }): JSX.Element {
  return <JobLogStream key={props.job.id} {...props} />;
}

function JobLogStream(props: { client: JobsClient; poller: Poller; job: IJob }): JSX.Element {
  const [text, setText] = React.useState('');
  const [done, setDone] = React.useState(false);
  const offset = React.useRef(0);
  usePoll(
    props.poller,
    done ? 0 : LOG_SECONDS,
    async () => {
      try {
        const chunk = await props.client.logs(props.job.id, offset.current);
        offset.current = chunk.offset;
        if (chunk.text) {
          setText(t => (t + chunk.text).slice(-20000));
        }
        if (chunk.final) {
          setDone(true);
        }
      } catch (err) {
        setText(t => `${t}\n[could not read the log: ${errorText(err)}]`);
        setDone(true);
      }
    },
    true
  );
  return (
    <pre className="jp-bighead-logs" data-testid="job-logs">
      {text || '(no output yet)'}
    </pre>
  );
}

function JobDetail(props: {
  client: JobsClient;
  poller: Poller;
  job: IJob;
  onChange: () => void;
  openPath: (path: string) => void;
  status: StatusModel;
}): JSX.Element {
  const { client, job, status } = props;
  const [error, setError] = React.useState<string | null>(null);
  const act = async (action: 'cancel' | 'rerun'): Promise<void> => {
    try {
      await (action === 'cancel' ? client.cancel(job.id) : client.rerun(job.id));
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
      const { path } = await client.executedNotebook(job.id);
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
          <button
            className="jp-mod-styled jp-mod-warn"
            onClick={() => void act('cancel')}
            {...gate(status.permitOwner(job.user, 'Cancelling the job'))}
          >
            Cancel
          </button>
        )}
        <button className="jp-mod-styled" onClick={() => void act('rerun')} {...gate(status.permit('write', 'Re-run'))}>
          Re-run
        </button>
        {executed && (
          <button
            className="jp-mod-styled"
            onClick={() => void openExecuted()}
            {...gate(status.permit('write', 'Opening the executed notebook'))}
          >
            Open executed notebook
          </button>
        )}
      </div>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      <JobLogs client={client} poller={props.poller} job={job} />
    </div>
  );
}

function Schedules(props: { model: JobsModel; status: StatusModel }): JSX.Element | null {
  const { model, status } = props;
  const items = model.schedules;
  const [deleteError, setDeleteError] = React.useState<string | null>(null);
  const error = deleteError ?? model.data?.schedulesError?.message ?? null;
  useInvalidated(model, () => setDeleteError(null));
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
              {...gate(status.permitOwner(item.user, 'Deleting the schedule'))}
              onClick={() =>
                void model.client.jobs
                  .deleteSchedule(item.name)
                  .then(() => {
                    setDeleteError(null);
                    return model.invalidate();
                  })
                  .catch(err => setDeleteError(errorText(err)))
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

function Sweeps(props: { model: JobsModel }): JSX.Element | null {
  // Read with the jobs; sweeps that cannot be read keep their last list (the Jobs
  // list shows connection errors already).
  const items = props.model.sweeps;
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

export function JobsSection(props: {
  model: JobsModel;
  poller: Poller;
  openPath: (path: string) => void;
  /** The user's roles: what they may not do is disabled, and says why on hover. */
  status: StatusModel;
}): JSX.Element {
  const { model, status } = props;
  // Live jobs are followed closely (the model polls faster while one runs).
  useArea(model);
  useSignal(status.changed);
  const jobs = model.jobs;
  const error = model.error?.message ?? null;
  const [open, setOpen] = React.useState<string | null>(null);
  const refresh = (): void => void model.invalidate();
  return (
    <section className="jp-bighead-section" data-section="jobs" aria-labelledby="jp-bighead-jobs-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-jobs-title">Jobs</h3>
        <button className="jp-bighead-link" onClick={refresh} aria-label="Refresh jobs">
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
            <JobGpus job={job} />
            <JobCluster job={job} />
            {open === job.id && (
              <JobDetail
                client={model.client.jobs}
                poller={props.poller}
                job={job}
                onChange={refresh}
                openPath={props.openPath}
                status={status}
              />
            )}
          </li>
        ))}
      </ul>
      <Sweeps model={model} />
      <Schedules model={model} status={status} />
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
    </section>
  );
}
