/**
 * The parts between the change feed and the subscribers' sockets, on their own and on fake
 * timers: the fan-out's batches, slices and keep-alives; the shared snapshot a new subscriber
 * starts from; and one subscriber's catch-up, its drop when it falls behind, and its clean-up.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChangeFeed, createChangeFeed } from '../../src/api/feed/change-feed.js';
import { CloseSignal } from '../../src/api/feed/close-signal.js';
import { type Batch, type FanOutMember, FeedFanOut } from '../../src/api/feed/fan-out.js';
import { SnapshotCache } from '../../src/api/feed/snapshot-cache.js';
import type { SseFrame } from '../../src/api/feed/sse-frame.js';
import type { SseSink } from '../../src/api/feed/sse-sink.js';
import { type FeedParts, serveSubscriber } from '../../src/api/feed/sse-subscriber.js';
import { FakeRegistry } from '../helpers/fake-registry.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const KEEP_ALIVE_MS = 1000;

function parts(bufferSize = 1024): FeedParts & { registry: FakeRegistry } {
  const registry = new FakeRegistry();
  const feed = createChangeFeed(registry, { bufferSize });
  // The budget on the fake clock: writing takes no time unless a test's member says it does.
  const fanOut = new FeedFanOut(feed, {
    writeShare: 0.25,
    keepAliveMs: KEEP_ALIVE_MS,
    now: () => Date.now(),
  });
  return { registry, feed, fanOut, snapshots: new SnapshotCache(feed) };
}

/** A fan-out member that keeps what it is given. */
function recorder(): FanOutMember & { batches: Batch[]; beats: number; ended: number } {
  const self = {
    batches: [] as Batch[],
    beats: 0,
    ended: 0,
    deliver: (batch: Batch) => {
      self.batches.push(batch);
    },
    beat: () => {
      self.beats += 1;
    },
    end: () => {
      self.ended += 1;
    },
  };
  return self;
}

const ids = (batch: Batch | undefined): number[] => batch?.events.map((event) => event.eventId) ?? [];

