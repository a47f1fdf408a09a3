/**
 * What the Jobs panel says about a job's Dask cluster (pure: unit-tested).
 */
import { IJob } from '../api/jobs';

export interface IJobClusterLine {
  /** `Dask: 2 workers × 1 thread, 4Gi each (running)`. */
  text: string;
  /** The scheduler's address, when known. */
  address: string | null;
  /** The dashboard's URL, when the cluster runs. */
  dashboard: string | null;
  state: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The line for a job that asked for a cluster, or null for one that did not. A live
 * job's cluster shows its address and dashboard; a finished job's shows what it was.
 */
export function jobClusterLine(job: IJob): IJobClusterLine | null {
  const cluster = job.cluster;
  if (!cluster || !cluster.workers) {
    return null;
  }
  const state = cluster.state ?? (job.final ? 'stopped' : 'not started');
  const live = !job.final && (state === 'running' || state === 'starting');
  const threads = cluster.threads ? ` × ${plural(cluster.threads, 'thread')}` : '';
  const memory = cluster.memory ? `, ${cluster.memory} each` : '';
  const profile = cluster.profile ? ` on ${cluster.profile}` : '';
  return {
    text: `Dask: ${plural(cluster.workers, 'worker')}${threads}${memory}${profile} (${state})`,
    address: live ? cluster.address ?? null : null,
    dashboard: live && state === 'running' ? cluster.dashboard ?? null : null,
    state
  };
}
