/**
 * The change feed and its SSE parts on their own: event numbering, what `since` promises, and how
 * the feed ends; the frames every subscriber shares. (The fan-out and one subscriber's life are in
 * `feed-fan-out.test.ts`.)
 */
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createChangeFeed, type FeedEvent, type FeedListener } from '../../src/api/feed/change-feed.js';
import { RingBuffer } from '../../src/api/feed/ring-buffer.js';
import { joinFrames, toFrame } from '../../src/api/feed/sse-frame.js';
import { changeFrame, droppedFrame, parseLastEventId, snapshotFrame } from '../../src/api/feed/sse-wire.js';
import { EMPTY_CHECKSUM, type RegistryChange, type RegistryView } from '../../src/registry/registry-types.js';

const emptyView: RegistryView = {
  version: 0,
  global: EMPTY_CHECKSUM,
  ids: [],
  entries: new Map(),
  listBody: () => ({ parts: [Buffer.from('[]')], byteLength: 2 }),
};

function source() {
  const changes$ = new Subject<RegistryChange>();
  let n = 0;
  const emit = (): void => {
    n += 1;
    changes$.next({ type: 'changed', id: `m-${n}`, checksum: `c${n}`, global: `g${n}` });
  };
  return { changes$, current: () => emptyView, emit };
}

const listener = (): FeedListener & { events: number[]; ended: number } => {
  const events: number[] = [];
  const self = {
    events,
    ended: 0,
    event: (event: { eventId: number }) => {
      events.push(event.eventId);
    },
    end: () => {
      self.ended += 1;
    },
  };
  return self;
};

describe('createChangeFeed', () => {
  it('numbers changes from 1 and keeps their content', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    expect(feed.lastId()).toBe(0);
    registry.emit();
    registry.emit();
    expect(feed.lastId()).toBe(2);
    expect(feed.since(0)).toEqual([
      { type: 'changed', id: 'm-1', checksum: 'c1', global: 'g1', eventId: 1 },
      { type: 'changed', id: 'm-2', checksum: 'c2', global: 'g2', eventId: 2 },
    ]);
    expect(feed.snapshot()).toEqual({ lastId: 2, view: emptyView });
    feed.close();
  });

  it('since() answers exactly the held events after an id, or undefined', () => {
    const registry = source();
    const feed = createChangeFeed(registry, { bufferSize: 3 });
    expect(feed.since(0)).toEqual([]);
    for (let i = 0; i < 7; i += 1) registry.emit(); // held: 5, 6, 7
    const ids = (after: number) => feed.since(after)?.map((event) => event.eventId);
    expect(ids(7)).toEqual([]);
    expect(ids(6)).toEqual([7]);
    expect(ids(4)).toEqual([5, 6, 7]);
    expect(ids(3)).toBeUndefined(); // 4 was dropped
    expect(ids(0)).toBeUndefined();
    expect(ids(8)).toBeUndefined(); // from the future (another tower process?)
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(ids(bad)).toBeUndefined();
    feed.close();
  });

  it('delivers live events to subscribers until they unsubscribe', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    const a = listener();
    const b = listener();
    const stopA = feed.subscribe(a);
    feed.subscribe(b);
    registry.emit();
    stopA();
    registry.emit();
    expect(a.events).toEqual([1]);
    expect(b.events).toEqual([1, 2]);
    expect(feed.subscriberCount()).toBe(1);
    feed.close();
    expect(b.ended).toBe(1);
    expect(feed.subscriberCount()).toBe(0);
  });

  it('drops a listener that throws, and keeps serving the others', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    const good = listener();
    const bad = {
      ...listener(),
      event: () => {
        throw new Error('boom');
      },
    };
    feed.subscribe(bad);
    feed.subscribe(good);
    registry.emit();
    registry.emit();
    expect(good.events).toEqual([1, 2]);
    expect(feed.subscriberCount()).toBe(1);
    feed.close();
  });

  it('closes when changes$ errors, reporting the error', () => {
    const registry = source();
    const onError = vi.fn();
    const feed = createChangeFeed(registry, { onError });
    const sub = listener();
    feed.subscribe(sub);
    registry.changes$.error(new Error('registry died'));
    expect(onError).toHaveBeenCalledWith(new Error('registry died'));
    expect(feed.closed).toBe(true);
    expect(sub.ended).toBe(1);
  });

  it('closes when changes$ completes; a late subscriber is ended at once', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    registry.changes$.complete();
    expect(feed.closed).toBe(true);
    const late = listener();
    feed.subscribe(late);
    expect(late.ended).toBe(1);
    expect(feed.subscriberCount()).toBe(0);
  });

  it('stops listening to the registry on close', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    feed.close();
    expect(registry.changes$.observed).toBe(false);
  });
});

describe('RingBuffer', () => {
  it('keeps the newest items in order across wrap-around', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.tail(0)).toEqual([]);
    for (let i = 1; i <= 5; i += 1) ring.push(i);
    expect(ring.size).toBe(3);
    expect(ring.tail(0)).toEqual([3, 4, 5]);
    expect(ring.tail(2)).toEqual([5]);
    expect(ring.tail(3)).toEqual([]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});

describe('parseLastEventId', () => {
  it.each([
    ['7', 7],
    [' 12 ', 12],
    ['0', 0],
    [undefined, undefined],
    ['', undefined],
    ['x', undefined],
    ['-3', undefined],
    ['1e3', undefined],
    ['1234567890123456', undefined],
  ])('%j -> %j', (header, expected) => {
    expect(parseLastEventId(header)).toBe(expected);
  });
});

describe('SSE frames', () => {
  it('hold the message framed as one HTTP chunk, and the message alone as a view of it', () => {
    const message = 'data: {"id":"café"}\n\n';
    const frame = toFrame(message);
    const length = Buffer.byteLength(message);
    expect(frame.chunk.toString()).toBe(`${length.toString(16)}\r\n${message}\r\n`);
    expect(frame.body.toString()).toBe(message);
    expect(frame.body.buffer).toBe(frame.chunk.buffer);
  });

  it('encode a feed event once, whoever asks, in the SSE format', () => {
    const event: FeedEvent = { type: 'changed', id: 'web-1', checksum: 'c1', global: 'g1', eventId: 7 };
    const frame = changeFrame(event);
    expect(frame.body.toString()).toBe(
      'event: changed\ndata: {"id":"web-1","checksum":"c1","global":"g1"}\nid: 7\n\n',
    );
    expect(changeFrame(event)).toBe(frame);
    expect(changeFrame({ ...event })).not.toBe(frame);
  });

  it('encode a snapshot of the fleet, the final message of a dropped subscriber, and several as one', () => {
    const snapshot = snapshotFrame({ lastId: 3, view: emptyView });
    expect(snapshot.body.toString()).toBe(
      `event: snapshot\ndata: {"global":"${EMPTY_CHECKSUM}","minions":[]}\nid: 3\n\n`,
    );
    const dropped = droppedFrame(3);
    expect(dropped.body.toString()).toMatch(
      /^event: dropped\ndata: \{"reason":"backlog","lastEventId":"3","message":"[^"]+"\}\nid: 3\n\n$/,
    );
    const joined = joinFrames([snapshot, dropped]);
    const text = `${snapshot.body}${dropped.body}`;
    expect(joined.chunk.toString()).toBe(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
    expect(joined.body.toString()).toBe(text);
    expect(joinFrames([snapshot])).toBe(snapshot);
  });
});