describe('FeedFanOut', () => {
  it('sends the changes of one turn as one batch, one frame for every member', () => {
    const { registry, fanOut } = parts();
    const a = recorder();
    const b = recorder();
    fanOut.join(a);
    fanOut.join(b);
    for (let n = 1; n <= 5; n++) registry.put('m', n);
    expect(a.batches).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(a.batches.map(ids)).toEqual([[1, 2, 3, 4, 5]]);
    expect(b.batches[0]).toBe(a.batches[0]);
    expect(a.batches[0]?.frame.body.toString().match(/^event: /gm)).toHaveLength(5);
  });

  it('holds the next batch back while the write budget is spent, gathering what comes meanwhile', () => {
    const { registry, fanOut } = parts();
    const slow = recorder();
    // A batch that takes 300 ms of writing: more than the 250 ms a quarter share allows at once.
    slow.deliver = (batch) => {
      slow.batches.push(batch);
      vi.setSystemTime(Date.now() + 300);
    };
    fanOut.join(slow);
    registry.put('m', 1);
    vi.advanceTimersByTime(0);
    registry.put('m', 2);
    registry.put('m', 3);
    // 50 ms over budget, paid off at a quarter of the time that passes: 200 ms.
    vi.advanceTimersByTime(199);
    expect(slow.batches.map(ids)).toEqual([[1]]);
    vi.advanceTimersByTime(1);
    expect(slow.batches.map(ids)).toEqual([[1], [2, 3]]);
  });

  it('writes to at most 64 members per event-loop turn', () => {
    const { registry, fanOut } = parts();
    const members = Array.from({ length: 150 }, () => recorder());
    for (const member of members) fanOut.join(member);
    registry.put('m');
    const served = () => members.filter((member) => member.batches.length > 0).length;
    vi.advanceTimersToNextTimer();
    expect(served()).toBe(64);
    vi.advanceTimersToNextTimer();
    expect(served()).toBe(128);
    vi.advanceTimersToNextTimer();
    expect(served()).toBe(150);
  });

  it('beats every member after a keep-alive interval without a batch', () => {
    const { registry, fanOut } = parts();
    const a = recorder();
    fanOut.join(a);
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    expect(a.beats).toBe(1);
    registry.put('m');
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    expect(a.beats).toBe(1);
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    expect(a.beats).toBe(2);
  });

  it('holds the feed and a timer only while it has members', () => {
    const { feed, fanOut } = parts();
    expect(feed.subscriberCount()).toBe(0);
    const leaveA = fanOut.join(recorder());
    const leaveB = fanOut.join(recorder());
    expect(feed.subscriberCount()).toBe(1);
    leaveA();
    leaveB();
    expect(feed.subscriberCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops and ends a member that throws; the others go on', () => {
    const { registry, fanOut } = parts();
    const bad = recorder();
    bad.deliver = () => {
      throw new Error('boom');
    };
    const good = recorder();
    fanOut.join(bad);
    fanOut.join(good);
    registry.put('m', 1);
    vi.advanceTimersByTime(0);
    expect(bad.ended).toBe(1);
    expect(fanOut.size).toBe(1);
    registry.put('m', 2);
    vi.advanceTimersByTime(0);
    expect(good.batches.map(ids)).toEqual([[1], [2]]);
  });

  it('when the feed ends, sends what it published, then ends every member', () => {
    const { registry, feed, fanOut } = parts();
    const a = recorder();
    fanOut.join(a);
    registry.put('m');
    feed.close();
    expect(a.batches.map(ids)).toEqual([[1]]);
    expect(a.ended).toBe(1);
    expect(fanOut.size).toBe(0);
  });
});

describe('SnapshotCache', () => {
  it('encodes once, then serves that snapshot and the events since, until they outweigh it', () => {
    const { registry, snapshots } = parts();
    for (let i = 0; i < 10; i++) registry.put(`m-${i}`);
    registry.idsListed = 0;
    const first = snapshots.catchUp();
    expect(first.lastId).toBe(10);
    expect(first.frames).toHaveLength(1);
    expect(snapshots.catchUp().frames[0]).toBe(first.frames[0]);

    registry.put('m-0', 1);
    registry.put('m-1', 1);
    const later = snapshots.catchUp();
    expect(later.lastId).toBe(12);
    expect(later.frames[0]).toBe(first.frames[0]);
    expect(later.frames[1]?.body.toString()).toMatch(/^event: changed\n(.*\n)*id: 11\n\nevent: changed\n/);
    expect(snapshots.catchUp().frames[1]).toBe(later.frames[1]);
    expect(registry.idsListed).toBe(1);

    // Ten minions' snapshot is about as big as five changes: more than that, and it is cheaper anew.
    for (let n = 2; n < 10; n++) registry.put('m-0', n);
    const fresh = snapshots.catchUp();
    expect(registry.idsListed).toBe(2);
    expect(fresh.frames).toHaveLength(1);
    expect(fresh.frames[0]?.body.toString()).toMatch(/^event: snapshot\n.*\nid: 20\n\n$/);
  });

  it('encodes anew when the events since its snapshot are no longer all held', () => {
    const { registry, snapshots } = parts(2);
    for (let i = 0; i < 50; i++) registry.put(`m-${i}`);
    snapshots.catchUp();
    for (let n = 1; n <= 3; n++) registry.put('m-0', n);
    registry.idsListed = 0;
    expect(snapshots.catchUp()).toMatchObject({ lastId: 53, frames: [expect.anything()] });
    expect(registry.idsListed).toBe(1);
  });
});

/** A sink that keeps what it is sent, as text; the test sets its backlog and closes it. */
class RecordingSink implements SseSink {
  readonly sent: string[] = [];
  backlog = 0;
  ended = 0;
  dropped: { final: string; graceMs: number } | undefined;
  readonly #closing = new CloseSignal();

  get closed(): boolean {
    return this.#closing.fired;
  }

  send(frame: SseFrame): void {
    this.sent.push(frame.body.toString());
  }

  end(): void {
    if (this.closed) return;
    this.ended += 1;
    this.close();
  }

  drop(final: SseFrame, graceMs: number): void {
    this.dropped = { final: final.body.toString(), graceMs };
    this.close();
  }

  close(): void {
    this.#closing.fire();
  }

  onClose(listener: () => void): void {
    this.#closing.add(listener);
  }

  /** The ids of the events sent, in order (keep-alives and snapshots have none, or their own). */
  ids(): string[] {
    return this.sent.flatMap((text) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1] ?? ''));
  }
}

function subscribe(
  feedParts: FeedParts,
  options: { lastEventId?: number; backlogLimit?: number } = {},
): { sink: RecordingSink; drops: number[] } {
  const sink = new RecordingSink();
  const drops: number[] = [];
  serveSubscriber(sink, feedParts, {
    lastEventId: options.lastEventId,
    backlogLimit: options.backlogLimit ?? 1000,
    dropGraceMs: 5000,
    onDrop: (lastEventId) => drops.push(lastEventId),
  });
  return { sink, drops };
}

