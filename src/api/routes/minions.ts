/**
 * `/minions`: the registry's status documents, with checksums a poller can compare cheaply.
 *
 * `HEAD /minions` carries the registry's global checksum (MD5 hex over `<id>:<checksum>\n` for every
 * minion in id order) in `Content-MD5` and `X-Stormtower-Checksum`, and `HEAD /minions/:id` the
 * minion's own checksum. Both come straight from the current view, so a HEAD costs O(1) however large
 * the fleet; GET bodies are encodings the view cached, so a GET never re-encodes JSON either.
 */
import { createRoute, type z } from '@hono/zod-openapi';
import { setChecksum } from '../checksum-headers.js';
import { apiError } from '../errors.js';
import { ifNoneMatch, weakTag } from '../etag.js';
import type { RegistrySource } from '../feed/registry-source.js';
import { describedRoutes } from '../openapi/described-routes.js';
import { checksumHeaders, IF_NONE_MATCH } from '../openapi/headers.js';
import { answeredLater, bodiless, preEncodedJson } from '../openapi/pre-encoded.js';
import {
  ApiErrorSchema,
  MinionDocumentSchema,
  MinionIdParamSchema,
  MinionListSchema,
} from '../openapi/schemas.js';

/** The path segment of the event stream, which `/minions/:id` must leave to `minionEventRoutes`. */
const EVENTS_SEGMENT = 'events';

const listRoute = createRoute({
  method: 'get',
  path: '/minions',
  operationId: 'listMinions',
  summary: 'Every minion’s status document, in id order (HEAD: the checksum only)',
  parameters: [IF_NONE_MATCH],
  responses: {
    200: {
      description: 'The documents',
      headers: checksumHeaders(
        'The global checksum: MD5 over `<id>:<checksum>\\n` for every minion in id order',
      ),
      content: { 'application/json': { schema: MinionListSchema } },
    },
    304: { description: 'Unchanged since the `If-None-Match` tag' },
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/minions/{id}',
  operationId: 'getMinion',
  summary: 'One minion’s status document (HEAD: its checksum only)',
  request: { params: MinionIdParamSchema },
  parameters: [IF_NONE_MATCH],
  responses: {
    200: {
      description: 'The document',
      headers: checksumHeaders('The minion’s checksum: MD5 of its document without the top-level `os` key'),
      content: { 'application/json': { schema: MinionDocumentSchema } },
    },
    304: { description: 'Unchanged since the `If-None-Match` tag' },
    404: {
      description: 'No minion is registered under this id (`unknown-minion`; bodiless for HEAD)',
      content: { 'application/json': { schema: ApiErrorSchema } },
    },
  },
});

export function minionRoutes(registry: RegistrySource) {
  return describedRoutes()
    .openapi(listRoute, (c) => {
      // Hono answers HEAD through this GET handler, dropping the body; returning before listBody()
      // keeps HEAD from building a body nobody receives.
      const view = registry.current();
      const { global } = view;
      setChecksum(c, global);
      c.header('ETag', weakTag(global));
      if (ifNoneMatch(c.req.header('If-None-Match'), global)) return c.body(null, 304);
      if (c.req.method === 'HEAD') return bodiless(c, 200);
      const { parts, byteLength } = view.listBody();
      return preEncodedJson<z.infer<typeof MinionListSchema>>(c, streamOf(parts), {
        'Content-Length': String(byteLength),
      });
    })
    .openapi(oneRoute, async (c, next) => {
      const { id } = c.req.valid('param');
      // Falling through keeps the stream reachable whichever of the two route modules is mounted first.
      if (id === EVENTS_SEGMENT) {
        await next();
        return answeredLater(c);
      }
      const entry = registry.current().entries.get(id);
      if (!entry) {
        if (c.req.method === 'HEAD') return bodiless(c, 404);
        throw apiError(404, 'unknown-minion', `no minion is registered as "${id}"`);
      }
      setChecksum(c, entry.checksum);
      c.header('ETag', weakTag(entry.checksum));
      if (ifNoneMatch(c.req.header('If-None-Match'), entry.checksum)) return c.body(null, 304);
      if (c.req.method === 'HEAD') return bodiless(c, 200);
      return preEncodedJson<z.infer<typeof MinionDocumentSchema>>(c, entry.json);
    });
}

export type MinionRoutes = ReturnType<typeof minionRoutes>;

/** The pieces as a stream, so a large fleet's list is written out piece by piece, never joined. */
function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
