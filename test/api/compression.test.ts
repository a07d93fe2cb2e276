/**
 * br and gzip on `/minions`, `/clients` and `/fleet` over real HTTP: the raw bytes on the wire (node:http,
 * which does not decode) decode to the same JSON as the plain answer; HEAD, 304 and small bodies
 * go out unencoded, and `q=0` is a refusal.
 */
import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { chooseEncoding } from '../../src/api/compression.js';
import type { FleetMinion } from '../../src/api/console/fleet-contract.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeBolt } from '../helpers/fake-bolt.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { closeAll } from '../helpers/harness.js';
import { serveApp } from '../helpers/serve-app.js';

afterEach(closeAll);

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request whose body comes back exactly as it crossed the wire. */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An API over a fake registry of `minions` and a table of `clients` fake bolts, on loopback. */
async function served(minions: number, clients: number, fleet = 0): Promise<string> {
  const registry = new FakeRegistry();
  for (let i = 0; i < minions; i++) registry.put(`minion-${String(i).padStart(5, '0')}`, i);
  const table = new BoltTable();
  for (let i = 0; i < clients; i++) {
    const bolt = new FakeBolt(`client-${i}`, `10.0.${i >> 8}.${i & 255}`);
    table.add(bolt);
    table.announce(bolt, [5000, 8000 + i]);
  }
  const app = createApp({
    table,
    log: silentLogger(),
    relayTimeoutMs: 1000,
    relayIdleTimeoutMs: 60_000,
    registry,
    feed: createChangeFeed(registry),
    fleetDetail: () => ({ minions: fleetOf(fleet), removed: [] }),
  });
  return serveApp(app);
}

/** `count` live minions as the console's table lists them. */
function fleetOf(count: number): FleetMinion[] {
  return Array.from({ length: count }, (_, i) => ({
    cname: `minion-${i}`,
    state: 'ready' as const,
    transport: 'ws',
    address: `10.0.${i >> 8}.${i & 255}`,
    ports: [5000],
    connectedAt: 1_764_970_000_000 + i,
    lastPollAt: null,
    lastChangeAt: null,
    checksum: null,
    lastError: null,
    consecutiveFailures: 0,
  }));
}

const decoders = { br: brotliDecompressSync, gzip: gunzipSync } as const;

describe('compressed read documents', () => {
  it('/fleet: br and gzip bodies decode to the fleet', async () => {
    const base = await served(0, 0, 300);
    const plain = await raw(base, '/fleet');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('no-store');
    for (const encoding of ['br', 'gzip'] as const) {
      const res = await raw(base, '/fleet', { 'accept-encoding': encoding });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.body.length).toBeLessThan(plain.body.length / 3);
      const fleet = JSON.parse(decoders[encoding](res.body).toString('utf8')) as { minions: unknown[] };
      expect(fleet.minions).toEqual(fleetOf(300));
    }
  });

  for (const path of ['/minions', '/clients']) {
    it(`${path}: br and gzip bodies decode to the plain JSON`, async () => {
      const base = await served(300, 60);
      const plain = await raw(base, path);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toContain('Accept-Encoding');
      const json = JSON.parse(plain.body.toString('utf8')) as unknown;
      for (const encoding of ['br', 'gzip'] as const) {
        const res = await raw(base, path, { 'accept-encoding': encoding });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBe(encoding);
        expect(res.headers.vary).toContain('Accept-Encoding');
        expect(res.headers['content-length']).toBe(String(res.body.length));
        expect(res.headers.etag).toBe(plain.headers.etag);
        expect(res.body.length).toBeLessThan(plain.body.length / 3);
        expect(JSON.parse(decoders[encoding](res.body).toString('utf8'))).toEqual(json);
        // The second ask is served from the encoding kept for this ETag: the same bytes.
        const again = await raw(base, path, { 'accept-encoding': encoding });
        expect(again.body.equals(res.body)).toBe(true);
      }
      // A browser's list picks br; gzip when br is refused.
      expect(
        (await raw(base, path, { 'accept-encoding': 'gzip, deflate, br, zstd' })).headers['content-encoding'],
      ).toBe('br');
      expect((await raw(base, path, { 'accept-encoding': 'gzip, br;q=0' })).headers['content-encoding']).toBe(
        'gzip',
      );
      expect(
        (await raw(base, path, { 'accept-encoding': 'identity' })).headers['content-encoding'],
      ).toBeUndefined();
    });

    it(`${path}: HEAD and 304 carry no body and no encoding`, async () => {
      const base = await served(300, 60);
      const head = await raw(base, path, { 'accept-encoding': 'br, gzip' }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-encoding']).toBeUndefined();
      expect(head.body.length).toBe(0);
      const tag = head.headers.etag ?? '';
      expect(tag).toMatch(/^W\/"[0-9a-f]{32}"$/);
      const notModified = await raw(base, path, { 'accept-encoding': 'br, gzip', 'if-none-match': tag });
      expect(notModified.status).toBe(304);
      expect(notModified.headers['content-encoding']).toBeUndefined();
      expect(notModified.body.length).toBe(0);
    });
  }

  it('sends a body under the threshold as it is', async () => {
    const base = await served(1, 1);
    for (const path of ['/minions', '/clients']) {
      const res = await raw(base, path, { 'accept-encoding': 'br, gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.length).toBeLessThan(1024);
      expect(() => JSON.parse(res.body.toString('utf8')) as unknown).not.toThrow();
    }
  });
});

describe('chooseEncoding', () => {
  it('honours q, wildcards and refusals, and prefers br on a tie', () => {
    expect(chooseEncoding(undefined)).toBeUndefined();
    expect(chooseEncoding('gzip')).toBe('gzip');
    expect(chooseEncoding('gzip, br')).toBe('br');
    expect(chooseEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding('*, br;q=0')).toBe('gzip');
    expect(chooseEncoding('*;q=0')).toBeUndefined();
    expect(chooseEncoding('deflate, identity')).toBeUndefined();
    expect(chooseEncoding('gzip;q=nonsense')).toBeUndefined();
  });
});
