/**
 * The API described once: `GET /openapi.json` is a valid OpenAPI 3.1 document (checked by a real
 * validator), served without the token, describing every route the app serves; request checks
 * answer in the API's error shape; and the typed client reads the JSON routes.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiOptions, createApp } from '../../src/api/app.js';
import { createStormtowerClient } from '../../src/api/client.js';
import { type ChangeFeed, createChangeFeed } from '../../src/api/feed/change-feed.js';
import { RelayTracker } from '../../src/api/relay-tracker.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeRegistry } from '../helpers/fake-registry.js';

const TOKEN = 'openapi-test-token';

const feeds: ChangeFeed[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

/** An app with every optional part switched on, so every route it can serve is mounted. */
function fullApp(overrides: Partial<ApiOptions> = {}) {
  const registry = new FakeRegistry();
  registry.put('web-1', 1);
  registry.put('db-1', 2);
  const feed = createChangeFeed(registry);
  feeds.push(feed);
  const app = createApp({
    table: new BoltTable(),
    log: silentLogger(),
    relayTimeoutMs: 1000,
    relayIdleTimeoutMs: 60_000,
    registry,
    feed,
    apiToken: TOKEN,
    corsOrigins: ['https://dash.example'],
    observer: { scrape: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }) },
    relays: new RelayTracker(),
    missingClients: () => [{ cname: 'old-1', lastSeen: '2026-12-05T20:00:00.000Z' }],
    fleetDetail: () => ({ minions: [], removed: [] }),
    // The routes are mounted whether or not the console was built; this test reads no file.
    consoleAssets: '/nonexistent/console',
    version: '9.8.7',
    ...overrides,
  });
  return { app, registry };
}

interface OpenApiDocument {
  openapi: string;
  info: { version: string; description: string };
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  security?: unknown[];
}

async function documentOf(app: ReturnType<typeof fullApp>['app']): Promise<OpenApiDocument> {
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as OpenApiDocument;
}

/** The validator's own input type: any JSON object. */
const asSpec = (document: OpenApiDocument): Record<string, unknown> => ({ ...document });

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    for (const overrides of [{}, { apiToken: undefined }, { publicHealth: true }]) {
      const document = await documentOf(fullApp(overrides).app);
      const result = await validator.validate(asSpec(document));
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
      expect(document.info.version).toBe('9.8.7');
    }
    // The validator is no rubber stamp: a response without its description is refused.
    const broken = await documentOf(fullApp().app);
    const healthy = broken.paths['/health']?.get?.responses['200'] as { description?: string } | undefined;
    expect(healthy?.description).toBeDefined();
    delete healthy?.description;
    expect((await validator.validate(asSpec(broken))).valid).toBe(false);
  });

  it('is served without the token, while the rest of the API still asks for it', async () => {
    const { app } = fullApp();
    expect((await app.request('/openapi.json')).status).toBe(200);
    expect((await app.request('/minions')).status).toBe(401);
    const document = await documentOf(app);
    expect(document.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(document.paths['/openapi.json']?.get?.security).toEqual([]);
  });

  it('marks /health and /ready as open only with --public-health', async () => {
    const closed = await documentOf(fullApp().app);
    expect(closed.paths['/health']?.get?.security).toBeUndefined();
    const open = await documentOf(fullApp({ publicHealth: true }).app);
    expect(open.paths['/health']?.get?.security).toEqual([]);
    expect(open.paths['/ready']?.get?.security).toEqual([]);
  });

  it('describes no security and no /session without a token', async () => {
    const document = await documentOf(fullApp({ apiToken: undefined }).app);
    expect(document.security).toBeUndefined();
    expect(document.paths['/session']).toBeUndefined();
  });

  it('describes X-Request-Id on the relay: optional in, always out but where no relay began', async () => {
    const document = await documentOf(fullApp().app);
    expect(document.info.description).toContain('X-Request-Id');
    const relay = document.paths['/proxy/{target}/{path}']?.post as unknown as {
      parameters: { name: string; in: string; required?: boolean; description: string }[];
      responses: Record<string, { headers?: Record<string, { required?: boolean }> }>;
    };
    const asked = relay.parameters.find((parameter) => parameter.name === 'X-Request-Id');
    expect(asked).toMatchObject({ in: 'header', required: false });
    expect(asked?.description).toContain('1-128 characters');
    for (const status of ['default', '403', '404', '413', '415', '502', '504'])
      expect(relay.responses[status]?.headers?.['X-Request-Id']?.required).toBe(true);
    expect(relay.responses['400']?.headers).toBeUndefined();
    expect(relay.responses['503']?.headers?.['X-Request-Id']?.required).toBe(false);
  });

  it('describes the console as public, and not at all without it (--no-ui)', async () => {
    const { app } = fullApp();
    expect((await app.request('/ui')).status).toBe(308);
    expect((await app.request('/ui/console.js')).status).toBe(503);
    const document = await documentOf(app);
    for (const path of ['/ui', '/ui/', '/ui/{file}']) expect(document.paths[path]?.get?.security).toEqual([]);
    expect(Object.keys(document.paths['/ui/{file}']?.get?.responses ?? {})).toEqual([
      '200',
      '304',
      '404',
      '503',
    ]);
    const noUi = await documentOf(fullApp({ consoleAssets: undefined }).app);
    expect(Object.keys(noUi.paths).filter((path) => path.startsWith('/ui'))).toEqual([]);
  });

  it('says Content-MD5 is the registry checksum in hex, and describes X-Stormtower-Checksum', async () => {
    const document = await documentOf(fullApp().app);
    expect(document.info.description).toContain('NOT the base64 MD5 of the body');
    for (const path of ['/minions', '/minions/{id}', '/clients']) {
      const ok = document.paths[path]?.get?.responses['200'] as { headers: Record<string, unknown> };
      expect(Object.keys(ok.headers)).toEqual(
        expect.arrayContaining(['Content-MD5', 'X-Stormtower-Checksum']),
      );
    }
  });
});

