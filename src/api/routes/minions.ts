/**
 * `/minions`: the registry's status documents, with checksums a poller can compare cheaply.
 *
 * `HEAD /minions` carries `Content-MD5`, the registry's global checksum (MD5 hex over
 * `<id>:<checksum>\n` for every minion in id order), and `HEAD /minions/:id` the minion's own
 * checksum. Both come straight from the current view, so a HEAD costs O(1) however large the fleet;
 * GET bodies are encodings the view cached, so a GET never re-encodes JSON either.
 */
import { Hono } from 'hono';
import type { ApiEnv } from '../bindings.js';
import { apiError } from '../errors.js';
import { ifNoneMatch, weakTag } from '../etag.js';
import type { RegistrySource } from '../feed/registry-source.js';

/** The path segment of the event stream, which `/minions/:id` must leave to `minionEventRoutes`. */
const EVENTS_SEGMENT = 'events';

const JSON_TYPE = 'application/json';

export function minionRoutes(registry: RegistrySource): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get('/minions', (c) => {
      // Hono answers HEAD through this GET handler, dropping the body; returning before listBody()
      // keeps HEAD from building a body nobody receives.
      const view = registry.current();
      const { global } = view;
      c.header('Content-MD5', global);
      c.header('ETag', weakTag(global));
      if (ifNoneMatch(c.req.header('If-None-Match'), global)) return c.body(null, 304);
      if (c.req.method === 'HEAD') return c.body(null, 200);
      const { parts, byteLength } = view.listBody();
      return c.body(streamOf(parts), 200, {
        'Content-Type': JSON_TYPE,
        'Content-Length': String(byteLength),
      });
    })
    .get('/minions/:id', (c, next) => {
      const id = c.req.param('id');
      // Falling through keeps the stream reachable whichever of the two route modules is mounted first.
      if (id === EVENTS_SEGMENT) return next();
      const entry = registry.current().entries.get(id);
      if (!entry) {
        if (c.req.method === 'HEAD') return c.body(null, 404);
        throw apiError(404, 'unknown-minion', `no minion is registered as "${id}"`);
      }
      c.header('Content-MD5', entry.checksum);
      c.header('ETag', weakTag(entry.checksum));
      if (ifNoneMatch(c.req.header('If-None-Match'), entry.checksum)) return c.body(null, 304);
      if (c.req.method === 'HEAD') return c.body(null, 200);
      return c.body(entry.json, 200, { 'Content-Type': JSON_TYPE });
    });
}

/** The pieces as a stream, so a large fleet's list is written out piece by piece, never joined. */
function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
