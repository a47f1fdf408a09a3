/**
 * The one place the frontend talks to the Bighead REST API.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { BigheadRequestError, IErrorBody } from './tokens';

const API_ROOT = 'bighead/api';

function isErrorBody(value: unknown): value is IErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IErrorBody).error === 'string' &&
    typeof (value as IErrorBody).message === 'string'
  );
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
    // Our status route always exists, and our other routes answer 404 with an error
    // body: any other 404 means the server extension itself is missing.
    if (response.status === 404 && (!isErrorBody(body) || endPoint === 'status')) {
      throw missingExtension();
    }
    if (isErrorBody(body)) {
      throw new BigheadRequestError(response.status, body.error, body.message, body.details);
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
