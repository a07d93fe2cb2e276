/**
 * `GET /minions/events` under churn, over a real HTTP server: many subscribers, changes arriving
 * while they connect, and subscribers that stop reading. What a burst costs is counted (snapshot
 * encodings, socket writes), never timed; a subscriber left behind is dropped with a final
 * `dropped` event and resumes from it without a gap.
 */
import type { AddressInfo } from 'node:net';
import net, { Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { type MinionEventOptions, minionEventRoutes } from '../../src/api/routes/minion-events.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { closeAll, onCloseAll } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { changeData, openFeed, type SseEvent, type SseFeed, snapshotData } from '../helpers/sse-feed.js';

afterEach(closeAll);

/** The feed route alone on a loopback port, over a fresh registry. */
async function serveFeed(
  options: MinionEventOptions = {},
): Promise<{ registry: FakeRegistry; url: string; connections: Socket[] }> {
  const registry = new FakeRegistry();
  const feed = createChangeFeed(registry);
  const app = new Hono().route('/', minionEventRoutes(feed, options));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const connections: Socket[] = [];
  server.on('connection', (socket: Socket) => connections.push(socket));
  onCloseAll(async () => {
    feed.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/minions/events`;
  return { registry, url, connections };
}

/**
 * Replays a subscriber's events onto the snapshot it started from, checking that ids follow each
 * other without a gap: the minions' checksums as this subscriber knows them.
 */
function applyEvents(events: readonly SseEvent[]): { lastId: number; state: Map<string, string> } {
  const [first, ...rest] = events;
  if (first?.event !== 'snapshot') throw new Error(`expected a snapshot first, got ${first?.event}`);
  const state = new Map(snapshotData(first).minions.map((m) => [m.id, m.checksum]));
  let lastId = Number(first.id);
  for (const event of rest) {
    expect(Number(event.id), 'the next event id').toBe(lastId + 1);
    lastId += 1;
    const { id, checksum } = changeData(event);
    if (checksum === null) state.delete(id);
    else state.set(id, checksum);
  }
  return { lastId, state };
}

/** A raw subscriber that reads the response head and the snapshot, then stops reading. */
async function stalledSubscriber(url: string): Promise<{ socket: Socket; head: Buffer }> {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  onCloseAll(async () => {
    socket.destroy();
  });
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (bytes: Buffer) => {
      head = Buffer.concat([head, bytes]);
      if (!head.includes('event: snapshot') || !/\nid: \d+\n\n/.test(head.toString('latin1'))) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return { socket, head };
}

/** Resumes reading a stalled subscriber until its chunked body ends; its SSE events, in order. */
function readToEnd(socket: Socket, head: Buffer): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    let bytes = head;
    const done = () => {
      const text = dechunk(bytes);
      if (text === undefined) return false;
      socket.off('data', onData);
      socket.pause();
      resolve(parseEvents(text));
      return true;
    };
    const onData = (more: Buffer) => {
      bytes = Buffer.concat([bytes, more]);
      done();
    };
    socket.on('data', onData);
    socket.once('close', () => {
      if (!done()) reject(new Error('the connection closed before the body ended'));
    });
    socket.resume();
  });
}

/** The body of a chunked response, or `undefined` while its last chunk has not arrived. */
function dechunk(response: Buffer): string | undefined {
  let at = response.indexOf('\r\n\r\n') + 4;
  const parts: Buffer[] = [];
  for (;;) {
    const eol = response.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = Number.parseInt(response.toString('latin1', at, eol), 16);
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    if (response.length < eol + 2 + size + 2) return undefined;
    parts.push(response.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((line) => line.startsWith('data:')))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { event: field('event') ?? 'message', id: field('id'), data: field('data') ?? '' };
    });
}

const minion = (i: number): string => `m-${String(i).padStart(3, '0')}`;

describe('GET /minions/events under churn', () => {
  it('serves a burst of subscribers that join while the fleet changes from one snapshot encoding, each seeing every change', async () => {
    const { registry, url } = await serveFeed();
    for (let i = 0; i < 200; i++) registry.put(minion(i));
    registry.idsListed = 0;

    const feeds: SseFeed[] = [];
    for (let i = 0; i < 40; i++) {
      feeds.push(await openFeed(url));
      // A change after every subscriber: each joins a different version of the fleet.
      registry.put(minion(i * 3), i + 1);
    }
    const lastId = String(200 + 40);
    for (const feed of feeds) await feed.waitFor((event) => event.id === lastId);

    expect(registry.idsListed, 'snapshot encodings').toBe(1);
    for (const feed of feeds) {
      const seen = applyEvents(feed.events);
      expect(seen.lastId).toBe(240);
      expect(seen.state).toEqual(registry.checksums());
    }
  });

  it('writes a burst of changes to each subscriber as one write of one shared buffer', async () => {
    const { registry, url } = await serveFeed();
    const feeds = await Promise.all(Array.from({ length: 20 }, () => openFeed(url)));
    for (const feed of feeds) await feed.waitFor((event) => event.event === 'snapshot');

    const writes = vi.spyOn(Socket.prototype, 'write');
    try {
      for (let n = 1; n <= 50; n++) registry.put('a', n);
      for (const feed of feeds) await feed.waitFor((event) => event.id === '50');
      const carriers = writes.mock.calls.flatMap(([chunk], i) =>
        Buffer.isBuffer(chunk) && chunk.includes('\nid: ')
          ? [{ chunk, socket: writes.mock.contexts[i] }]
          : [],
      );
      const sockets = new Set(carriers.map((write) => write.socket));
      expect(sockets.size).toBe(20);
      expect(carriers).toHaveLength(20);
      expect(new Set(carriers.map((write) => write.chunk)).size).toBe(1);
    } finally {
      writes.mockRestore();
    }
    for (const feed of feeds) expect(applyEvents(feed.events).lastId).toBe(50);
  });

  it('drops subscribers that stop reading with a final event once over the limit, logged once per address; they resume without a gap', async () => {
    const { lines, log } = captureLog();
    const { registry, url } = await serveFeed({ backlogLimit: 256 * 1024, dropGraceMs: 30_000, log });
    const stalled = [await stalledSubscriber(url), await stalledSubscriber(url)];
    const reader = await openFeed(url);
    await reader.waitFor((event) => event.event === 'snapshot');

    // Big changes, so the stalled connections' kernel buffers (some MB at most) fill after a few hundred.
    const big = 'm'.repeat(16_000);
    const dropLines = () => lines.filter((line) => line.limit === 'feedBacklogLimit');
    let published = 0;
    let afterDrop = 0;
    while (afterDrop < 40 && published < 3000) {
      for (let i = 0; i < 20; i++) registry.put(big, ++published);
      await reader.waitFor((event) => event.id === String(published));
      if (dropLines().length > 0) afterDrop += 1;
    }
    expect(dropLines()).toHaveLength(1);
    expect(dropLines()[0]).toMatchObject({ remote: '127.0.0.1', level: 40 });

    for (const { socket, head } of stalled) {
      const events = await readToEnd(socket, head);
      const final = events.at(-1);
      expect(final?.event).toBe('dropped');
      const delivered = applyEvents(events.slice(0, -1));
      expect(delivered.lastId).toBeLessThan(published);
      expect(JSON.parse(final?.data ?? '')).toMatchObject({ lastEventId: String(delivered.lastId) });

      const resumed = await openFeed(url, { 'Last-Event-ID': String(delivered.lastId) });
      await resumed.waitFor((event) => event.id === String(published));
      expect(resumed.events.map((event) => Number(event.id))).toEqual(
        Array.from({ length: published - delivered.lastId }, (_, i) => delivered.lastId + 1 + i),
      );
    }
  });

  it('cuts a dropped subscriber that still reads nothing off after the grace', async () => {
    const { registry, url, connections } = await serveFeed({ backlogLimit: 64 * 1024, dropGraceMs: 200 });
    await stalledSubscriber(url);
    // The server's end of the stalled connection: a client that does not read sees no close.
    const [server] = connections;
    const closed = new Promise<void>((resolve) => server?.once('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => {
      isClosed = true;
    });
    const reader = await openFeed(url);
    const big = 'm'.repeat(16_000);
    let published = 0;
    while (!isClosed && published < 3000) {
      for (let i = 0; i < 20; i++) registry.put(big, ++published);
      await reader.waitFor((event) => event.id === String(published));
    }
    await closed;
  });
});
