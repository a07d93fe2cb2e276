/**
 * `GET /minions/events` in-process: the SSE body is read as a client would, to check order, ids,
 * resumption with `Last-Event-ID`, keep-alives and the cut-off of subscribers that do not read.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServedDocument } from '../../machines/minion-snapshot.js';
import { errorHandler } from '../../src/api/errors.js';
import { type ChangeFeed, createChangeFeed } from '../../src/api/feed/change-feed.js';
import type { RegistrySource } from '../../src/api/feed/registry-source.js';
import { type MinionEventOptions, minionEventRoutes } from '../../src/api/routes/minion-events.js';
import { silentLogger } from '../../src/log/logger.js';
import type { RegistryChange, RegistryEntry, RegistryView } from '../../src/registry/registry-types.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function documentChecksum(document: ServedDocument): string {
  const { os: _os, ...rest } = document;
  return md5(JSON.stringify(rest));
}

function makeView(documents: ReadonlyMap<string, ServedDocument>, version: number): RegistryView {
  const entries = new Map<string, RegistryEntry>();
  for (const [id, document] of documents) {
    const json = JSON.stringify(document);
    entries.set(id, {
      id,
      document,
      checksum: documentChecksum(document),
      state: 'ready',
      lastError: null,
      consecutiveFailures: 0,
      connectedAt: 0,
      lastPollAt: null,
      lastChangeAt: null,
      json,
    });
  }
  const ids = [...entries.keys()].sort();
  const global = md5(ids.map((id) => `${id}:${entries.get(id)?.checksum}\n`).join(''));
  const list = `[${ids.map((id) => entries.get(id)?.json).join(',')}]`;
  return { version, global, ids, entries, listJson: () => list };
}

/** Publishes a new view first, then the change, as the registry promises. */
class FakeRegistry implements RegistrySource {
  readonly changes$ = new Subject<RegistryChange>();
  readonly #documents = new Map<string, ServedDocument>();
  #view = makeView(this.#documents, 0);

  current(): RegistryView {
    return this.#view;
  }

  /** Adds or changes a minion with a document distinguished by `n`. */
  put(id: string, n = 0): RegistryChange {
    const type = this.#documents.has(id) ? 'changed' : 'added';
    this.#documents.set(id, { id, os: { n }, n });
    return this.#publish(type, id);
  }

  remove(id: string): RegistryChange {
    this.#documents.delete(id);
    return this.#publish('removed', id);
  }

  #publish(type: RegistryChange['type'], id: string): RegistryChange {
    this.#view = makeView(this.#documents, this.#view.version + 1);
    const change = {
      type,
      id,
      checksum: this.#view.entries.get(id)?.checksum ?? null,
      global: this.#view.global,
    };
    this.changes$.next(change);
    return change;
  }
}

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

let feed: ChangeFeed | undefined;
const readers: SseReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((reader) => reader.close().catch(() => {})));
  feed?.close();
  feed = undefined;
});

function setUp(options: MinionEventOptions & { bufferSize?: number } = {}): {
  registry: FakeRegistry;
  feed: ChangeFeed;
  connect(lastEventId?: string): Promise<SseReader>;
  app: Hono;
} {
  const registry = new FakeRegistry();
  const created = createChangeFeed(registry, { bufferSize: options.bufferSize ?? 1024 });
  feed = created;
  const app = new Hono();
  app.onError(errorHandler(silentLogger()));
  app.route('/', minionEventRoutes(created, options));
  const connect = async (lastEventId?: string): Promise<SseReader> => {
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId };
    const res = await app.request('/minions/events', { headers });
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    readers.push(reader);
    return reader;
  };
  return { registry, feed: created, connect, app };
}

