import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/errors.js';
import { headerRelay, parseTarget } from '../../src/api/header-relay.js';
import type { BoltTable } from '../../src/link/bolt-table.js';
import { LimitLog } from '../../src/log/limit-log.js';
import { silentLogger } from '../../src/log/logger.js';
import { type ApiErrorBody, agent, announced, api, closeAll, service } from '../helpers/harness.js';
import { serveApp } from '../helpers/serve-app.js';
import { framesOf, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

const echoService = () =>
  service((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });

/** An HTTP server with the middleware in front of one ordinary route. */
async function relayApp(table: BoltTable): Promise<string> {
  const app = new Hono();
  app.onError(errorHandler(silentLogger()));
  app.use(
    '*',
    headerRelay(table, {
      relayTimeoutMs: 5000,
      relayIdleTimeoutMs: 60_000,
      dropHeaders: new Set(['host']),
      limitLog: new LimitLog(silentLogger()),
    }),
  );
  app.get('/local', (c) => c.text('the tower itself'));
  return serveApp(app);
}

const target = (value: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), 'stormbolt-target': value },
});

describe('header relay', () => {
  it('relays to a legacy and a WebSocket minion as /proxy would', async () => {
    const port = await echoService();
    const legacy = await legacyTower();
    await legacyAgent(legacy, 'alpha', [port]);
    await agent(legacy.t.boltUrl, 'fleet:beta', [port]);
    await Promise.all([legacyAnnounced(legacy, 'alpha'), announced(legacy.t, 'fleet:beta')]);
    const url = await relayApp(legacy.t.table);

    const viaLegacy = await fetch(
      `${url}/packages?all=1`,
      target(`alpha:${port}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"openvpn-storm"}',
      }),
    );
    expect(viaLegacy.status).toBe(200);
    expect(await viaLegacy.json()).toMatchObject({
      method: 'POST',
      url: '/packages?all=1',
      body: '{"name":"openvpn-storm"}',
    });

    // The cname holds a colon: the port is what follows the last one.
    const viaWs = await fetch(
      `${url}/hello?x=1`,
      target(`fleet:beta:${port}`, { headers: { 'x-test': 'yes' } }),
    );
    expect(viaWs.status).toBe(200);
    const echo = (await viaWs.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', url: '/hello?x=1' });
    expect(echo.headers['x-test']).toBe('yes');
    expect(echo.headers).not.toHaveProperty('stormbolt-target');

    // No header: the request is the tower's own.
    expect(await (await fetch(`${url}/local`)).text()).toBe('the tower itself');
  });

  it('answers 404 for an unknown minion, 400 for a malformed target, 403 for a port it does not offer', async () => {
    const port = await echoService();
    const legacy = await legacyTower();
    const alpha = await legacyAgent(legacy, 'alpha', [port]);
    await legacyAnnounced(legacy, 'alpha');
    const url = await relayApp(legacy.t.table);
    const expectError = async (res: Response, status: number, error: string) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as ApiErrorBody).error).toBe(error);
    };
    await expectError(await fetch(`${url}/x`, target(`ghost:${port}`)), 404, 'unknown-minion');
    for (const bad of [
      'alpha',
      `:${port}`,
      'alpha:',
      'alpha:0',
      'alpha:70000',
      'alpha:5x',
      'bad name:5000',
    ]) {
      await expectError(await fetch(`${url}/x`, target(bad)), 400, 'bad-target');
    }
    await expectError(await fetch(`${url}/x`, target(`alpha:${port + 1}`)), 403, 'port-not-allowed');
    expect(
      framesOf(alpha, 'new').filter((frame) =>
        String((frame[2] as { meta?: unknown }).meta).startsWith('relay:'),
      ),
    ).toEqual([]);
  });

  it('is absent when not mounted: the header changes nothing on the tower API', async () => {
    const port = await echoService();
    const legacy = await legacyTower();
    const alpha = await legacyAgent(legacy, 'alpha', [port]);
    await legacyAnnounced(legacy, 'alpha');
    const clients = await api(legacy.t, '/clients', target(`alpha:${port}`));
    expect(clients.status).toBe(200);
    expect(((await clients.json()) as { cname: string }[]).map(({ cname }) => cname)).toEqual(['alpha']);
    const unknown = await api(legacy.t, '/packages', target(`alpha:${port}`));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ApiErrorBody).error).toBe('not-found');
    expect(framesOf(alpha, 'new', `relay:${port}`)).toEqual([]);
  });
});

describe('parseTarget', () => {
  it('splits on the last colon', () => {
    expect(parseTarget('a:b:c:8000')).toEqual({ cname: 'a:b:c', port: 8000 });
    expect(parseTarget(' alpha:5000 ')).toEqual({ cname: 'alpha', port: 5000 });
  });
});
