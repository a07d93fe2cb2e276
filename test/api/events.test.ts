/**
 * `GET /minions/events`: the SSE body is read as a client would, to check order, ids, resumption
 * with `Last-Event-ID`, keep-alives and the drop of subscribers that do not read. Each of these
 * runs both in-process (`app.request()`, a web stream) and over a real HTTP server (the route then
 * writes to the Node socket), plus what only one of the two has: how a backlog is measured, and
 * that a change is encoded once for every socket. Churn (bursts of subscribers and of changes,
 * drops over a socket) is in `events-churn.test.ts`.
 */
import { type AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorHandler } from '../../src/api/errors.js';
import { type ChangeFeed, createChangeFeed } from '../../src/api/feed/change-feed.js';
import { type MinionEventOptions, minionEventRoutes } from '../../src/api/routes/minion-events.js';
import { silentLogger } from '../../src/log/logger.js';
import type { RegistryChange } from '../../src/registry/registry-types.js';
import { FakeRegistry } from '../helpers/fake-registry.js';

interface Frame {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
  readonly comments: readonly string[];
}

/** Reads an SSE body frame by frame, as EventSource would split it. */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = '';

  constructor(readonly response: Response) {
    if (!response.body) throw new Error('no body');
    this.#reader = response.body.getReader();
  }

  /** The next frame, or `undefined` once the stream has ended. */
  async next(): Promise<Frame | undefined> {
    for (;;) {
      const end = this.#text.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        return parseFrame(block);
      }
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#text += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The next frame that is an event (keep-alive comments skipped). */
  async nextEvent(): Promise<Frame> {
    for (;;) {
      const frame = await this.next();
      if (!frame) throw new Error('stream ended');
      if (frame.event !== undefined) return frame;
    }
  }

  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

function parseFrame(block: string): Frame {
  const fields: { event?: string; id?: string } = {};
  const data: string[] = [];
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('event: ')) fields.event = line.slice(7);
    else if (line.startsWith('id: ')) fields.id = line.slice(4);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { ...fields, data: data.length > 0 ? data.join('\n') : undefined, comments };
}

const changeFrame = (change: RegistryChange, id: number): Frame => ({
  event: change.type,
  id: String(id),
  data: JSON.stringify({ id: change.id, checksum: change.checksum, global: change.global }),
  comments: [],
});

/**
 * How a test reaches the route: in-process through `app.request()` (the route then streams through
 * a web stream), or through a real HTTP server (@hono/node-server; the route writes to the socket).
 */
interface Transport {
  readonly name: string;
  serve(app: Hono): Promise<Served>;
}

interface Served {
  /** Sends a request to the app's `/minions/events`. */
  request(init?: RequestInit): Promise<Response>;
  /** `http://host:port` of the server, when there is one. */
  readonly origin?: string;
}

const closers: (() => Promise<void>)[] = [];

const inProcess: Transport = {
  name: 'in-process (app.request)',
  serve: async (app) => ({ request: async (init) => app.request('/minions/events', init) }),
};

const overHttp: Transport = {
  name: 'over a real HTTP server',
  async serve(app) {
    const origin = await listen(app);
    return { origin, request: (init) => fetch(`${origin}/minions/events`, init) };
  },
};

/** Serves `app` on a loopback port until the end of the test. */
async function listen(app: Hono): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let feed: ChangeFeed | undefined;
const readers: SseReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((reader) => reader.close().catch(() => {})));
  feed?.close();
  feed = undefined;
  for (const close of closers.splice(0).reverse()) await close();
});

interface SetUp extends Served {
  registry: FakeRegistry;
  feed: ChangeFeed;
  app: Hono;
  /** Opens a stream, checks it is answered 200, and reads it. */
  connect(lastEventId?: string): Promise<SseReader>;
}

async function setUp(
  transport: Transport,
  options: MinionEventOptions & { bufferSize?: number } = {},
): Promise<SetUp> {
  const registry = new FakeRegistry();
  const created = createChangeFeed(registry, { bufferSize: options.bufferSize ?? 1024 });
  feed = created;
  const app = new Hono();
  app.onError(errorHandler(silentLogger()));
  app.route('/', minionEventRoutes(created, options));
  const served = await transport.serve(app);
  const connect = async (lastEventId?: string): Promise<SseReader> => {
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId };
    const res = await served.request({ headers });
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    readers.push(reader);
    return reader;
  };
  return { ...served, registry, feed: created, app, connect };
}

