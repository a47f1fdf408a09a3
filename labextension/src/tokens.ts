/**
 * Shared interfaces and identifiers of the Bighead frontend.
 */

/** The plugin id; also the key of its settings in the lab settings registry. */
export const PLUGIN_ID = 'jupyter-bighead:plugin';

/** The DOM id of the left-sidebar panel. */
export const SIDEBAR_ID = 'bighead-sidebar';

/** Command ids. */
export namespace CommandIDs {
  export const openPanel = 'bighead:open-panel';
  export const refresh = 'bighead:refresh';
}

/** `GET /bighead/api/status`. */
export interface IStatus {
  version: string;
  home: string;
  stores: { [store: string]: string };
  executor: string;
  python?: string;
}

/** The JSON body of every error the Bighead API returns. */
export interface IErrorBody {
  error: string;
  message: string;
}

/** A failed API call, carrying the server's error code and message. */
export class BigheadRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'BigheadRequestError';
  }
}
