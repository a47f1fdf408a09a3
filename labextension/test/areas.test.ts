/**
 * The area models: reads through the typed client, signals, errors, watching, and
 * the one poller driving them all.
 */
import { describe, expect, it } from 'vitest';

import { BigheadClient, BigheadRequestError, IJob, Requester } from '../src/api';
import { AreaModel } from '../src/core/area';
import { IPollerHost, POLL_SECONDS, Poller } from '../src/core/poller';
import { JOBS_SHOWN, LIVE_JOB_SECONDS, LIVE_SWEEP_SECONDS } from '../src/jobs/model';
import { BigheadModels } from '../src/state';

type Route = (url: string, init?: RequestInit) => unknown;

/** A client answering from `route`; every request URL is kept in `urls`. */
function stubClient(route: Route): { client: BigheadClient; urls: string[] } {
  const urls: string[] = [];
  const request: Requester = async <T>(url: string, init?: RequestInit): Promise<T> => {
    urls.push(`${init?.method ?? 'GET'} ${url}`);
    const answer = route(url, init);
    if (answer instanceof Error) {
      throw answer;
    }
    return answer as T;
  };
  return { client: new BigheadClient(request), urls };
}

const flush = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

/** An area over a value the test sets, counting reads. */
class Counter extends AreaModel<{ n: number }> {
  reads = 0;
  value: { n: number } | Error = { n: 1 };
  gate: Promise<void> | null = null;
  protected async fetch(): Promise<{ n: number }> {
    this.reads++;
    if (this.gate) {
      await this.gate;
    }
    if (this.value instanceof Error) {
      throw this.value;
    }
    return { ...this.value };
  }
}

function job(id: string, final: boolean): IJob {
  return { id, name: id, state: final ? 'succeeded' : 'running', final } as IJob;
}

describe('AreaModel', () => {
  it('reads on watch and emits changed around the read', async () => {
    const area = new Counter();
    const seen: [boolean, number | undefined][] = [];
    area.changed.connect(() => seen.push([area.loading, area.data?.n]));
    const watch = area.watch();
    await flush();
    expect(area.data).toEqual({ n: 1 });
    expect(seen).toEqual([
      [true, undefined],
      [false, 1]
    ]);
    watch.dispose();
    expect(area.watched).toBe(false);
  });

  it('invalidate() tells detail views always, and reloads only while watched', async () => {
    const area = new Counter();
    let invalidated = 0;
    area.invalidated.connect(() => invalidated++);
    await area.invalidate();
    expect([invalidated, area.reads]).toEqual([1, 0]);
    const watch = area.watch();
    await area.invalidate();
    expect([invalidated, area.reads]).toEqual([2, 2]);
    watch.dispose();
  });

  it('keeps the last data on a failed read and records the error', async () => {
    const area = new Counter();
    await area.refresh();
    area.value = new BigheadRequestError(503, 'unavailable', 'store is down');
    await area.refresh();
    expect(area.data).toEqual({ n: 1 });
    expect([area.error?.code, area.error?.message]).toEqual(['unavailable', 'store is down']);
    area.value = { n: 2 };
    await area.refresh();
    expect([area.data, area.error]).toEqual([{ n: 2 }, null]);
  });

  it('wraps an error that is not a request error', async () => {
    const area = new Counter();
    area.value = new TypeError('boom');
    await area.refresh();
    expect([area.error?.code, area.error?.message]).toEqual(['client_error', 'boom']);
  });

  it('keeps the same object when the answer did not change', async () => {
    const area = new Counter();
    await area.refresh();
    const first = area.data;
    await area.refresh();
    expect(area.data).toBe(first);
    area.value = { n: 5 };
    await area.refresh();
    expect(area.data).not.toBe(first);
  });

  it('never overlaps reads: one asked during a read runs once after it', async () => {
    const area = new Counter();
    let open: () => void = () => undefined;
    area.gate = new Promise(resolve => (open = resolve));
    const first = area.refresh();
    area.value = { n: 2 };
    const second = area.refresh();
    const third = area.refresh();
    expect(area.reads).toBe(1);
    area.gate = null;
    open();
    await Promise.all([first, second, third]);
    expect(area.reads).toBe(2);
    expect(area.data).toEqual({ n: 2 });
  });
});

