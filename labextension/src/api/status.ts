/**
 * The platform's status and the OpenAPI document.
 */
import { AreaClient } from './client';

/** A permission a REST route needs (see jupyter_bighead.roles). */
export type Permission = 'read' | 'write' | 'review' | 'admin';

/** The signed-in user, as `GET /bighead/api/status` describes them. */
export interface IUser {
  /** The identity in audits and ownership (the JupyterHub user, or the server's owner). */
  name: string;
  /** Every role the user holds, least first. */
  roles: string[];
  /** What those roles allow. */
  permissions: Permission[];
  /** Whether `c.BigheadApp.roles` is configured; false: one user, nothing is gated. */
  team: boolean;
  /** Aliases that move only for an admin or under an approved review. */
  protected_aliases: string[];
  /** Permission -> the roles that grant it, least first (what a refusal names). */
  granted_by: { [permission: string]: string[] };
}

/** `GET /bighead/api/status`. */
export interface IStatus {
  version: string;
  home: string;
  stores: { [store: string]: string };
  executor: string;
  python?: string;
  user: IUser;
}

/** What `GET /bighead/api/cluster` says of the cluster (`state`). */
export type ClusterState = 'none' | 'per_call' | 'up' | 'unreachable' | 'not_implemented' | 'invalid';

/** `GET /bighead/api/cluster`: the Dask cluster setting (`c.BigheadApp.dask`). */
export interface ICluster {
  /** none, local, kubernetes or the scheduler address. */
  setting: string;
  kind: 'none' | 'local' | 'address' | 'kubernetes';
  address: string | null;
  /** `server` (c.BigheadApp.dask), `env` (the server's $BIGHEAD_DASK) or `default`. */
  source: 'server' | 'env' | 'default';
  state: ClusterState;
  message: string | null;
  /** For a scheduler that answered: its workers, their threads and memory (bytes). */
  workers: number | null;
  threads: number | null;
  memory: number | null;
  /** The dashboard's status page, when the scheduler runs one. */
  dashboard: string | null;
}

export class StatusClient extends AreaClient {
  /** `GET status`: version, home, stores and executor of the server. */
  get(): Promise<IStatus> {
    return this.call('status');
  }

  /** `GET cluster`: the cluster setting, a scheduler's workers and dashboard link. */
  cluster(): Promise<ICluster> {
    return this.call('cluster');
  }

  /** `GET openapi.json`: the API's own description. */
  openapi(): Promise<{ paths: { [path: string]: { [method: string]: unknown } } }> {
    return this.call('openapi');
  }
}
