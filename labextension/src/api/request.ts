/**
 * The one place the frontend sends HTTP requests to the Bighead REST API.
 *
 * Only the typed client (`api/client.ts` and the area modules beside it) calls
 * `requestAPI`; panels and notebook tools go through the client.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Where the API lives, relative to the server's base URL. */
export const API_ROOT = 'bighead/api';

/** The JSON body of every error the Bighead API returns. */
export interface IErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** A failed API call, carrying the server's error code and message. */
export class BigheadRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null
  ) {
    super(message);
    this.name = 'BigheadRequestError';
  }
}

/**
 * How the client sends one request: `requestAPI` in the lab, a stub in unit tests.
 * `endPoint` is relative to `/bighead/api` and carries the query string.
 */
export type Requester = <T>(endPoint: string, init?: RequestInit) => Promise<T>;

function isErrorBody(value: unknown): value is IErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IErrorBody).error === 'string' &&
    typeof (value as IErrorBody).message === 'string'
  );
}

/**
 * The error body of a failed call, in any shape the platform sends: the API's
 * `{"error": code, "message": text}`; a model server's answer, which "Try it" passes
 * through verbatim: `{"error": text, "code": code, ...}` (Open Inference Protocol) or
 * `{"error": {"code", "message", ...}}`.
 */
export function errorBody(value: unknown): IErrorBody | null {
  if (isErrorBody(value)) {
    return value;
  }
  if (typeof value === 'object' && value !== null) {
    const { error: inner, code: outerCode, ...rest } = value as { error?: unknown; code?: unknown };
    if (typeof inner === 'string') {
      return {
        error: typeof outerCode === 'string' ? outerCode : 'error',
        message: inner,
        details: Object.keys(rest).length > 0 ? rest : undefined
      };
    }
    if (typeof inner === 'object' && inner !== null) {
      const { code, message, ...details } = inner as { code?: unknown; message?: unknown };
      if (typeof message === 'string') {
        return {
          error: typeof code === 'string' ? code : 'error',
          message,
          details: Object.keys(details).length > 0 ? details : undefined
        };
      }
    }
  }
  return null;
}

/**
 * Call `/bighead/api/<endPoint>` and return its JSON body.
 *
 * Throws a `BigheadRequestError` naming the problem: the server's own error body
 * when it sent one; `server_extension_missing` when the route does not exist
 * (the extension is not installed or not enabled); `network_error` otherwise.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_ROOT, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new BigheadRequestError(
      0,
      'network_error',
      `Could not reach the Jupyter server: ${String(error)}`
    );
  }
  const text = await response.text();
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const error = errorBody(body);
    // Our status route always exists, and our other routes answer 404 with an error
    // body: any other 404 means the server extension itself is missing.
    if (response.status === 404 && (error === null || endPoint === 'status')) {
      throw missingExtension();
    }
    if (error !== null) {
      throw new BigheadRequestError(response.status, error.error, error.message, error.details ?? null);
    }
    throw new BigheadRequestError(
      response.status,
      'http_error',
      `The server answered ${response.status} ${response.statusText}`
    );
  }
  return body as T;
}

function missingExtension(): BigheadRequestError {
  return new BigheadRequestError(
    404,
    'server_extension_missing',
    'The jupyter-bighead server extension is not running. Install the jupyter-bighead ' +
      'package in the environment that runs the server, check it with ' +
      '"jupyter server extension list", and restart JupyterLab.'
  );
}

/** A caught error as text for the UI. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
