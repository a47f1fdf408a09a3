/**
 * The Dask cluster the server is set up for (`c.BigheadApp.dask`), shown in the
 * Status section: read while the section is shown, on the poller's period.
 */
import { BigheadClient } from '../api';
import { ICluster } from '../api/status';
import { AreaModel } from '../core/area';

/** `bytes` as a short size (`1.5 GiB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** One line saying where heavy work runs, e.g. `tcp://h:8786: 2 workers, 4 threads, 8.0 GiB`. */
export function clusterSummary(cluster: ICluster): string {
  switch (cluster.state) {
    case 'none':
      return 'none (one process)';
    case 'per_call':
      return cluster.kind === 'kubernetes'
        ? `${cluster.setting} (pods started per call)`
        : 'local (a LocalCluster started per call)';
    case 'not_implemented':
      return `${cluster.setting} (not implemented yet)`;
    case 'invalid':
      return `invalid setting: ${cluster.message ?? ''}`;
    case 'unreachable':
      return `${cluster.setting}: not answering`;
    case 'up': {
      const workers = cluster.workers ?? 0;
      const parts = [`${workers} worker${workers === 1 ? '' : 's'}`, `${cluster.threads ?? 0} threads`];
      if (cluster.memory) {
        parts.push(formatBytes(cluster.memory));
      }
      return `${cluster.setting}: ${parts.join(', ')}`;
    }
  }
}

export class ClusterModel extends AreaModel<ICluster> {
  constructor(readonly client: BigheadClient) {
    super();
    // An unreachable server shows the error, not a stale cluster.
    this.clearOnError = true;
  }

  /** The last answer, or null. */
  get cluster(): ICluster | null {
    return this.data;
  }

  /** One line for the Status section, or null before the first answer. */
  get summary(): string | null {
    return this.data === null ? null : clusterSummary(this.data);
  }

  protected fetch(): Promise<ICluster> {
    return this.client.status.cluster();
  }
}
