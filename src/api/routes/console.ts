/**
 * `GET /ui/`: the fleet console, a single page built from src/console/ into static files. The page
 * is not secret (the data is), so it is served before the API token guard; its script then reads
 * the API with the session cookie, or shows a sign-in form when the API answers 401.
 *
 * A strict Content-Security-Policy keeps the page to its own origin: no inline script, no CDN, no
 * request anywhere but this tower. `/ui` redirects to `/ui/` so the page's relative URLs resolve.
 */
import { Hono } from 'hono';
import type { ApiEnv } from '../bindings.js';
import { type ConsoleAsset, loadConsoleAssets } from '../console/console-assets.js';
import { apiError } from '../errors.js';
import { ifNoneMatch } from '../etag.js';

export const CONSOLE_PATH = '/ui';

export const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function consoleRoutes(assetsDir: string): Hono<ApiEnv> {
  let loading: Promise<ReadonlyMap<string, ConsoleAsset> | undefined> | undefined;
  const assets = async () => {
    loading ??= loadConsoleAssets(assetsDir);
    const loaded = await loading;
    // Not built yet: look again next time, so a build while the tower runs is picked up.
    if (loaded === undefined) loading = undefined;
    return loaded;
  };
  return new Hono<ApiEnv>()
    .get(CONSOLE_PATH, (c) => c.redirect(`${CONSOLE_PATH}/`, 308))
    .get(`${CONSOLE_PATH}/:file{[A-Za-z0-9._-]*}`, async (c) => {
      const files = await assets();
      if (files === undefined) {
        throw apiError(
          503,
          'console-not-built',
          `the console's files are not in ${assetsDir}: run "npm run build" (or start with --no-ui)`,
        );
      }
      const name = c.req.param('file') || 'index.html';
      const asset = files.get(name);
      if (asset === undefined) throw apiError(404, 'not-found', `the console has no file "${name}"`);
      c.header('ETag', asset.etag);
      c.header('Content-Security-Policy', CONSOLE_CSP);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Referrer-Policy', 'no-referrer');
      c.header('Cache-Control', 'no-cache');
      if (ifNoneMatch(c.req.header('If-None-Match'), asset.etag.slice(1, -1))) return c.body(null, 304);
      return c.body(asset.body, 200, { 'Content-Type': asset.type });
    });
}