describe.each([inProcess, overHttp])('GET /minions/events, $name', (transport) => {
  it('is an event stream that starts with a snapshot, ids ascending', async () => {
    const { registry, connect } = await setUp(transport);
    registry.put('web-2');
    registry.put('db-1');
    registry.put('web-10');
    const reader = await connect();
    expect(reader.response.headers.get('Content-Type')).toBe('text/event-stream');
    expect(reader.response.headers.get('Cache-Control')).toBe('no-cache');

    const snapshot = await reader.nextEvent();
    const view = registry.current();
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.id).toBe('3');
    expect(JSON.parse(snapshot.data ?? '')).toEqual({
      global: view.global,
      minions: ['db-1', 'web-10', 'web-2'].map((id) => ({ id, checksum: view.entries.get(id)?.checksum })),
    });
  });

  it('sends an empty fleet as a snapshot with id 0', async () => {
    const { connect } = await setUp(transport);
    const snapshot = await (await connect()).nextEvent();
    expect(snapshot).toMatchObject({ event: 'snapshot', id: '0' });
    expect(JSON.parse(snapshot.data ?? '')).toEqual({
      global: 'd41d8cd98f00b204e9800998ecf8427e',
      minions: [],
    });
  });

  it('then sends added, changed, removed in order with increasing ids', async () => {
    const { registry, connect } = await setUp(transport);
    registry.put('a');
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '1' });

    const changes = [registry.put('b'), registry.put('a', 1), registry.remove('b'), registry.remove('a')];
    for (const [i, change] of changes.entries()) {
      expect(await reader.nextEvent()).toEqual(changeFrame(change, i + 2));
    }
    expect(changes.map((change) => change.type)).toEqual(['added', 'changed', 'removed', 'removed']);
    expect(changes[2]?.checksum).toBeNull();
    expect(changes[3]?.global).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('resumes from Last-Event-ID with exactly the missed events, then live ones', async () => {
    const { registry, connect } = await setUp(transport);
    const first = await connect();
    expect(await first.nextEvent()).toMatchObject({ event: 'snapshot', id: '0' });
    const changes = [registry.put('a'), registry.put('b')];
    expect(await first.nextEvent()).toEqual(changeFrame(changes[0] as RegistryChange, 1));
    await first.close(); // the client saw id 1; event 2 was in flight

    changes.push(registry.put('a', 1), registry.remove('b'));
    const resumed = await connect('1');
    for (const id of [2, 3, 4]) {
      expect(await resumed.nextEvent()).toEqual(changeFrame(changes[id - 1] as RegistryChange, id));
    }
    const live = registry.put('c');
    expect(await resumed.nextEvent()).toEqual(changeFrame(live, 5));
  });

  it('resumes at the newest id with no replay and no snapshot', async () => {
    const { registry, connect } = await setUp(transport);
    registry.put('a');
    registry.put('b');
    const reader = await connect('2');
    const live = registry.remove('a');
    expect(await reader.nextEvent()).toEqual(changeFrame(live, 3));
  });

  it('sends a fresh snapshot when the missed events fell out of the buffer', async () => {
    const { registry, connect } = await setUp(transport, { bufferSize: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) registry.put(id); // ids 1..6; 4..6 held
    const tooOld = await connect('2'); // needs 3..6
    const snapshot = await tooOld.nextEvent();
    expect(snapshot).toMatchObject({ event: 'snapshot', id: '6' });
    expect(JSON.parse(snapshot.data ?? '').global).toBe(registry.current().global);
    const live = registry.remove('a');
    expect(await tooOld.nextEvent()).toEqual(changeFrame(live, 7));

    const justHeld = await connect('4'); // needs 5..7, all held
    expect(await justHeld.nextEvent()).toMatchObject({ event: 'added', id: '5' });
  });

  it.each(['banana', '-1', '1.5', '', '99', '0x10', '9007199254740993'])(
    'treats Last-Event-ID %j as unknown and sends a snapshot',
    async (header) => {
      const { registry, connect } = await setUp(transport);
      registry.put('a');
      const reader = await connect(header);
      expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '1' });
    },
  );

  it('writes a keep-alive comment on an idle stream', async () => {
    const { connect } = await setUp(transport, { keepAliveMs: 10 });
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot' });
    // No sleep: the read simply waits for the interval to fire.
    expect(await reader.next()).toEqual({ comments: ['keep-alive'], data: undefined });
  });

  it('replays every missed event the buffer holds, however many, before live ones', async () => {
    const { registry, connect } = await setUp(transport, { backlogLimit: 10 });
    for (let n = 1; n <= 20; n += 1) registry.put('a', n);
    const resumed = await connect('1');
    for (let id = 2; id <= 20; id += 1) expect(await resumed.nextEvent()).toMatchObject({ id: String(id) });
    const live = registry.remove('a');
    expect(await resumed.nextEvent()).toEqual(changeFrame(live, 21));
  });

  it.each([
    ['a snapshot', undefined],
    ['a resume', '1'],
  ])(
    'neither loses nor repeats a change that lands between subscribing and %s',
    async (_name, lastEventId) => {
      const { registry, feed: real } = await setUp(transport);
      registry.put('a'); // id 1
      let raced: RegistryChange | undefined;
      // The change arrives after the live subscription exists but before the catch-up is read.
      const racy: ChangeFeed = {
        ...real,
        subscribe(listener) {
          const unsubscribe = real.subscribe(listener);
          raced = registry.put('b'); // id 2
          return unsubscribe;
        },
      };
      const app = new Hono().route('/', minionEventRoutes(racy));
      const headers: Record<string, string> = lastEventId ? { 'Last-Event-ID': lastEventId } : {};
      const { request } = await transport.serve(app);
      const reader = new SseReader(await request({ headers }));
      readers.push(reader);

      if (lastEventId) {
        expect(await reader.nextEvent()).toEqual(changeFrame(raced as RegistryChange, 2));
      } else {
        const snapshot = await reader.nextEvent();
        expect(snapshot).toMatchObject({ event: 'snapshot', id: '2' });
        expect(JSON.parse(snapshot.data ?? '').global).toBe(raced?.global);
      }
      const live = registry.remove('a');
      expect(await reader.nextEvent()).toEqual(changeFrame(live, 3));
    },
  );

  it('unsubscribes when the client goes away', async () => {
    const { feed, connect } = await setUp(transport);
    const reader = await connect();
    await reader.nextEvent();
    expect(feed.subscriberCount()).toBe(1);
    await reader.close();
    await vi.waitFor(() => expect(feed.subscriberCount()).toBe(0));
  });

  it('ends open streams when the feed closes, and refuses new ones with 503', async () => {
    const { feed, connect, request } = await setUp(transport);
    const reader = await connect();
    await reader.nextEvent();
    feed.close();
    expect(await reader.next()).toBeUndefined();
    const res = await request();
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'feed-closed', message: 'the minion change feed has stopped' });
  });

  it('answers HEAD as an event stream without opening one', async () => {
    const { feed, request } = await setUp(transport);
    const res = await request({ method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/event-stream');
    expect(await res.text()).toBe('');
    expect(feed.subscriberCount()).toBe(0);
  });
});

