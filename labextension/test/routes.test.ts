/**
 * The client's route table against the server's OpenAPI document, both ways, and
 * every area client's methods against the route table.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

import { BigheadClient, endpoint, IRoute, Requester, RouteName, ROUTES } from '../src/api';

const OPENAPI = join(__dirname, '..', '..', 'server_ext', 'jupyter_bighead_server', 'openapi.json');
const PREFIX = '/bighead/api/';
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

interface IOperation {
  parameters?: { name: string; in: string }[];
}

function openapiRoutes(): Map<string, IOperation> {
  const doc = JSON.parse(readFileSync(OPENAPI, 'utf8')) as { paths: { [path: string]: { [method: string]: IOperation } } };
  const out = new Map<string, IOperation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (METHODS.includes(method)) {
        expect(path.startsWith(PREFIX)).toBe(true);
        out.set(`${method.toUpperCase()} ${path.slice(PREFIX.length)}`, op);
      }
    }
  }
  return out;
}

const key = (route: IRoute): string => `${route.method} ${route.path}`;

describe('the route table', () => {
  const served = openapiRoutes();
  const routes = Object.values(ROUTES) as IRoute[];

  it('names only routes the server documents', () => {
    const unknown = routes.map(key).filter(k => !served.has(k));
    expect(unknown).toEqual([]);
  });

  it('covers every route the server documents', () => {
    const called = new Set(routes.map(key));
    const missing = [...served.keys()].filter(k => !called.has(k));
    expect(missing).toEqual([]);
  });

  it('has no route twice', () => {
    expect(new Set(routes.map(key)).size).toBe(routes.length);
  });

  it('sends only query parameters the server documents', () => {
    const undocumented = routes.flatMap(route => {
      const documented = (served.get(key(route))?.parameters ?? []).filter(p => p.in === 'query').map(p => p.name);
      return (route.query ?? []).filter(q => !documented.includes(q)).map(q => `${key(route)}?${q}`);
    });
    expect(undocumented).toEqual([]);
  });
});

describe('endpoint()', () => {
  it('fills and encodes path parameters', () => {
    expect(endpoint(ROUTES.setAlias, { name: 'churn model', alias: 'a/b' })).toBe('models/churn%20model/aliases/a%2Fb');
  });

  it('appends the query and leaves out null and undefined values', () => {
    expect(endpoint(ROUTES.features, {}, { search: 'a b', limit: 200, tag: undefined, owner: null })).toBe(
      'features?search=a+b&limit=200'
    );
    expect(endpoint(ROUTES.blocks, {}, { search: undefined })).toBe('blocks');
  });

  it('refuses a missing path parameter and an undeclared query parameter', () => {
    expect(() => endpoint(ROUTES.job, {})).toThrow(/missing path parameter "job_id"/);
    expect(() => endpoint(ROUTES.status, {}, { verbose: 1 })).toThrow(/undeclared query parameter "verbose"/);
  });
});

/** A client whose requests are recorded instead of sent. */
function recording(): { client: BigheadClient; calls: { url: string; init?: RequestInit }[] } {
  const calls: { url: string; init?: RequestInit }[] = [];
  const request: Requester = <T>(url: string, init?: RequestInit): Promise<T> => {
    calls.push({ url, init });
    return Promise.resolve({ items: [] } as T);
  };
  return { client: new BigheadClient(request), calls };
}

/** The route of a recorded call, found by matching its URL against every template. */
function routeOf(url: string, method: string): RouteName | null {
  const path = url.split('?')[0];
  for (const [name, route] of Object.entries(ROUTES) as [RouteName, IRoute][]) {
    const pattern = new RegExp('^' + route.path.replace(/\{\w+\}/g, '[^/]+') + '$');
    if (route.method === method && pattern.test(path)) {
      return name;
    }
  }
  return null;
}

