/**
 * How the frontend is put together: only the typed client sends requests.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', 'src');

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap(name => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('the frontend', () => {
  it('calls requestAPI only inside the API client', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(10);
    const outside = files
      .filter(path => !relative(SRC, path).startsWith('api'))
      .filter(path => /\brequestAPI\b|ServerConnection\.makeRequest/.test(readFileSync(path, 'utf8')))
      .map(path => relative(SRC, path));
    expect(outside).toEqual([]);
  });

  it('has no polling timer outside the one poller', () => {
    const outside = sources(SRC)
      .filter(path => relative(SRC, path) !== join('core', 'poller.ts'))
      .filter(path => /\bsetInterval\s*\(/.test(readFileSync(path, 'utf8')))
      .map(path => relative(SRC, path));
    expect(outside).toEqual([]);
  });
});
