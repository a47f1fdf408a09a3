/**
 * `requestAPI` over a stub `fetch` (through ServerConnection's settings), and
 * `errorBody` on every error shape the platform sends.
 */
import { ServerConnection } from '@jupyterlab/services';
import { describe, expect, it } from 'vitest';

import { BigheadClient, BigheadRequestError, errorBody, errorText, requestAPI } from '../src/api';

interface ISeen {
  url: string;
  method: string;
  body: string | null;
}

/** Settings whose `fetch` answers `status` with `text`, recording each request. */
function serving(status: number, text: string, seen: ISeen[] = []): ServerConnection.ISettings {
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    // ServerConnection appends a cache-busting timestamp to every URL.
    seen.push({ url: request.url.replace(/[?&]\d+$/, ''), method: request.method, body: request.body ? await request.text() : null });
    return new Response(text, { status, statusText: status === 200 ? 'OK' : 'Error' });
  };
  return ServerConnection.makeSettings({ baseUrl: 'http://lab.test/base/', fetch });
}

async function failure(promise: Promise<unknown>): Promise<BigheadRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BigheadRequestError);
    return error as BigheadRequestError;
  }
  throw new Error('the call did not fail');
}

describe('requestAPI', () => {
  it('calls /bighead/api/<endPoint> under the base URL and returns the JSON body', async () => {
    const seen: ISeen[] = [];
    const body = await requestAPI<{ items: number[] }>(
      'jobs/j1/cancel',
      { method: 'POST', body: '{}' },
      serving(200, '{"items": [1, 2]}', seen)
    );
    expect(body).toEqual({ items: [1, 2] });
    expect(seen).toEqual([{ url: 'http://lab.test/base/bighead/api/jobs/j1/cancel', method: 'POST', body: '{}' }]);
  });

  it('returns null for an empty body', async () => {
    expect(await requestAPI('deployments/d1', { method: 'DELETE' }, serving(200, ''))).toBeNull();
  });

  it("throws the server's error code and message", async () => {
    const body = JSON.stringify({ error: 'not_found', message: 'no model "m"', details: { name: 'm' } });
    const error = await failure(requestAPI('models/m', {}, serving(404, body)));
    expect([error.status, error.code, error.message, error.details]).toEqual([404, 'not_found', 'no model "m"', { name: 'm' }]);
  });

  it('says the server extension is missing on a bare 404, and on any 404 of status', async () => {
    expect((await failure(requestAPI('models', {}, serving(404, 'Not Found')))).code).toBe('server_extension_missing');
    const body = JSON.stringify({ error: 'not_found', message: 'x' });
    expect((await failure(requestAPI('status', {}, serving(404, body)))).code).toBe('server_extension_missing');
  });

  it('names the HTTP status of an answer without an error body', async () => {
    const error = await failure(requestAPI('models', {}, serving(502, '<html>bad gateway</html>')));
    expect([error.status, error.code, error.message]).toEqual([502, 'http_error', 'The server answered 502 Error']);
  });

  it('says the server could not be reached when fetch fails', async () => {
    const fetch = (): Promise<Response> => Promise.reject(new TypeError('connection refused'));
    const settings = ServerConnection.makeSettings({ baseUrl: 'http://lab.test/', fetch });
    const error = await failure(requestAPI('status', {}, settings));
    expect(error.code).toBe('network_error');
    expect(error.message).toContain('connection refused');
  });

  it('is what the typed client sends through', async () => {
    const seen: ISeen[] = [];
    const settings = serving(200, '{"version": "1.0"}', seen);
    const client = new BigheadClient((endPoint, init) => requestAPI(endPoint, init, settings));
    expect(await client.status.get()).toEqual({ version: '1.0' });
    await client.models.rollbackAlias('my model', 'production');
    expect(seen.map(s => [s.method, s.url, s.body])).toEqual([
      ['GET', 'http://lab.test/base/bighead/api/status', null],
      ['POST', 'http://lab.test/base/bighead/api/models/my%20model/aliases/production/rollback', '{}']
    ]);
  });
});

describe('errorBody', () => {
  it("keeps the API's own body", () => {
    expect(errorBody({ error: 'conflict', message: 'exists' })).toEqual({ error: 'conflict', message: 'exists' });
  });

  it('reads an Open Inference Protocol error (error text, code beside it)', () => {
    expect(errorBody({ error: 'bad input', code: 'invalid_input', extra: 1 })).toEqual({
      error: 'invalid_input',
      message: 'bad input',
      details: { extra: 1 }
    });
    expect(errorBody({ error: 'bad input' })).toEqual({ error: 'error', message: 'bad input', details: undefined });
  });

  it('reads a nested {error: {code, message}} body', () => {
    expect(errorBody({ error: { code: 'oom', message: 'out of memory', limit: '1Gi' } })).toEqual({
      error: 'oom',
      message: 'out of memory',
      details: { limit: '1Gi' }
    });
  });

  it('returns null for anything else', () => {
    for (const value of [null, 'text', 42, {}, { error: 1 }, { error: { code: 'x' } }, { message: 'm' }]) {
      expect(errorBody(value)).toBeNull();
    }
  });
});

describe('errorText', () => {
  it('shows an error by its message and anything else as text', () => {
    expect(errorText(new BigheadRequestError(409, 'conflict', 'already there'))).toBe('already there');
    expect(errorText('plain')).toBe('plain');
  });
});
