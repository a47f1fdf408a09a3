/**
 * The platform's status and the OpenAPI document.
 */
import { AreaClient } from './client';

/** `GET /bighead/api/status`. */
export interface IStatus {
  version: string;
  home: string;
  stores: { [store: string]: string };
  executor: string;
  python?: string;
}

export class StatusClient extends AreaClient {
  /** `GET status`: version, home, stores and executor of the server. */
  get(): Promise<IStatus> {
    return this.call('status');
  }

  /** `GET openapi.json`: the API's own description. */
  openapi(): Promise<{ paths: { [path: string]: { [method: string]: unknown } } }> {
    return this.call('openapi');
  }
}