describe('the area clients', () => {
  it('reach every route in the table through some method', async () => {
    const { client, calls } = recording();
    const sub = { notebook: 'a.ipynb', profile: 'small', parameters: {}, productionize: true };
    await Promise.all([
      client.status.get(),
      client.status.openapi(),
      client.status.cluster(),
      client.notebooks.productionize('a.ipynb', false),
      client.notebooks.plan('a.ipynb'),
      client.notebooks.report('a.ipynb'),
      client.blocks.catalog('x'),
      client.features.list({ search: 'x' }),
      client.features.get('f'),
      client.features.diff('f', 1, 2),
      client.features.preview({ features: ['f@1'], entities: [1], at: null }),
      client.models.list({ limit: 2 }),
      client.models.get('m'),
      client.models.versions('m', { limit: 5 }),
      client.models.version('m', 3),
      client.models.trend('m', 'roc_auc'),
      client.models.compare('m', 1, 2),
      client.models.setAlias('m', 'prod', 2),
      client.models.deleteAlias('m', 'prod'),
      client.models.rollbackAlias('m', 'prod'),
      client.models.aliasHistory('m', 'prod'),
      client.monitoring.version('m', 3, '1d'),
      client.monitoring.createMonitor('m', { schedule: '0 * * * *', window: '1d', alias: 'production' }),
      client.monitoring.alerts({ since: '2026-01-01T00:00:00Z', limit: 10 }),
      client.jobs.profiles(),
      client.jobs.list({ limit: 30 }),
      client.jobs.submit(sub),
      client.jobs.get('j1'),
      client.jobs.logs('j1', 10),
      client.jobs.cancel('j1'),
      client.jobs.rerun('j1'),
      client.jobs.executedNotebook('j1'),
      client.jobs.schedules(),
      client.jobs.createSchedule({ ...sub, schedule: '0 3 * * *' }),
      client.jobs.deleteSchedule('nightly'),
      client.jobs.sweeps(),
      client.jobs.createSweep({ notebook: 'a.ipynb', space: {} }),
      client.jobs.sweep('s1'),
      client.deployments.list(),
      client.deployments.create({ model: 'm', version: 1, target: 'local', replicas: 1, resources: {} }),
      client.deployments.get('d1'),
      client.deployments.stop('d1'),
      client.deployments.logs('d1'),
      client.deployments.redeploy('d1', true),
      client.deployments.predict('d1', '{"instances": []}'),
      client.reviews.list({ state: 'pending', author: 'dana', limit: 5 }),
      client.reviews.create('m:2', { text: 'please' }),
      client.reviews.get('r1'),
      client.reviews.report('r1'),
      client.reviews.comment('r1', 'why?'),
      client.reviews.approve('r1'),
      client.reviews.reject('r1', 'no'),
      client.reviews.withdraw('r1'),
      client.admin.settings(),
      client.admin.profile('gpu'),
      client.admin.putProfile('gpu', { cpu: '4', memory: '16Gi', gpu: 1 }),
      client.admin.deleteProfile('gpu'),
      client.admin.putKernelImage('python3', 'org/py:1'),
      client.admin.putQuota('*', { max_gpus: 2 }),
      client.admin.audit(10),
      client.admin.usage()
    ]);
    const reached = new Set(calls.map(c => routeOf(c.url, c.init?.method ?? 'GET')));
    expect(reached.has(null)).toBe(false);
    expect([...Object.keys(ROUTES)].filter(name => !reached.has(name as RouteName))).toEqual([]);
  });

  it('send GETs without options, a POST without a body as {}, and a body as JSON', async () => {
    const { client, calls } = recording();
    await client.jobs.list({ limit: 30 });
    await client.jobs.cancel('j 1');
    await client.models.setAlias('m', 'production', 4);
    await client.deployments.stop('d1');
    expect(calls).toEqual([
      { url: 'jobs?limit=30', init: undefined },
      { url: 'jobs/j%201/cancel', init: { method: 'POST', body: '{}' } },
      { url: 'models/m/aliases/production', init: { method: 'PUT', body: '{"version":4}' } },
      { url: 'deployments/d1', init: { method: 'DELETE' } }
    ]);
  });

  it('send a "try it" request body as the text typed', async () => {
    const { client, calls } = recording();
    const typed = '{ "instances": [ {"a": 1} ] }';
    await client.deployments.predict('d1', typed);
    expect(calls[0]).toEqual({ url: 'deployments/d1/predict', init: { method: 'POST', body: typed } });
  });
});
