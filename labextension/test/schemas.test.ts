/**
 * The client's request and response types against the schemas of openapi.json.
 *
 * Response types: each documented schema is listed here as a `Shape` of its
 * TypeScript interface, so the type check (tsconfig.test.json) fails when a key is
 * added to or missing from the interface, and this test fails when the listing and
 * the OpenAPI schema differ. Request bodies: every body the client sends is checked
 * against the route's requestBody schema.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

import {
  BigheadClient,
  IAlert,
  IBlockCatalog,
  ICluster,
  IDeployment,
  IFeaturePage,
  IJobCluster,
  IProductionResult,
  IRoute,
  IStatus,
  IUser,
  Requester,
  ROUTES
} from '../src/api';

/** Every key of T, each marked as always present or optional. */
type Shape<T> = { [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required' };

interface ISchema {
  type?: string | string[];
  required?: string[];
  properties?: { [name: string]: ISchema };
  $ref?: string;
}

interface IOperation {
  requestBody?: { content: { 'application/json': { schema: ISchema } } };
}

const DOC = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'server_ext', 'jupyter_bighead_server', 'openapi.json'), 'utf8')
) as { paths: { [path: string]: { [method: string]: IOperation } }; components: { schemas: { [name: string]: ISchema } } };

const SHAPES: { [schema: string]: { [key: string]: 'required' | 'optional' } } = {
  Alert: {
    id: 'required',
    model: 'required',
    created_at: 'required',
    version: 'optional',
    severity: 'optional',
    features: 'optional',
    message: 'optional',
    psi: 'optional'
  } satisfies Shape<IAlert>,
  Status: {
    version: 'required',
    home: 'required',
    stores: 'required',
    executor: 'required',
    python: 'optional',
    user: 'required'
  } satisfies Shape<IStatus>,
  User: {
    name: 'required',
    roles: 'required',
    permissions: 'required',
    team: 'required',
    protected_aliases: 'required',
    granted_by: 'required'
  } satisfies Shape<IUser>,
  Cluster: {
    setting: 'required',
    kind: 'required',
    address: 'required',
    source: 'required',
    state: 'required',
    message: 'required',
    workers: 'required',
    threads: 'required',
    memory: 'required',
    dashboard: 'required'
  } satisfies Shape<ICluster>,
  ProductionResult: {
    source: 'required',
    notebook: 'required',
    module: 'required',
    manifest: 'required',
    executed: 'required',
    removed_cells: 'required',
    warnings: 'required',
    dependencies: 'required'
  } satisfies Shape<IProductionResult>,
  FeaturePage: { total: 'required', offset: 'required', limit: 'required', items: 'required' } satisfies Shape<IFeaturePage>,
  BlockCatalog: { blocks: 'required', errors: 'required' } satisfies Shape<IBlockCatalog>,
  JobCluster: {
    workers: 'optional',
    profile: 'optional',
    threads: 'optional',
    cpu: 'optional',
    memory: 'optional',
    image: 'optional',
    state: 'optional',
    address: 'optional',
    dashboard: 'optional',
    service: 'optional',
    scheduler_pod: 'optional',
    worker_pods: 'optional'
  } satisfies Shape<IJobCluster>,
  Deployment: {
    id: 'required',
    model: 'required',
    target: 'required',
    version: 'required',
    alias: 'required',
    ref: 'optional',
    status: 'required',
    reason: 'optional',
    url: 'required',
    port: 'optional',
    replicas: 'required',
    resources: 'optional',
    restarts: 'optional',
    created: 'optional',
    updated: 'optional',
    user: 'optional',
    backend: 'optional'
  } satisfies Shape<IDeployment>
};

describe('response types', () => {
  it('cover every schema of openapi.json but the error body', () => {
    const documented = Object.keys(DOC.components.schemas).filter(name => name !== 'Error');
    expect(documented.sort()).toEqual(Object.keys(SHAPES).sort());
  });

  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`${name}: the interface has the schema's keys, and its required ones always`, () => {
      const schema = DOC.components.schemas[name];
      expect(Object.keys(shape).sort()).toEqual(Object.keys(schema.properties ?? {}).sort());
      const optional = (schema.required ?? []).filter(key => shape[key] !== 'required');
      expect(optional).toEqual([]);
    });
  }
});

describe('request bodies', () => {
  it("send only the documented fields, and every required one", async () => {
    const sent: { route: IRoute; body: { [key: string]: unknown } }[] = [];
    const request: Requester = async <T>(url: string, init?: RequestInit): Promise<T> => {
      const method = init?.method ?? 'GET';
      const route = (Object.values(ROUTES) as IRoute[]).find(
        r => r.method === method && new RegExp('^' + r.path.replace(/\{\w+\}/g, '[^/]+') + '$').test(url.split('?')[0])
      );
      expect(route, url).toBeDefined();
      if (typeof init?.body === 'string') {
        sent.push({ route: route as IRoute, body: JSON.parse(init.body) });
      }
      return {} as T;
    };
    const client = new BigheadClient(request);
    const submit = {
      notebook: 'a.ipynb',
      profile: 'small',
      parameters: { n: 1 },
      productionize: true,
      cluster: { workers: 2, profile: 'small' }
    };
    await client.notebooks.productionize('a.ipynb', true);
    await client.notebooks.plan('a.ipynb');
    await client.notebooks.report('a.ipynb');
    await client.features.preview({ features: ['f@1'], entities: [1], at: null });
    await client.models.setAlias('m', 'production', 3);
    await client.models.rollbackAlias('m', 'production');
    await client.jobs.submit(submit);
    await client.jobs.createSchedule({ ...submit, schedule: '0 3 * * *' });
    await client.jobs.cancel('j1');
    await client.deployments.create({ model: 'm', alias: 'production', target: 'local', replicas: 2, resources: { cpu: '1' } });
    await client.deployments.predict('d1', '{"instances": [{"a": 1}]}');
    await client.monitoring.createMonitor('m', { schedule: '0 * * * *', window: '1d', alias: 'production' });
    expect(sent.length).toBe(12);
    const problems: string[] = [];
    for (const { route, body } of sent) {
      const op = DOC.paths[`/bighead/api/${route.path}`][route.method.toLowerCase()];
      const schema = op.requestBody?.content['application/json'].schema ?? {};
      const fields = Object.keys(schema.properties ?? {});
      for (const key of Object.keys(body)) {
        if (!fields.includes(key)) {
          problems.push(`${route.method} ${route.path}: "${key}" is not documented`);
        }
      }
      for (const key of schema.required ?? []) {
        if (!(key in body)) {
          problems.push(`${route.method} ${route.path}: required "${key}" is missing`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