describe('serveSubscriber', () => {
  it('starts from the shared snapshot and takes only the part of each batch it has not seen', () => {
    const feedParts = parts();
    const { registry } = feedParts;
    registry.put('a');
    const early = subscribe(feedParts);
    registry.put('b'); // 2: waits for the next batch
    const late = subscribe(feedParts); // its catch-up covers 2
    registry.put('c'); // 3: in the same batch
    vi.advanceTimersByTime(0);
    expect(early.sink.ids()).toEqual(['1', '2', '3']);
    expect(early.sink.sent).toHaveLength(2);
    expect(late.sink.ids()).toEqual(['1', '2', '3']);
    expect(late.sink.sent[0]).toBe(early.sink.sent[0]); // the one snapshot
    expect(late.sink.sent[2]).toMatch(/^event: added\ndata: \{"id":"c"/);
  });

  it('resumes from Last-Event-ID with the missed events as one message', () => {
    const feedParts = parts();
    for (const id of ['a', 'b', 'c']) feedParts.registry.put(id);
    const { sink } = subscribe(feedParts, { lastEventId: 1 });
    expect(sink.sent).toHaveLength(1);
    expect(sink.ids()).toEqual(['2', '3']);
  });

  it('drops a subscriber once more than the limit waits beyond its catch-up, naming the last id it was sent', () => {
    const feedParts = parts();
    const { registry, fanOut } = feedParts;
    const { sink, drops } = subscribe(feedParts, { backlogLimit: 100 });
    const catchUp = Buffer.byteLength(sink.sent[0] ?? '');
    registry.put('a', 1);
    vi.advanceTimersByTime(0);
    sink.backlog = catchUp + 100; // the snapshot unread, and the limit: still served
    registry.put('a', 2);
    vi.advanceTimersByTime(0);
    expect(sink.ids()).toEqual(['0', '1', '2']);
    sink.backlog = 2 * catchUp + 100;
    registry.put('a', 3);
    vi.advanceTimersByTime(0);
    expect(drops).toEqual([2]);
    expect(sink.dropped?.final).toMatch(/^event: dropped\ndata: .*"lastEventId":"2".*\nid: 2\n\n$/);
    expect(sink.dropped?.graceMs).toBe(5000);
    expect(fanOut.size).toBe(0);
  });

  it('sends a keep-alive on a beat only when nothing is waiting for the client', () => {
    const feedParts = parts();
    const { sink } = subscribe(feedParts);
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    expect(sink.sent.at(-1)).toBe(': keep-alive\n\n');
    sink.backlog = 1;
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    expect(sink.sent.filter((text) => text.startsWith(':'))).toHaveLength(1);
  });

  it('leaves the fan-out when the client goes away, and the fan-out lets go of the feed', () => {
    const feedParts = parts();
    const { sink } = subscribe(feedParts);
    expect(feedParts.fanOut.size).toBe(1);
    sink.close();
    expect(feedParts.fanOut.size).toBe(0);
    expect(feedParts.feed.subscriberCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends the stream rather than skip events when a batch would leave a gap', () => {
    const feedParts = parts();
    const { registry, fanOut } = feedParts;
    const members = Array.from({ length: 70 }, () => subscribe(feedParts));
    registry.put('a'); // 1
    vi.advanceTimersToNextTimer(); // the first 64 have it; the last 6 wait for the next turn
    registry.put('b'); // 2
    feedParts.feed.close(); // sends 2 to everyone at once, then ends every stream
    const last = members.at(-1)?.sink;
    expect(last?.ids()).toEqual(['0']);
    expect(last?.ended).toBe(1);
    expect(members[0]?.sink.ids()).toEqual(['0', '1', '2']);
    expect(fanOut.size).toBe(0);
  });

  it('ends the stream when the feed ends', () => {
    const feedParts = parts();
    const { sink } = subscribe(feedParts);
    feedParts.feed.close();
    expect(sink.ended).toBe(1);
    expect(feedParts.fanOut.size).toBe(0);
  });

  it('ends at once, sending nothing, on a feed that has already ended', () => {
    const feedParts = parts();
    const feed: ChangeFeed = feedParts.feed;
    feed.close();
    const { sink } = subscribe(feedParts);
    expect(sink.ended).toBe(1);
    expect(sink.sent).toEqual([]);
    expect(feedParts.fanOut.size).toBe(0);
  });
});
