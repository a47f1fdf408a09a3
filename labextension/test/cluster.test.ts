/**
 * The Cluster line of the Status section: its model and the line it shows.
 */
import { describe, expect, it } from 'vitest';

import { BigheadClient, BigheadRequestError, ICluster, Requester } from '../src/api';
import { IPollerHost, POLL_SECONDS, Poller } from '../src/core/poller';
import { BigheadModels } from '../src/state';
import { clusterSummary, formatBytes } from '../src/status/cluster';

const flush = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

function cluster(fields: Partial<ICluster>): ICluster {
  return {
    setting: 'none',
    kind: 'none',
    address: null,
    source: 'default',
    state: 'none',
    message: null,
    workers: null,
    threads: null,
    memory: null,
    dashboard: null,
    ...fields
  };
}

const UP = cluster({
  setting: 'tcp://10.0.0.5:8786',
  kind: 'address',
  address: 'tcp://10.0.0.5:8786',
  source: 'server',
  state: 'up',
  workers: 2,
  threads: 4,
  memory: 8 * 1024 ** 3,
  dashboard: 'http://10.0.0.5:8787/status'
});

function stub(answer: () => unknown): { client: BigheadClient; urls: string[] } {
  const urls: string[] = [];
  const request: Requester = async <T>(url: string, init?: RequestInit): Promise<T> => {
    urls.push(`${init?.method ?? 'GET'} ${url}`);
    const value = answer();
    if (value instanceof Error) {
      throw value;
    }
    return value as T;
  };
  return { client: new BigheadClient(request), urls };
}

describe('the cluster line', () => {
  it('says where heavy work runs for each state', () => {
    expect(clusterSummary(cluster({}))).toBe('none (one process)');
    expect(clusterSummary(cluster({ kind: 'local', setting: 'local', state: 'per_call' }))).toBe(
      'local (a LocalCluster started per call)'
    );
    expect(
      clusterSummary(cluster({ kind: 'kubernetes', setting: 'kubernetes:gpu:2', state: 'per_call' }))
    ).toBe('kubernetes:gpu:2 (pods started per call)');
    expect(clusterSummary(UP)).toBe('tcp://10.0.0.5:8786: 2 workers, 4 threads, 8.0 GiB');
    expect(clusterSummary({ ...UP, workers: 1, threads: 1, memory: 0 })).toBe('tcp://10.0.0.5:8786: 1 worker, 1 threads');
    expect(clusterSummary({ ...UP, state: 'unreachable', workers: null })).toBe('tcp://10.0.0.5:8786: not answering');
    expect(clusterSummary(cluster({ setting: 'kubernetes', state: 'not_implemented' }))).toBe(
      'kubernetes (not implemented yet)'
    );
    expect(clusterSummary(cluster({ state: 'invalid', message: '$BIGHEAD_DASK: unknown' }))).toBe(
      'invalid setting: $BIGHEAD_DASK: unknown'
    );
  });

  it('formats memory in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 ** 4)]).toEqual(['512 B', '1.5 KiB', '3.0 TiB']);
  });
});

describe('ClusterModel', () => {
  it('reads GET cluster through the typed client; a failed read clears it', async () => {
    let answer: unknown = UP;
    const { client, urls } = stub(() => answer);
    const areas = new BigheadModels(client, new Poller());
    await areas.cluster.refresh();
    expect(urls).toEqual(['GET cluster']);
    expect(areas.cluster.cluster?.dashboard).toBe('http://10.0.0.5:8787/status');
    expect(areas.cluster.summary).toBe('tcp://10.0.0.5:8786: 2 workers, 4 threads, 8.0 GiB');
    answer = new BigheadRequestError(500, 'server_misconfigured', 'server misconfigured');
    await areas.cluster.refresh();
    expect([areas.cluster.cluster, areas.cluster.summary, areas.cluster.error?.code]).toEqual([
      null,
      null,
      'server_misconfigured'
    ]);
  });

  it('is polled only while the Status section shows it', async () => {
    let time = 0;
    let tick: () => void = () => undefined;
    const host: IPollerHost = {
      now: () => time,
      setInterval: callback => {
        tick = callback;
        return 1;
      },
      clearInterval: () => undefined,
      visible: () => true
    };
    const { client, urls } = stub(() => UP);
    const areas = new BigheadModels(client, new Poller(host));
    areas.poller.start();
    const run = async (seconds: number): Promise<void> => {
      for (const end = time + seconds * 1000; time <= end; time += 250) {
        tick();
        await flush();
      }
    };
    await run(POLL_SECONDS);
    expect(urls).toEqual([]);
    const watch = areas.cluster.watch();
    await flush();
    expect(urls).toEqual(['GET cluster']); // shown: read at once
    await run(POLL_SECONDS);
    expect(urls).toEqual(['GET cluster', 'GET cluster']);
    watch.dispose();
    await run(2 * POLL_SECONDS);
    expect(urls).toHaveLength(2);
  });
});
