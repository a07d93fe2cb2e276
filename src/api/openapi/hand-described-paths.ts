/**
 * Descriptions of the routes that are not JSON in, JSON out, and so stay plain Hono handlers: the
 * relay (any method, bodies streamed through untouched), the change feed (an event stream written
 * straight to the socket), browser sign-in (a form or JSON body, a cookie back), the console's static
 * files and this document.
 * Their handlers live in `routes/`, `session/`; keep these in step with them (test/api/openapi.test.ts
 * fails on a served route that is described nowhere).
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { MAX_REQUEST_ID_LENGTH } from '../audit/request-id.js';
import { CONSOLE_PATH } from '../routes/console.js';
import { SESSION_COOKIE } from '../session/session-cookie.js';
import { ApiErrorSchema } from './schemas.js';

export const OPENAPI_PATH = '/openapi.json';

type OpenAPIRegistry = OpenAPIHono['openAPIRegistry'];

const errorContent = { 'application/json': { schema: ApiErrorSchema } };
const error = (description: string) => ({ description, content: errorContent });

/**
 * The relay's request id (`audit/request-id.ts` holds the rule): the client's own when well formed,
 * else a fresh UUID. A malformed id is replaced, never refused, so the request header has no pattern.
 */
export const REQUEST_ID_NAME = 'X-Request-Id';

const SAFE_ID_CHARACTERS = '`A-Z a-z 0-9 . _ ~ : @ + = / -`';

const requestIdHeader = z.object({
  [REQUEST_ID_NAME]: z
    .string()
    .optional()
    .openapi({
      param: { name: REQUEST_ID_NAME, in: 'header' },
      description:
        `The client's id for this request, kept when it is 1-${MAX_REQUEST_ID_LENGTH} characters of ` +
        `${SAFE_ID_CHARACTERS} and replaced by a fresh UUID otherwise (the request goes on). The minion ` +
        'receives it, and the audit line names the request by it.',
      example: 'checkout-7f3a',
    }),
});

const requestIdAnswered = {
  [REQUEST_ID_NAME]: {
    description: "Always: the request's id, the client's own when kept, else the UUID the tower gave it",
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH },
  },
} as const;

/** A relay error: the error shape, with the request id like any relayed answer. */
const relayError = (description: string) => ({ ...error(description), headers: requestIdAnswered });

const STRING = { type: 'string' } as const;

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
        'with the error shape. Every answer once the target is read, the minion’s or the tower’s, carries ' +
        '`X-Request-Id` (but a `draining` refusal).',
      request: { params, headers: requestIdHeader },
      responses: {
        default: {
          description: 'The minion’s answer, relayed as it came (its own `X-Request-Id` is replaced)',
          headers: requestIdAnswered,
        },
        400: error(
          '`bad-target`: not `<cname>@<port>` with a valid cname and port (no relay, so no request id)',
        ),
        403: relayError('`port-not-allowed`: the minion does not offer this port'),
        404: relayError('`unknown-minion`: no bolt is connected as this cname'),
        413: relayError('`body-too-large`: the request body is over the relay limit'),
        415: relayError('`unsupported-body`: a legacy agent cannot take this body'),
        502: relayError(
          '`upstream-unreachable`, `upstream-failed`, `bolt-lost` or `protocol`: the relay failed',
        ),
        503: {
          ...error('`not-ready`, `refused`, or `draining` (the tower is shutting down)'),
          headers: {
            [REQUEST_ID_NAME]: {
              ...requestIdAnswered[REQUEST_ID_NAME],
              description:
                'As on every relay, except on `draining`: a draining tower refuses before relaying',
              required: false,
            },
          },
        },
        504: relayError('`timeout`: no answer within `--relay-timeout`'),
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

function describeConsole(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: CONSOLE_PATH,
    operationId: 'consoleRedirect',
    tags: ['console'],
    summary: 'Redirects to `/ui/`, so the page’s relative URLs resolve',
    security: [],
    responses: {
      308: {
        description: 'To the console',
        headers: { Location: { description: '`/ui/`', schema: { type: 'string' } } },
      },
    },
  });
  const served = (what: string) => ({
    description: `${what}; with \`ETag\`, a strict \`Content-Security-Policy\` (this origin only), \`Cache-Control: no-cache\``,
    headers: {
      ETag: { description: 'Send it back in `If-None-Match` for a bodiless 304', schema: STRING },
      'Content-Security-Policy': { schema: STRING },
    },
    content: {
      'text/html': { schema: z.string() },
      'text/javascript': { schema: z.string() },
      'text/css': { schema: z.string() },
    },
  });
  const notBuilt = error('`console-not-built`: the console’s files were not built (`npm run build`)');
  const description =
    'The fleet console, a single page of static files. Public: the page holds no secret and reads the API ' +
    'with the session cookie (`POST /session`), so it is served without the token. Absent with `--no-ui`.';
  registry.registerPath({
    method: 'get',
    path: `${CONSOLE_PATH}/`,
    operationId: 'consolePage',
    tags: ['console'],
    summary: 'The console’s page (`index.html`)',
    description,
    security: [],
    responses: {
      200: served('The page, `text/html`'),
      304: { description: 'Unchanged since the `If-None-Match` tag' },
      503: notBuilt,
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${CONSOLE_PATH}/{file}`,
    operationId: 'consoleFile',
    tags: ['console'],
    summary: 'One of the console’s files: its page, script and style sheet',
    description,
    security: [],
    request: {
      params: z.object({
        file: z
          .string()
          .regex(/^[A-Za-z0-9._-]+$/)
          .openapi({
            param: { name: 'file', in: 'path' },
            description: 'A file name, no folders',
            example: 'console.js',
          }),
      }),
    },
    responses: {
      200: served('The file: `text/html`, `text/javascript` or `text/css` (UTF-8)'),
      304: { description: 'Unchanged since the `If-None-Match` tag' },
      404: error('`not-found`: the console has no file of this name'),
      503: notBuilt,
    },
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
  /** Whether the console's files are served at `/ui/` (not with `--no-ui`). */
  readonly console: boolean;
}

export function describeHandWrittenRoutes(registry: OpenAPIRegistry, served: HandDescribed): void {
  describeRelay(registry);
  describeEvents(registry);
  if (served.sessions) describeSession(registry);
  if (served.console) describeConsole(registry);
  describeDocument(registry);
}
