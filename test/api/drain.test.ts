/**
 * A tower's drain seen from the API, in-process with real sockets: event-stream subscribers get a
 * final `shutdown` event with a jittered `retry:`, a relay asked for on a kept-alive connection is
 * refused 503 `draining` while the one in flight finishes, and `--public-health` lets probes read
 * `/health` and `/ready` without the token (and nothing else).
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ShutdownData } from '../../src/api/feed/sse-wire.js';
import { healthRoutes } from '../../src/api/routes/health.js';
import type { TowerPhase } from '../../src/api/tower-phase.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { agent, announced, api, closeAll, service, tower } from '../helpers/harness.js';

afterEach(closeAll);

/** One request over `agent` (a kept-alive connection), read to the end. */
function request(
  url: string,
  kept: http.Agent,
): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: kept }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('drain: event streams', () => {
  it('ends each stream with a shutdown event whose retry is between one and two --feed-retry', async () => {
    const running = await tower({ feedRetry: 1000 });
    const res = await api(running, '/minions/events');
    expect(res.status).toBe(200);
    // The whole stream, read until the drain ends it.
    const text = res.text();
    const summary = await running.drain();
    const body = await text;
    const last = /retry: (\d+)\nevent: shutdown\ndata: (.*)\nid: (\d+)\n\n$/.exec(body);
    expect(last, body).not.toBeNull();
    const [, retry, data, id] = last ?? [];
    const shutdown = JSON.parse(data ?? '') as ShutdownData;
    expect(shutdown).toMatchObject({ reason: 'shutdown', lastEventId: id, retryMs: Number(retry) });
    expect(shutdown.retryMs).toBeGreaterThanOrEqual(1000);
    expect(shutdown.retryMs).toBeLessThan(2000);
    // The snapshot's id: EventSource resumes from it with Last-Event-ID.
    expect(body).toContain(`event: snapshot\n`);
    expect(body).toMatch(new RegExp(`id: ${id}\\n\\n[^]*event: shutdown`));
    expect(summary).toMatchObject({ subscribersToldToReconnect: 1, relaysFinished: 0, relaysCut: 0 });
  });
});

describe('drain: relays', () => {
  it('finishes the relay in flight and refuses a new one on a kept-alive connection', async () => {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const port = await service((req, res) => {
      if (req.url !== '/slow') return res.end('quick');
      release = () => res.end('done');
      arrived();
    });
    const running = await tower();
    await agent(running.boltUrl, 'web-1', [port]);
    await announced(running, 'web-1');

    const slow = api(running, `/proxy/web-1@${port}/slow`).then(
      async (res) => `${res.status} ${await res.text()}`,
    );
    await reached;
    const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(`${running.apiUrl}/ready`, kept)).status).toBe(200);

    const drained = running.drain();
    const refused = await request(`${running.apiUrl}/proxy/web-1@${port}/quick`, kept);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'draining' });
    // The client is asked to take its next request elsewhere.
    expect(refused.connection).toBe('close');
    kept.destroy();

    release();
    expect(await slow).toBe('200 done');
    expect(await drained).toMatchObject({
      relaysFinished: 1,
      relaysCut: 0,
      relaysRefused: 1,
      boltsToldToRedial: 1,
    });
  });
});

describe('--public-health', () => {
  it('answers GET /health and /ready without the token, and nothing else', async () => {
    const running = await tower({ apiToken: 's3cret', publicHealth: true });
    expect((await api(running, '/health')).status).toBe(200);
    expect(await (await api(running, '/ready')).json()).toEqual({ status: 'ready' });
    expect((await api(running, '/health', { method: 'HEAD' })).status).toBe(200);
    expect((await api(running, '/clients')).status).toBe(401);
    expect((await api(running, '/minions')).status).toBe(401);
    expect((await api(running, '/health', { method: 'POST' })).status).toBe(401);
    expect((await api(running, '/clients', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(
      200,
    );
  });

  it('keeps /health behind the token without it', async () => {
    const running = await tower({ apiToken: 's3cret' });
    expect((await api(running, '/health')).status).toBe(401);
    expect((await api(running, '/ready')).status).toBe(401);
  });
});

describe('/ready through the tower phase', () => {
  it('says starting before the listeners are up and draining once a drain began; /health stays 200', async () => {
    let phase: TowerPhase = 'starting';
    const routes = healthRoutes(new BoltTable(), Date.now(), undefined, () => phase);
    const ready = async () => {
      const res = await routes.request('/ready');
      return [res.status, ((await res.json()) as { status: string }).status];
    };
    expect(await ready()).toEqual([503, 'starting']);
    phase = 'serving';
    expect(await ready()).toEqual([200, 'ready']);
    phase = 'draining';
    expect(await ready()).toEqual([503, 'draining']);
    const health = await routes.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', draining: true });
  });
});
