/**
 * `/clients` and `/health` against a real tower with real agents, plus the clock-dependent health
 * fields in-process through `app.request()`.
 */
import { createHash } from 'node:crypto';
import { NEVER } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createStormtowerClient } from '../../src/api/client.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import type { RunningTower } from '../../src/tower.js';
import { type ApiErrorBody, agent, announced, api, closeAll, eventually, tower } from '../helpers/harness.js';

afterEach(closeAll);

interface ClientView {
  cname: string;
  ports: number[];
  address: string;
  connectedAt: string;
  transport: string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const expectedDigest = (cnames: string[]) =>
  md5(
    [...cnames]
      .sort()
      .map((cname) => `${cname}\n`)
      .join(''),
  );

async function fleet(cnames: string[]): Promise<RunningTower> {
  const t = await tower();
  // Connected out of order on purpose: the listing is sorted, not in arrival order.
  for (const [i, cname] of cnames.entries()) {
    await agent(t.boltUrl, cname, [8000 + i, 9000 + i]);
    await announced(t, cname);
  }
  return t;
}

describe('GET /clients', () => {
  it('lists connected bolts sorted by cname, with ports, address, connectedAt and transport', async () => {
    const before = Date.now();
    const t = await fleet(['charlie', 'alpha', 'bravo']);
    const res = await api(t, '/clients');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const clients = (await res.json()) as ClientView[];
    expect(clients.map(({ cname }) => cname)).toEqual(['alpha', 'bravo', 'charlie']);
    // Other layers may add fields (the registry adds its state); these five are the contract.
    expect(clients[0]).toMatchObject({
      cname: 'alpha',
      ports: [8001, 9001],
      address: '127.0.0.1',
      connectedAt: expect.any(String),
      transport: 'ws',
    });
    for (const client of clients) {
      expect(Object.keys(client)).toEqual(
        expect.arrayContaining(['address', 'cname', 'connectedAt', 'ports', 'transport']),
      );
      const at = Date.parse(client.connectedAt);
      expect(new Date(at).toISOString()).toBe(client.connectedAt);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(Date.now());
    }
  });

  it('answers an empty list when nothing is connected', async () => {
    const t = await tower();
    expect(await (await api(t, '/clients')).json()).toEqual([]);
  });

  it('shows one client by cname, and 404 with the JSON body for an unknown one (typed client)', async () => {
    const t = await fleet(['alpha', 'bravo']);
    const client = createStormtowerClient(t.apiUrl);
    const one = await client.clients[':id'].$get({ param: { id: 'bravo' } });
    if (one.status !== 200) throw new Error(`expected 200, got ${one.status}`);
    const bravo = await one.json();
    expect(bravo).toMatchObject({ cname: 'bravo', ports: [8001, 9001], transport: 'ws' });

    const missing = await client.clients[':id'].$get({ param: { id: 'nobody' } });
    if (missing.status !== 404) throw new Error(`expected 404, got ${missing.status}`);
    expect(await missing.json()).toEqual({ error: 'unknown-client', message: expect.any(String) });
  });

  it('refuses ?missing other than 0 or 1 with 400 in the error shape', async () => {
    const t = await tower();
    const res = await api(t, '/clients?missing=true');
    expect(res.status).toBe(400);
    expect((await res.json()) as ApiErrorBody).toEqual({ error: 'bad-request', message: expect.any(String) });
  });
});

describe('HEAD /clients', () => {
  it('answers 200 with no body and Content-MD5 over the sorted cnames', async () => {
    const t = await tower();
    const empty = await api(t, '/clients', { method: 'HEAD' });
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-md5')).toBe(md5(''));
    expect(await empty.text()).toBe('');

    for (const cname of ['zulu', 'mike', 'alpha']) {
      await agent(t.boltUrl, cname, [1]);
      await announced(t, cname);
    }
    const res = await api(t, '/clients', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('content-md5')).toBe(md5('alpha\nmike\nzulu\n'));
    expect(res.headers.get('content-md5')).toBe(expectedDigest(['zulu', 'mike', 'alpha']));
    expect(res.headers.get('x-stormtower-checksum')).toBe(res.headers.get('content-md5'));
    // The GET carries the same digest as the HEAD, under both names.
    const get = await api(t, '/clients');
    expect(get.headers.get('content-md5')).toBe(res.headers.get('content-md5'));
    expect(get.headers.get('x-stormtower-checksum')).toBe(res.headers.get('content-md5'));
  });

  it('changes the digest when a bolt leaves', async () => {
    const t = await tower();
    await agent(t.boltUrl, 'stays', [1]);
    const leaving = await agent(t.boltUrl, 'leaves', [1]);
    await announced(t, 'stays');
    await announced(t, 'leaves');
    const digest = async () => (await api(t, '/clients', { method: 'HEAD' })).headers.get('content-md5');
    expect(await digest()).toBe(expectedDigest(['leaves', 'stays']));
    await leaving.close();
    await eventually(async () => (await digest()) === expectedDigest(['stays']));
  });
});

describe('GET /health', () => {
  it('counts the connected bolts', async () => {
    const t = await tower();
    const health = async () => (await (await api(t, '/health')).json()) as Record<string, unknown>;
    expect(await health()).toEqual({ status: 'ok', uptime: expect.any(Number), bolts: 0 });
    const one = await agent(t.boltUrl, 'one', [1]);
    await agent(t.boltUrl, 'two', [1]);
    await eventually(async () => (await health()).bolts === 2);
    await one.close();
    await eventually(async () => (await health()).bolts === 1);
  });

  it('reports uptime in whole seconds since the start', async () => {
    // A stopped clock: on a busy machine the real one may pass the rounding edge mid-test.
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
    try {
      const registry = createRegistry(NEVER);
      const app = createApp({
        table: new BoltTable(),
        log: silentLogger(),
        relayTimeoutMs: 1000,
        relayIdleTimeoutMs: 60_000,
        startedAt: Date.now() - 90_400,
        registry,
        feed: createChangeFeed(registry),
      });
      const res = await app.request('/health');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', uptime: 90, bolts: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});