describe('GET /minions/events', () => {
  it('is an event stream that starts with a snapshot, ids ascending', async () => {
    const { registry, connect } = setUp();
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
    const { connect } = setUp();
    const snapshot = await (await connect()).nextEvent();
    expect(snapshot).toMatchObject({ event: 'snapshot', id: '0' });
    expect(JSON.parse(snapshot.data ?? '')).toEqual({
      global: 'd41d8cd98f00b204e9800998ecf8427e',
      minions: [],
    });
  });

  it('then sends added, changed, removed in order with increasing ids', async () => {
    const { registry, connect } = setUp();
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
    const { registry, connect } = setUp();
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
    const { registry, connect } = setUp();
    registry.put('a');
    registry.put('b');
    const reader = await connect('2');
    const live = registry.remove('a');
    expect(await reader.nextEvent()).toEqual(changeFrame(live, 3));
  });

  it('sends a fresh snapshot when the missed events fell out of the buffer', async () => {
    const { registry, connect } = setUp({ bufferSize: 3 });
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
      const { registry, connect } = setUp();
      registry.put('a');
      const reader = await connect(header);
      expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '1' });
    },
  );

  it('writes a keep-alive comment on an idle stream', async () => {
    const { connect } = setUp({ keepAliveMs: 10 });
    const reader = await connect();
    expect(await reader.next()).toMatchObject({ event: 'snapshot' });
    // No sleep: the read simply waits for the interval to fire.
    expect(await reader.next()).toEqual({ comments: ['keep-alive'], data: undefined });
  });

  it('disconnects a subscriber that does not read, while a reading one gets everything', async () => {
    const { registry, feed, app, connect } = setUp({ maxBacklog: 5 });
    const stalled = await app.request('/minions/events'); // its body is never read
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot' });
    expect(feed.subscriberCount()).toBe(2);

    for (let n = 1; n <= 20; n += 1) {
      const change = registry.put('a', n);
      expect(await reader.nextEvent()).toEqual(changeFrame(change, n));
    }
    await vi.waitFor(() => expect(feed.subscriberCount()).toBe(1));

    // The stalled response was ended, not left hanging: what little was buffered, then the end.
    const late = new SseReader(stalled);
    const leftovers: Frame[] = [];
    for (let frame = await late.next(); frame; frame = await late.next()) leftovers.push(frame);
    expect(leftovers.length).toBeLessThanOrEqual(5);
  });

  it('disconnects every subscriber of a burst larger than maxBacklog; they resume from a snapshot', async () => {
    const { registry, feed, connect } = setUp({ maxBacklog: 3 });
    const reader = await connect();
    expect(await reader.nextEvent()).toMatchObject({ event: 'snapshot', id: '0' });
    for (let n = 1; n <= 10; n += 1) registry.put('a', n);
    await vi.waitFor(() => expect(feed.subscriberCount()).toBe(0));

    const seen: Frame[] = [];
    for (let frame = await reader.next(); frame; frame = await reader.next()) seen.push(frame);
    expect(seen.length).toBeLessThanOrEqual(3);
    // Replaying the rest would overflow the backlog again (and again, on every reconnect).
    const resumed = await connect(seen.at(-1)?.id ?? '0');
    expect(await resumed.nextEvent()).toMatchObject({ event: 'snapshot', id: '10' });
    const live = registry.remove('a');
    expect(await resumed.nextEvent()).toEqual(changeFrame(live, 11));
  });

  it('replays a resume only while it fits the backlog', async () => {
    const { registry, connect } = setUp({ maxBacklog: 3 });
    for (let n = 1; n <= 4; n += 1) registry.put('a', n);
    const fits = await connect('2'); // 2 missed
    expect(await fits.nextEvent()).toMatchObject({ event: 'changed', id: '3' });
    expect(await fits.nextEvent()).toMatchObject({ event: 'changed', id: '4' });
    const tooMany = await connect('1'); // 3 missed
    expect(await tooMany.nextEvent()).toMatchObject({ event: 'snapshot', id: '4' });
  });

  it.each([
    ['a snapshot', undefined],
    ['a resume', '1'],
  ])(
    'neither loses nor repeats a change that lands between subscribing and %s',
    async (_name, lastEventId) => {
      const { registry, feed: real } = setUp();
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
      const reader = new SseReader(await app.request('/minions/events', { headers }));
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
    const { feed, connect } = setUp();
    const reader = await connect();
    await reader.nextEvent();
    expect(feed.subscriberCount()).toBe(1);
    await reader.close();
    await vi.waitFor(() => expect(feed.subscriberCount()).toBe(0));
  });

  it('ends open streams when the feed closes, and refuses new ones with 503', async () => {
    const { feed, connect, app } = setUp();
    const reader = await connect();
    await reader.nextEvent();
    feed.close();
    expect(await reader.next()).toBeUndefined();
    const res = await app.request('/minions/events');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'feed-closed', message: 'the minion change feed has stopped' });
  });
});
