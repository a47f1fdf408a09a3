/**
 * Deployments of model versions: create, follow, stop, logs, and "try it".
 */
import { AreaClient } from './client';

/** A deployment of a model version (`/bighead/api/deployments`). */
export interface IDeployment {
  id: string;
  model: string;
  target: string;
  /** The version being served. */
  version: number | null;
  /** The alias followed, if any. */
  alias: string | null;
  /** `name@alias` or `name:version`. */
  ref?: string;
  status: 'starting' | 'running' | 'unhealthy' | 'restarting' | 'failed' | 'stopped';
  reason?: string | null;
  url: string | null;
  port?: number | null;
  replicas: number;
  resources?: { [resource: string]: unknown };
  restarts?: number;
  created?: string;
  updated?: string;
  user?: string | null;
  /** Target-specific ids (namespace, object names). */
  backend?: { [key: string]: unknown };
}

/** `POST deployments`: a version or an alias of a model, on a target. */
export interface IDeployRequest {
  model: string;
  version?: number;
  alias?: string;
  target: string;
  replicas: number;
  resources: { [resource: string]: unknown };
}

export class DeploymentsClient extends AreaClient {
  list(): Promise<{ items: IDeployment[] }> {
    return this.call('deployments');
  }

  get(id: string): Promise<IDeployment> {
    return this.call('deployment', { params: { dep_id: id } });
  }

  create(request: IDeployRequest): Promise<IDeployment> {
    return this.call('deploy', { body: request });
  }

  /** Stop the endpoint. */
  stop(id: string): Promise<unknown> {
    return this.call('stopDeployment', { params: { dep_id: id } });
  }

  /** The model server's log (local target). */
  logs(id: string, offset?: number): Promise<{ text: string }> {
    return this.call('deploymentLogs', { params: { dep_id: id }, query: { offset } });
  }

  redeploy(id: string, force?: boolean): Promise<IDeployment> {
    return this.call('redeploy', { params: { dep_id: id }, query: { force } });
  }

  /**
   * Send `body` (request text, as typed) to the endpoint through the server; the
   * model server's answer comes back as it is.
   */
  predict(id: string, body: string): Promise<unknown> {
    return this.call('predict', { params: { dep_id: id }, body });
  }
}