// A web stream has no buffer of its own: every byte the reader has not taken counts against the
// backlog limit. Over a socket, what the kernel accepts is not backlog (see below, and
// events-churn.test.ts for subscribers dropped over a socket).
describe('GET /minions/events in-process: the backlog limit', () => {
  it('drops a subscriber that does not read with a final event, while a reading one gets everything', async () => {
    const { registry, app, connect } = await setUp(inProcess, { backlogLimit: 500 });
    const stalled = await app.request('/minions/events'); // its body is not read for now
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot' });

    for (let n = 1; n <= 20; n += 1) {
      const change = registry.put('a', n);
      expect(await reader.nextEvent()).toEqual(changeFrame(change, n));
    }

    // What was queued before the limit, then the final event naming the last id, then the end.
    const late = new SseReader(stalled);
    const leftovers: Frame[] = [];
    for (let frame = await late.next(); frame; frame = await late.next()) leftovers.push(frame);
    const final = leftovers.at(-1);
    const lastSent = leftovers.at(-2)?.id;
    expect(final?.event).toBe('dropped');
    expect(final?.id).toBe(lastSent);
    expect(JSON.parse(final?.data ?? '')).toMatchObject({ reason: 'backlog', lastEventId: lastSent });
    expect(Number(lastSent)).toBeGreaterThan(0);
    expect(Number(lastSent)).toBeLessThan(20);
  });

  it('keeps a subscriber that reads, whatever the size of a burst', async () => {
    const { registry, connect } = await setUp(inProcess, { backlogLimit: 100 });
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '0' });
    for (let round = 0; round < 3; round += 1) {
      const changes = Array.from({ length: 10 }, (_, n) => registry.put('a', round * 10 + n + 1));
      for (const [i, change] of changes.entries()) {
        expect(await reader.nextEvent()).toEqual(changeFrame(change, round * 10 + i + 1));
      }
    }
  });
});

describe('GET /minions/events over a real HTTP server: one encoding, socket back-pressure', () => {
  it("writes a change to every subscriber's socket as one and the same Buffer", async () => {
    const { registry, connect } = await setUp(overHttp);
    const subscribers = await Promise.all(Array.from({ length: 20 }, () => connect()));
    for (const reader of subscribers) expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot' });

    const writes = vi.spyOn(Socket.prototype, 'write');
    try {
      const change = registry.put('a');
      for (const reader of subscribers) expect(await reader.nextEvent()).toEqual(changeFrame(change, 1));
      const carriers = writes.mock.calls.flatMap(([chunk], i) =>
        Buffer.isBuffer(chunk) && chunk.includes('event: added')
          ? [{ chunk, socket: writes.mock.contexts[i] }]
          : [],
      );
      expect(new Set(carriers.map((write) => write.socket)).size).toBe(20);
      expect(new Set(carriers.map((write) => write.chunk)).size).toBe(1);
    } finally {
      writes.mockRestore();
    }
  });

  it('keeps a client whose kernel buffers take bursts larger than the backlog limit', async () => {
    const { registry, connect } = await setUp(overHttp, { backlogLimit: 100 });
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '0' });
    for (let round = 0; round < 3; round += 1) {
      const changes = Array.from({ length: 10 }, (_, n) => registry.put('a', round * 10 + n + 1));
      for (const [i, change] of changes.entries()) {
        expect(await reader.nextEvent()).toEqual(changeFrame(change, round * 10 + i + 1));
      }
    }
  });
});
