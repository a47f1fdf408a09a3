/**
 * The line the Jobs panel shows for a job's Dask cluster.
 */
import { describe, expect, it } from 'vitest';

import { IJob, IJobCluster } from '../src/api';
import { jobClusterLine } from '../src/jobs/cluster';

function job(state: IJob['state'], cluster?: IJobCluster): IJob {
  return {
    id: 'j-1',
    name: 'train',
    state,
    final: ['succeeded', 'failed', 'cancelled'].includes(state),
    executor: 'local',
    created: '2026-01-01T00:00:00+00:00',
    started: null,
    finished: null,
    user: null,
    error: null,
    resources: {},
    metrics: {},
    outputs: {},
    spec: { notebook: 'train.ipynb', function: null, profile: 'small', parameters: {} },
    cluster
  };
}

const PLAN: IJobCluster = { workers: 2, profile: 'small', threads: 1, cpu: '1', memory: '4Gi', image: null };
const UP: IJobCluster = {
  ...PLAN,
  state: 'running',
  address: 'tcp://127.0.0.1:40001',
  dashboard: 'http://127.0.0.1:40002/status'
};

describe('jobClusterLine', () => {
  it('is null for a job without a cluster, or from an older server', () => {
    expect(jobClusterLine(job('running', {}))).toBeNull();
    expect(jobClusterLine(job('running'))).toBeNull();
  });

  it("shows a running job's cluster with its address and dashboard", () => {
    expect(jobClusterLine(job('running', UP))).toEqual({
      text: 'Dask: 2 workers × 1 thread, 4Gi each on small (running)',
      address: 'tcp://127.0.0.1:40001',
      dashboard: 'http://127.0.0.1:40002/status',
      state: 'running'
    });
  });

  it('has no dashboard link while the cluster starts, and none for a queued job', () => {
    const starting = jobClusterLine(job('running', { ...UP, state: 'starting', dashboard: 'http://x/status' }));
    expect(starting?.dashboard).toBeNull();
    expect(starting?.address).toBe('tcp://127.0.0.1:40001');
    const queued = jobClusterLine(job('queued', { ...PLAN, workers: 1, threads: 2 }));
    expect(queued).toEqual({
      text: 'Dask: 1 worker × 2 threads, 4Gi each on small (not started)',
      address: null,
      dashboard: null,
      state: 'not started'
    });
  });

  it("shows what a finished job's cluster was, without links", () => {
    const done = jobClusterLine(job('cancelled', { ...UP, state: 'stopped' }));
    expect(done).toEqual({
      text: 'Dask: 2 workers × 1 thread, 4Gi each on small (stopped)',
      address: null,
      dashboard: null,
      state: 'stopped'
    });
  });
});
