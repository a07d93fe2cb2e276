/**
 * The change feed and its SSE parts on their own: event numbering, what `since` promises, and how
 * the feed ends; the frames every subscriber shares; one subscriber's keep-alives and clean-up.
 */
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ChangeFeed,
  createChangeFeed,
  type FeedEvent,
  type FeedListener,
} from '../../src/api/feed/change-feed.js';
import { CloseSignal } from '../../src/api/feed/close-signal.js';
import { KeepAliveTicker } from '../../src/api/feed/keep-alive.js';
import { RingBuffer } from '../../src/api/feed/ring-buffer.js';
import { type SseFrame, toFrame } from '../../src/api/feed/sse-frame.js';
import type { SseSink } from '../../src/api/feed/sse-sink.js';
import { serveSubscriber } from '../../src/api/feed/sse-subscriber.js';
import { changeFrame, KEEP_ALIVE, parseLastEventId, snapshotFrame } from '../../src/api/feed/sse-wire.js';
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

  it('encode a snapshot once until the view or the id moves on', () => {
    const frame = snapshotFrame({ lastId: 3, view: emptyView });
    expect(frame.body.toString()).toBe(
      `event: snapshot\ndata: {"global":"${EMPTY_CHECKSUM}","minions":[]}\nid: 3\n\n`,
    );
    expect(snapshotFrame({ lastId: 3, view: emptyView })).toBe(frame);
    expect(snapshotFrame({ lastId: 4, view: emptyView })).not.toBe(frame);
    expect(snapshotFrame({ lastId: 3, view: { ...emptyView } })).not.toBe(frame);
  });
});

describe('KeepAliveTicker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one timer while it has members, beating each of them every interval', () => {
    vi.useFakeTimers();
    const ticker = new KeepAliveTicker(100);
    const beats = { a: 0, b: 0 };
    const a = {
      beat: () => {
        beats.a += 1;
      },
    };
    const b = {
      beat: () => {
        beats.b += 1;
      },
    };
    expect(ticker.running).toBe(false);
    ticker.add(a);
    ticker.add(b);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(250);
    expect(beats).toEqual({ a: 2, b: 2 });
    ticker.delete(a);
    vi.advanceTimersByTime(100);
    expect(beats).toEqual({ a: 2, b: 3 });
    ticker.delete(b);
    expect(ticker.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

/** A sink that keeps what it is sent, as text; the test decides when it is congested or closes. */
class RecordingSink implements SseSink {
  readonly sent: string[] = [];
  congested = false;
  ended = 0;
  readonly #closing = new CloseSignal();

  get closed(): boolean {
    return this.#closing.fired;
  }

  send(frame: SseFrame): void {
    this.sent.push(frame.body.toString());
  }

  end(): void {
    this.ended += 1;
    this.close();
  }

  close(): void {
    this.#closing.fire();
  }

  onClose(listener: () => void): void {
    this.#closing.add(listener);
  }
}

describe('serveSubscriber', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function subscribe(): {
    registry: ReturnType<typeof source>;
    feed: ChangeFeed;
    sink: RecordingSink;
    ticker: KeepAliveTicker;
  } {
    const registry = source();
    const feed = createChangeFeed(registry);
    const sink = new RecordingSink();
    const ticker = new KeepAliveTicker(100);
    serveSubscriber(sink, feed, { lastEventId: undefined, maxBacklog: 10, keepAlive: ticker });
    return { registry, feed, sink, ticker };
  }

  const keepAlive = KEEP_ALIVE.body.toString();

  it('sends keep-alives only on a stream that had nothing for a whole interval and is not behind', () => {
    vi.useFakeTimers();
    const { registry, feed, sink } = subscribe();
    expect(sink.sent).toHaveLength(1); // the snapshot
    vi.advanceTimersByTime(100); // the snapshot went out during this interval
    expect(sink.sent).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(sink.sent.at(-1)).toBe(keepAlive);
    registry.emit();
    vi.advanceTimersByTime(100);
    expect(sink.sent.filter((text) => text === keepAlive)).toHaveLength(1);
    sink.congested = true;
    vi.advanceTimersByTime(300);
    expect(sink.sent.filter((text) => text === keepAlive)).toHaveLength(1);
    feed.close();
  });

  it('leaves neither a feed subscription nor a timer behind when the client goes away', () => {
    vi.useFakeTimers();
    const { feed, sink, ticker } = subscribe();
    expect(feed.subscriberCount()).toBe(1);
    expect(ticker.running).toBe(true);
    sink.close();
    expect(feed.subscriberCount()).toBe(0);
    expect(ticker.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    feed.close();
  });

  it('ends the stream when the feed ends, and cleans up the same way', () => {
    const { feed, sink, ticker } = subscribe();
    feed.close();
    expect(sink.ended).toBe(1);
    expect(ticker.running).toBe(false);
  });

  it('ends at once, subscribing to nothing, on a feed that has already ended', () => {
    const registry = source();
    const feed = createChangeFeed(registry);
    feed.close();
    const sink = new RecordingSink();
    const ticker = new KeepAliveTicker(100);
    serveSubscriber(sink, feed, { lastEventId: undefined, maxBacklog: 10, keepAlive: ticker });
    expect(sink.ended).toBe(1);
    expect(sink.sent).toEqual([]);
    expect(ticker.running).toBe(false);
  });
});