describe('the areas of the page', () => {
  const answers: Route = url => {
    if (url === 'status') {
      return { version: '1.2', home: '/h', stores: {}, executor: 'local' };
    }
    if (url.startsWith('models')) {
      return { items: [{ name: 'churn' }], total: 1, next_cursor: null };
    }
    if (url.startsWith('features')) {
      return { items: [], total: 0, offset: 0, limit: 200 };
    }
    if (url.startsWith('jobs')) {
      return { items: [job('j1', true)] };
    }
    if (url === 'sweeps') {
      return { items: [] };
    }
    if (url === 'schedules') {
      return new BigheadRequestError(500, 'internal', 'schedules broke');
    }
    if (url === 'deployments') {
      return { items: [{ id: 'd1' }] };
    }
    if (url === 'blocks') {
      return { blocks: [], errors: [] };
    }
    throw new Error(`unexpected ${url}`);
  };

  it('read through the typed client', async () => {
    const { client, urls } = stubClient(answers);
    const areas = new BigheadModels(client, new Poller());
    areas.features.watch();
    await areas.features.setSearch('age');
    await Promise.all([
      areas.status.refresh(),
      areas.models.refresh(),
      areas.jobs.refresh(),
      areas.deployments.refresh(),
      areas.blocks.refresh()
    ]);
    expect(new Set(urls)).toEqual(
      new Set([
        'GET features?search=&limit=200',
        'GET features?search=age&limit=200',
        'GET status',
        'GET models?limit=200',
        `GET jobs?limit=${JOBS_SHOWN}`,
        'GET sweeps',
        'GET schedules',
        'GET deployments',
        'GET blocks'
      ])
    );
    expect(areas.status.status?.version).toBe('1.2');
    expect(areas.deployments.items).toEqual([{ id: 'd1' }]);
  });

  it('jobs: the schedules error is kept apart from the jobs list', async () => {
    const { client } = stubClient(answers);
    const areas = new BigheadModels(client, new Poller());
    await areas.jobs.refresh();
    expect(areas.jobs.error).toBeNull();
    expect(areas.jobs.jobs.map(j => j.id)).toEqual(['j1']);
    expect(areas.jobs.data?.schedulesError?.message).toBe('schedules broke');
  });

  it('jobs poll fast while a job or a sweep runs', async () => {
    let jobs = [job('j1', false)];
    let sweeps: { state: string }[] = [];
    const { client } = stubClient(url =>
      url.startsWith('jobs') ? { items: jobs } : url === 'sweeps' ? { items: sweeps } : { items: [] }
    );
    const areas = new BigheadModels(client, new Poller());
    await areas.jobs.refresh();
    expect(areas.jobs.pollSeconds).toBe(LIVE_JOB_SECONDS);
    jobs = [job('j1', true)];
    sweeps = [{ state: 'running' }];
    await areas.jobs.refresh();
    expect(areas.jobs.pollSeconds).toBe(LIVE_SWEEP_SECONDS);
    sweeps = [{ state: 'finished' }];
    await areas.jobs.refresh();
    expect(areas.jobs.pollSeconds).toBe(POLL_SECONDS);
  });

  it('status: a failed read clears the status shown', async () => {
    let down = false;
    const { client } = stubClient(() =>
      down ? new BigheadRequestError(404, 'server_extension_missing', 'not running') : { version: '1' }
    );
    const areas = new BigheadModels(client, new Poller());
    await areas.status.refresh();
    down = true;
    await areas.status.refresh();
    expect([areas.status.status, areas.status.error?.code]).toEqual([null, 'server_extension_missing']);
  });

  it('one poller drives every area; the status at its own interval, blocks never', async () => {
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
    const { client, urls } = stubClient(answers);
    const areas = new BigheadModels(client, new Poller(host));
    const watches = [areas.models, areas.jobs, areas.deployments, areas.blocks].map(a => a.watch());
    await flush();
    let modelsInvalidated = 0;
    areas.models.invalidated.connect(() => modelsInvalidated++);
    areas.status.pollSeconds = 30;
    areas.poller.start();
    urls.length = 0;
    for (time = 0; time <= POLL_SECONDS * 1000; time += 250) {
      tick();
      await flush();
    }
    expect(modelsInvalidated).toBe(1);
    expect(urls.filter(u => u === 'GET models?limit=200')).toHaveLength(1);
    expect(urls.filter(u => u === 'GET deployments')).toHaveLength(1);
    expect(urls).not.toContain('GET blocks');
    expect(urls).not.toContain('GET status');
    // Features are not shown: the poller invalidates them but reads nothing.
    expect(urls.some(u => u.startsWith('GET features'))).toBe(false);
    for (; time <= 30 * 1000; time += 250) {
      tick();
      await flush();
    }
    expect(urls).toContain('GET status');
    watches.forEach(w => w.dispose());
  });
});
