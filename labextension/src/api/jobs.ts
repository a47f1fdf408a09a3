/**
 * Jobs, compute profiles, schedules and sweeps.
 */
import { AreaClient } from './client';

export interface IProfile {
  name: string;
  cpu: string;
  memory: string;
  gpu: number;
  image: string | null;
  description: string;
  max_concurrent_per_user: number;
}

/**
 * A job's Dask cluster (`JobSpec.cluster`), as its record says it: empty for a job
 * without one; what it is made of, and once started its state, address and dashboard.
 */
export interface IJobCluster {
  workers?: number;
  profile?: string;
  threads?: number;
  cpu?: string;
  memory?: string;
  image?: string | null;
  state?: 'starting' | 'running' | 'stopped' | 'failed';
  address?: string | null;
  dashboard?: string | null;
  /** Kubernetes: the scheduler's Service and the Pods. */
  service?: string;
  scheduler_pod?: string;
  worker_pods?: string[];
}

/** What a submission may ask for: `workers` Dask workers of `profile`. */
export interface IClusterRequest {
  workers: number;
  profile?: string;
  threads?: number;
}

export interface IJob {
  id: string;
  name: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  final: boolean;
  executor: string;
  created: string;
  started: string | null;
  finished: string | null;
  user: string | null;
  error: string | null;
  resources: { [key: string]: unknown };
  metrics: { [key: string]: number };
  outputs: { [key: string]: string | null };
  spec: {
    notebook: string | null;
    function: string | null;
    profile: string;
    parameters: { [key: string]: unknown };
    cluster?: IClusterRequest | null;
  };
  /** Absent from servers older than the job clusters. */
  cluster?: IJobCluster;
}

/** A chunk of a job's log from `offset` on. */
export interface ILogChunk {
  text: string;
  offset: number;
  final: boolean;
}

/** `POST jobs` (and, with `schedule`, `POST schedules`). */
export interface ISubmitRequest {
  notebook: string;
  profile: string;
  parameters: { [name: string]: unknown };
  productionize: boolean;
  cluster?: IClusterRequest | null;
}

export interface ISchedule {
  name: string;
  schedule: string;
  user?: string;
  last_fired?: string | null;
}

export interface ISweep {
  id: string;
  state: string;
  total: number;
  trials: { job_id: string; parameters: { [k: string]: unknown }; state: string; metric: number | null }[];
  best: { parameters: { [k: string]: unknown }; metric: number | null } | null;
  options: { metric?: string };
  registered: { name: string; version: number } | null;
}

export class JobsClient extends AreaClient {
  /** The newest jobs first. */
  list(query: { limit?: number; offset?: number; state?: IJob['state'] } = {}): Promise<{ items: IJob[] }> {
    return this.call('jobs', { query: { ...query } });
  }

  get(id: string): Promise<IJob> {
    return this.call('job', { params: { job_id: id } });
  }

  submit(request: ISubmitRequest): Promise<IJob> {
    return this.call('submitJob', { body: request });
  }

  /** The log from byte `offset` on. */
  logs(id: string, offset: number): Promise<ILogChunk> {
    return this.call('jobLogs', { params: { job_id: id }, query: { offset } });
  }

  cancel(id: string): Promise<IJob> {
    return this.call('cancelJob', { params: { job_id: id } });
  }

  rerun(id: string): Promise<IJob> {
    return this.call('rerunJob', { params: { job_id: id } });
  }

  /**
   * Copy the executed notebook where the contents API serves it (it lives in the
   * hidden .bighead/ folder); returns its path.
   */
  executedNotebook(id: string): Promise<{ path: string }> {
    return this.call('jobNotebook', { params: { job_id: id } });
  }

  profiles(): Promise<{ profiles: IProfile[] }> {
    return this.call('profiles');
  }

  schedules(): Promise<{ items: ISchedule[] }> {
    return this.call('schedules');
  }

  /** Run the notebook on a cron `schedule` (UTC). */
  createSchedule(request: ISubmitRequest & { schedule: string }): Promise<ISchedule> {
    return this.call('createSchedule', { body: request });
  }

  deleteSchedule(name: string): Promise<unknown> {
    return this.call('deleteSchedule', { params: { name } });
  }

  sweeps(query: { limit?: number; offset?: number } = {}): Promise<{ items: ISweep[] }> {
    return this.call('sweeps', { query: { ...query } });
  }

  sweep(id: string): Promise<ISweep> {
    return this.call('sweep', { params: { sweep_id: id } });
  }

  /** Start a sweep; the body follows `POST sweeps` in openapi.json. */
  createSweep(request: { notebook: string; [option: string]: unknown }): Promise<ISweep> {
    return this.call('createSweep', { body: request });
  }
}
