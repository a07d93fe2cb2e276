/**
 * `/ui/` on a real tower: the built files with a strict CSP and entity tags, served without the API
 * token (the page is not secret; the data behind it is); a clear 503 when the console was not built;
 * nothing at all with `ui: false`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { NEVER } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import { type ApiErrorBody, api, closeAll, tempDir, tower } from '../helpers/harness.js';

afterEach(closeAll);

async function builtConsole(): Promise<string> {
  const dir = join(await tempDir('stormtower-console-'), 'console');
  await mkdir(dir);
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dir, 'console.js'), 'console.log(1)');
  await writeFile(join(dir, 'notes.txt'), 'not served');
  return dir;
}

describe('GET /ui/', () => {
  it('serves the page and its script without the token, with a strict CSP and an ETag', async () => {
    const t = await tower({ apiToken: 'secret', consoleAssets: await builtConsole() });
    const page = await api(t, '/ui/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>console</title>');
    const script = await api(t, '/ui/console.js');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const etag = script.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await api(t, '/ui/console.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // The data stays behind the token.
    expect((await api(t, '/fleet')).status).toBe(401);
  });

  it('redirects /ui to /ui/ and refuses names it does not hold', async () => {
    const t = await tower({ consoleAssets: await builtConsole() });
    const bare = await api(t, '/ui', { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/ui/');
    for (const path of ['/ui/notes.txt', '/ui/missing.js', '/ui/..%2Fpackage.json']) {
      expect((await api(t, path)).status, path).toBe(404);
    }
  });

  it('answers 503 console-not-built when the files are missing', async () => {
    const t = await tower({ consoleAssets: await tempDir('stormtower-empty-') });
    const res = await api(t, '/ui/');
    expect(res.status).toBe(503);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error).toBe('console-not-built');
    expect(body.message).toContain('npm run build');
  });

  it('is absent with ui off', async () => {
    const t = await tower({ ui: false, consoleAssets: await builtConsole() });
    expect(t.consoleUrl).toBeUndefined();
    expect((await api(t, '/ui/')).status).toBe(404);
  });
});

describe('GET /ui/<anything>', () => {
  it('serves only the built files by their names, and anything else is a 404, never a crash', async () => {
    const dir = await builtConsole();
    const registry = createRegistry(NEVER);
    const app = createApp({
      table: new BoltTable(),
      log: silentLogger(),
      relayTimeoutMs: 1000,
      relayIdleTimeoutMs: 60_000,
      registry,
      feed: createChangeFeed(registry),
      consoleAssets: dir,
    });
    const served = new Set(['', 'index.html', 'console.js']);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.constantFrom('.', '..', '../package.json', 'notes.txt', '%2e%2e')),
        async (name) => {
          const res = await app.request(`/ui/${encodeURIComponent(name)}`);
          // encodeURIComponent leaves '.' as it is, and the URL parser resolves `/ui/.` to `/ui/`.
          expect(res.status).toBe(served.has(name === '.' ? '' : name) ? 200 : 404);
        },
      ),
      { numRuns: 300 },
    );
  });
});