/**
 * Routes the app serves that the document does not describe as paths, each with why. A new route
 * must be described (`createRoute`, or `hand-described-paths.ts`), or listed here with a reason, to pass.
 */
const UNDESCRIBED: Readonly<Record<string, string>> = {
  // Middleware on every path (the token guard, the drain gate, the header relay), not a route.
  '/*': 'middleware',
  // CORS for the detail paths (`cors.ts`); the routes under them are described one by one.
  '/minions/*': 'middleware',
  '/clients/*': 'middleware',
};

/** Hono's wildcard mounts, as the document names them. */
const WILDCARD_PATHS: Readonly<Record<string, string>> = {
  '/proxy/*': '/proxy/{target}/{path}',
};

/** A hono route path as OpenAPI writes it: `/minions/:id` is `/minions/{id}`, `/ui/:file{[a-z.]*}` is `/ui/{file}`. */
const documentPath = (path: string): string =>
  WILDCARD_PATHS[path] ?? path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

/** The routes of `app` that `document` does not describe, as `METHOD path`. */
function undescribed(app: ReturnType<typeof fullApp>['app'], document: OpenApiDocument): string[] {
  const missing: string[] = [];
  for (const { method, path } of app.routes) {
    if (path in UNDESCRIBED) continue;
    const described = document.paths[documentPath(path)];
    // ALL is a middleware on a described path (compression, CORS) or a relay taking any method.
    if (!described || (method !== 'ALL' && !(method.toLowerCase() in described)))
      missing.push(`${method} ${path}`);
  }
  return missing;
}

describe('the document describes every route the app serves', () => {
  it('has a path (and the method, when the route has one) for each of app.routes', async () => {
    const { app } = fullApp();
    expect(undescribed(app, await documentOf(app))).toEqual([]);
    // Without a token there is no /session route, only the CORS middleware mounted on its path.
    const tokenless = fullApp({ apiToken: undefined }).app;
    expect(undescribed(tokenless, await documentOf(tokenless))).toEqual(['ALL /session']);
  });

  it('catches a route added without a description', async () => {
    const { app } = fullApp();
    app.get('/minions/:id/history', (c) => c.json([]));
    app.post('/minions', (c) => c.json({}));
    expect(undescribed(app, await documentOf(app))).toEqual(['GET /minions/:id/history', 'POST /minions']);
  });
});

