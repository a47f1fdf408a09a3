/**
 * The base of every area client: one way to turn a route, its parameters and a
 * body into a request.
 */
import { Requester } from './request';
import { endpoint, Params, RouteName, ROUTES } from './routes';

export interface ICallOptions {
  /** Path parameters, by placeholder name. */
  params?: Params;
  /** Query parameters; null and undefined ones are left out. */
  query?: Params;
  /** The JSON body (serialized here), or text sent as it is. */
  body?: unknown;
}

export abstract class AreaClient {
  constructor(protected readonly request: Requester) {}

  /**
   * Send the request of route `name`. A POST without a body sends `{}`.
   *
   * Throws `BigheadRequestError` as `requestAPI` does.
   */
  protected call<T>(name: RouteName, options: ICallOptions = {}): Promise<T> {
    const route = ROUTES[name];
    const url = endpoint(route, options.params, options.query);
    if (route.method === 'GET') {
      return this.request<T>(url);
    }
    const init: RequestInit = { method: route.method };
    if (options.body !== undefined) {
      init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    } else if (route.method === 'POST') {
      init.body = '{}';
    }
    return this.request<T>(url, init);
  }
}
