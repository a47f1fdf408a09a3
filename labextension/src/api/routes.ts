/**
 * Every route of the Bighead REST API the client calls, in one table.
 *
 * Paths are relative to `/bighead/api` and written as in `openapi.json`, with
 * `{param}` placeholders; `query` lists the query parameters the client may send.
 * A unit test checks this table against the server's OpenAPI document both ways.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface IRoute {
  readonly method: Method;
  readonly path: string;
  readonly query?: readonly string[];
}

export const ROUTES = {
  status: { method: 'GET', path: 'status' },
  openapi: { method: 'GET', path: 'openapi.json' },
  cluster: { method: 'GET', path: 'cluster' },

  productionize: { method: 'POST', path: 'notebooks/productionize' },
  productionizePlan: { method: 'POST', path: 'notebooks/productionize/plan' },
  report: { method: 'POST', path: 'notebooks/report' },

  blocks: { method: 'GET', path: 'blocks', query: ['search'] },

  features: { method: 'GET', path: 'features', query: ['search', 'tag', 'owner', 'limit', 'offset'] },
  featurePreview: { method: 'POST', path: 'features/preview' },
  feature: { method: 'GET', path: 'features/{name}' },
  featureDiff: { method: 'GET', path: 'features/{name}/diff', query: ['a', 'b'] },

  models: { method: 'GET', path: 'models', query: ['limit', 'offset', 'cursor', 'prefix'] },
  model: { method: 'GET', path: 'models/{name}' },
  modelVersions: { method: 'GET', path: 'models/{name}/versions', query: ['limit', 'offset', 'cursor'] },
  modelVersion: { method: 'GET', path: 'models/{name}/versions/{version}' },
  versionMonitoring: { method: 'GET', path: 'models/{name}/versions/{version}/monitoring', query: ['window'] },
  createMonitor: { method: 'POST', path: 'models/{name}/monitor' },
  alerts: { method: 'GET', path: 'alerts', query: ['since', 'limit', 'all'] },
  modelTrend: { method: 'GET', path: 'models/{name}/trend', query: ['metric'] },
  modelCompare: { method: 'GET', path: 'models/{name}/compare', query: ['a', 'b'] },
  setAlias: { method: 'PUT', path: 'models/{name}/aliases/{alias}' },
  deleteAlias: { method: 'DELETE', path: 'models/{name}/aliases/{alias}' },
  rollbackAlias: { method: 'POST', path: 'models/{name}/aliases/{alias}/rollback' },
  aliasHistory: { method: 'GET', path: 'models/{name}/aliases/{alias}/history', query: ['limit', 'offset'] },

  profiles: { method: 'GET', path: 'profiles' },
  adminSettings: { method: 'GET', path: 'admin/settings' },
  adminProfile: { method: 'GET', path: 'admin/profiles/{name}' },
  putAdminProfile: { method: 'PUT', path: 'admin/profiles/{name}' },
  deleteAdminProfile: { method: 'DELETE', path: 'admin/profiles/{name}' },
  putKernelImage: { method: 'PUT', path: 'admin/kernel-images/{kernelspec}' },
  putQuota: { method: 'PUT', path: 'admin/quotas/{user}' },
  adminAudit: { method: 'GET', path: 'admin/audit', query: ['limit', 'offset'] },
  adminUsage: { method: 'GET', path: 'admin/usage' },
  jobs: { method: 'GET', path: 'jobs', query: ['limit', 'offset', 'state'] },
  submitJob: { method: 'POST', path: 'jobs' },
  job: { method: 'GET', path: 'jobs/{job_id}' },
  jobLogs: { method: 'GET', path: 'jobs/{job_id}/logs', query: ['offset', 'limit'] },
  cancelJob: { method: 'POST', path: 'jobs/{job_id}/cancel' },
  rerunJob: { method: 'POST', path: 'jobs/{job_id}/rerun' },
  jobNotebook: { method: 'POST', path: 'jobs/{job_id}/notebook' },
  schedules: { method: 'GET', path: 'schedules' },
  createSchedule: { method: 'POST', path: 'schedules' },
  deleteSchedule: { method: 'DELETE', path: 'schedules/{name}' },
  sweeps: { method: 'GET', path: 'sweeps', query: ['limit', 'offset'] },
  createSweep: { method: 'POST', path: 'sweeps' },
  sweep: { method: 'GET', path: 'sweeps/{sweep_id}' },

  reviews: { method: 'GET', path: 'reviews', query: ['state', 'model', 'author', 'limit', 'offset'] },
  requestReview: { method: 'POST', path: 'reviews' },
  review: { method: 'GET', path: 'reviews/{review_id}' },
  reviewReport: { method: 'GET', path: 'reviews/{review_id}/report' },
  commentReview: { method: 'POST', path: 'reviews/{review_id}/comment' },
  approveReview: { method: 'POST', path: 'reviews/{review_id}/approve' },
  rejectReview: { method: 'POST', path: 'reviews/{review_id}/reject' },
  withdrawReview: { method: 'POST', path: 'reviews/{review_id}/withdraw' },

  deployments: { method: 'GET', path: 'deployments' },
  deploy: { method: 'POST', path: 'deployments' },
  deployment: { method: 'GET', path: 'deployments/{dep_id}' },
  stopDeployment: { method: 'DELETE', path: 'deployments/{dep_id}' },
  deploymentLogs: { method: 'GET', path: 'deployments/{dep_id}/logs', query: ['offset'] },
  redeploy: { method: 'POST', path: 'deployments/{dep_id}/redeploy', query: ['force'] },
  predict: { method: 'POST', path: 'deployments/{dep_id}/predict' }
} as const satisfies { [name: string]: IRoute };

export type RouteName = keyof typeof ROUTES;

/** Values of path and query parameters. */
export type Params = { [name: string]: string | number | boolean | null | undefined };

/**
 * The endpoint of `route`: placeholders filled with URL-encoded `params`, then the
 * `query` entries that are not null or undefined.
 *
 * Throws an `Error` for a missing path parameter or a query parameter the route
 * does not declare (a bug in the client, not a server answer).
 */
export function endpoint(route: IRoute, params: Params = {}, query: Params = {}): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) {
      throw new Error(`${route.method} ${route.path}: missing path parameter "${name}"`);
    }
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (!(route.query ?? []).includes(name)) {
      throw new Error(`${route.method} ${route.path}: undeclared query parameter "${name}"`);
    }
    if (value !== undefined && value !== null) {
      search.append(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