describe('request checks', () => {
  it('answers a bad ?missing with 400 in the API error shape', async () => {
    const { app } = fullApp({ apiToken: undefined });
    const res = await app.request('/clients?missing=yes');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('bad-request');
    expect(body.message).toMatch(/^query "missing": /);
  });

  it('answers any other ?missing, and any minion or client id, in the error shape or with the resource', async () => {
    const { app } = fullApp({ apiToken: undefined });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme-composite' }), async (value) => {
        const res = await app.request(`/clients?missing=${encodeURIComponent(value)}`);
        if (value === '0' || value === '1') return expect(res.status).toBe(200);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toBe('bad-request');
      }),
    );
    await fc.assert(
      // `events` is the event stream's path, not an id.
      fc.asyncProperty(
        fc.string({ unit: 'grapheme-composite', minLength: 1 }).filter((id) => id !== 'events'),
        async (id) => {
          for (const path of [`/minions/${encodeURIComponent(id)}`, `/clients/${encodeURIComponent(id)}`]) {
            const res = await app.request(path);
            expect([200, 404]).toContain(res.status);
            if (res.status === 404)
              expect(await res.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
          }
        },
      ),
    );
  });

  it('takes ?missing=0 and ?missing=1', async () => {
    const { app } = fullApp({ apiToken: undefined });
    expect(await (await app.request('/clients?missing=1')).json()).toEqual([
      { cname: 'old-1', lastSeen: '2026-12-05T20:00:00.000Z' },
    ]);
    expect(await (await app.request('/clients?missing=0')).json()).toEqual([]);
  });
});

describe('the typed client', () => {
  const clientFor = (app: ReturnType<typeof fullApp>['app'], token?: string) =>
    createStormtowerClient('http://tower.test', {
      ...(token === undefined ? {} : { token }),
      fetch: (input: string | URL | Request, init?: RequestInit) => app.request(input, init),
    });

  it('lists and reads minions, with the checksum under both names', async () => {
    const { app, registry } = fullApp();
    const tower = clientFor(app, TOKEN);
    const list = await tower.minions.$get();
    expect(list.status).toBe(200);
    if (!list.ok) throw new Error('expected 200');
    expect((await list.json()).map((minion) => minion.id)).toEqual(['db-1', 'web-1']);
    expect(list.headers.get('X-Stormtower-Checksum')).toBe(registry.current().global);
    expect(list.headers.get('Content-MD5')).toBe(registry.current().global);

    const one = await tower.minions[':id'].$get({ param: { id: 'web-1' } });
    if (one.status !== 200) throw new Error(`expected 200, got ${one.status}`);
    expect((await one.json()).id).toBe('web-1');
    expect(one.headers.get('X-Stormtower-Checksum')).toBe(registry.checksums().get('web-1'));

    const unknown = await tower.minions[':id'].$get({ param: { id: 'web-9' } });
    if (unknown.status !== 404) throw new Error(`expected 404, got ${unknown.status}`);
    expect((await unknown.json()).error).toBe('unknown-minion');
  });

  it('reads clients, health and readiness, and is refused without the token', async () => {
    const { app } = fullApp();
    const tower = clientFor(app, TOKEN);
    const clients = await tower.clients.$get({ query: {} });
    expect(clients.status).toBe(200);
    expect(await clients.json()).toEqual([]);
    const health = await tower.health.$get();
    expect((await health.json()).status).toBe('ok');
    const ready = await tower.ready.$get();
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await clientFor(app).health.$get()).status).toBe(401);
  });

  it('reads the fleet and the minion machine', async () => {
    const { app, registry } = fullApp();
    const tower = clientFor(app, TOKEN);
    const fleet = await tower.fleet.$get();
    expect(fleet.headers.get('Cache-Control')).toBe('no-store');
    const body = await fleet.json();
    expect(body).toMatchObject({ minions: [], removed: [], global: registry.current().global });
    expect(body.startedAt).toBeLessThanOrEqual(body.at);
    const machine = await tower.fleet.machine.$get();
    const graph = await machine.json();
    expect(graph.initial).toBe('connecting');
    expect(graph.states.map((state) => state.name)).toContain('removed');
    // Behind the token like the rest of the read API.
    expect((await clientFor(app).fleet.$get()).status).toBe(401);
    expect((await clientFor(app).fleet.machine.$get()).status).toBe(401);
  });
});
