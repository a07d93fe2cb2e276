/**
 * Descriptions of the routes that are not JSON in, JSON out, and so stay plain Hono handlers: the
 * relay (any method, bodies streamed through untouched), the change feed (an event stream written
 * straight to the socket), browser sign-in (a form or JSON body, a cookie back) and this document.
 * Their handlers live in `routes/`, `session/`; keep these in step with them (test/api/openapi.test.ts
 * fails on a served route that is described nowhere).
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { SESSION_COOKIE } from '../session/session-cookie.js';
import { ApiErrorSchema } from './schemas.js';

export const OPENAPI_PATH = '/openapi.json';

type OpenAPIRegistry = OpenAPIHono['openAPIRegistry'];

const errorContent = { 'application/json': { schema: ApiErrorSchema } };
const error = (description: string) => ({ description, content: errorContent });

/** Every method the relay takes: any is relayed as it came. */
const RELAY_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function describeRelay(registry: OpenAPIRegistry): void {
  const params = z.object({
    target: z.string().openapi({
      param: { name: 'target', in: 'path' },
      description: '`<cname>@<port>`: the minion and its port (1-65535) to relay to',
      example: 'web-1@8080',
    }),
    path: z.string().openapi({
      param: { name: 'path', in: 'path' },
      description: 'The path on the minion, slashes included; the query string is relayed as it came',
      example: 'status',
    }),
  });
  for (const method of RELAY_METHODS) {
    registry.registerPath({
      method,
      path: '/proxy/{target}/{path}',
      operationId: `relay${method[0]?.toUpperCase()}${method.slice(1)}`,
      tags: ['relay'],
      summary: `Relays a ${method.toUpperCase()} to a port of a minion, bodies streamed both ways`,
      description:
        'Any method is relayed (also to `/proxy/<cname>@<port>` with no path). Hop-by-hop headers and the ' +
        'tower’s own bearer token and session cookie are not relayed; `X-Forwarded-For`/`-Proto` are the ' +
        'tower’s. The answer is the minion’s, whatever its status; the statuses below are the tower’s own, ' +
        'with the error shape.',
      request: { params },
      responses: {
        default: { description: 'The minion’s answer, relayed as it came' },
        400: error('`bad-target`: not `<cname>@<port>` with a valid cname and port'),
        403: error('`port-not-allowed`: the minion does not offer this port'),
        404: error('`unknown-minion`: no bolt is connected as this cname'),
        413: error('`body-too-large`: the request body is over the relay limit'),
        415: error('`unsupported-body`: a legacy agent cannot take this body'),
        502: error('`upstream-unreachable`, `upstream-failed`, `bolt-lost` or `protocol`: the relay failed'),
        503: error('`not-ready`, `refused`, or `draining` (the tower is shutting down)'),
        504: error('`timeout`: no answer within `--relay-timeout`'),
      },
    });
  }
}

function describeEvents(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/minions/events',
    operationId: 'minionEvents',
    tags: ['minions'],
    summary: 'The registry’s changes as server-sent events',
    description: [
      'A `text/event-stream`. It opens with `retry: <ms>` (`--feed-retry`), then:',
      '',
      '- `snapshot`: `{"global": …, "minions": [{"id", "checksum"}…]}`, the whole registry;',
      '- `added`, `changed`, `removed`: `{"id", "checksum" (null on removed), "global"}`;',
      '- `dropped`: `{"reason": "backlog", …}`, this subscriber left too much unread and is let go;',
      '- `shutdown`: `{"reason": "shutdown", …}` with a jittered `retry:`, the tower is draining.',
      '',
      'Every message has an `id:`; reconnecting with `Last-Event-ID` resumes without a gap while the',
      'feed still holds what was missed, and starts from a fresh `snapshot` otherwise. An idle stream',
      'gets `: keep-alive` comments. HEAD answers the headers without opening a stream.',
    ].join('\n'),
    request: {
      headers: z.object({
        'Last-Event-ID': z
          .string()
          .optional()
          .openapi({ param: { name: 'Last-Event-ID', in: 'header' }, description: 'The last id received' }),
      }),
    },
    responses: {
      200: {
        description: 'The stream',
        content: { 'text/event-stream': { schema: z.string().openapi({ example: 'retry: 3000\n\n' }) } },
      },
      503: error('`feed-closed`: the change feed has stopped'),
    },
  });
}

function describeSession(registry: OpenAPIRegistry): void {
  const signIn = z.object({ token: z.string().min(1).openapi({ description: 'The API token' }) });
  registry.registerPath({
    method: 'post',
    path: '/session',
    operationId: 'signIn',
    tags: ['session'],
    summary: 'Signs a browser in: a session cookie for the API token',
    security: [],
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: signIn },
          'application/x-www-form-urlencoded': { schema: signIn },
          'multipart/form-data': { schema: signIn },
        },
      },
    },
    responses: {
      204: {
        description: `Signed in: \`Set-Cookie: ${SESSION_COOKIE}=…; HttpOnly; SameSite=Strict; Path=/\``,
        headers: { 'Set-Cookie': { schema: { type: 'string' } } },
      },
      400: error('`bad-body`: no non-empty `token` string'),
      401: error('`unauthorized`: wrong token'),
      413: error('`body-too-large`: over 8 KiB'),
      415: error('`unsupported-body`: neither JSON nor a form'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/session',
    operationId: 'signOut',
    tags: ['session'],
    summary: 'Signs a browser out: the session is forgotten and the cookie cleared',
    security: [],
    responses: { 204: { description: 'Signed out' } },
  });
}

function describeDocument(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: OPENAPI_PATH,
    operationId: 'getOpenApiDocument',
    summary: 'This document (OpenAPI 3.1); served without the API token, as it holds no secret',
    security: [],
    responses: {
      200: {
        description: 'The document',
        content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
      },
    },
  });
}

export interface HandDescribed {
  /** Whether `/session` is served (only with an API token). */
  readonly sessions: boolean;
}

export function describeHandWrittenRoutes(registry: OpenAPIRegistry, served: HandDescribed): void {
  describeRelay(registry);
  describeEvents(registry);
  if (served.sessions) describeSession(registry);
  describeDocument(registry);
}
