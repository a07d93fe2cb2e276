/**
 * The change feed behind `GET /minions/events`: numbers every registry change (1, 2, 3, ...) and
 * keeps the newest ones in a ring buffer, so a subscriber that reconnects with `Last-Event-ID` is
 * told exactly what it missed, or learns that it must start over from a snapshot.
 *
 * It subscribes to `changes$` once, however many HTTP subscribers there are: numbering has to be
 * global for `Last-Event-ID` to mean the same thing on every connection.
 */
import type { Subscription } from 'rxjs';
import { withLazyGlobal } from '../../registry/lazy-global.js';
import type { RegistryChange, RegistryView } from '../../registry/registry-types.js';
import type { RegistrySource } from './registry-source.js';
import { RingBuffer } from './ring-buffer.js';

/** A registry change with its position in the feed. */
export interface FeedEvent extends RegistryChange {
  readonly eventId: number;
}

/** A view together with the id of the last event it already reflects. */
export interface FeedSnapshot {
  readonly lastId: number;
  readonly view: RegistryView;
}

/** Why a feed ended, when it is worth telling subscribers: `shutdown`, the tower is going away. */
export type FeedEnding = 'shutdown';

export interface FeedListener {
  /** A live event, in id order. */
  event(event: FeedEvent): void;
  /**
   * The feed stopped (closed, or the registry's stream ended); no more events will come. `ending`
   * says why when the closer said (the tower shutting down).
   */
  end(ending?: FeedEnding): void;
}

export interface ChangeFeed {
  /** The id of the newest event, 0 before the first one. */
  lastId(): number;
  /**
   * Exactly the events after `lastId`, oldest first, if the buffer still holds all of them;
   * `undefined` if some were dropped or `lastId` is not an id this feed could have issued.
   */
  since(lastId: number): readonly FeedEvent[] | undefined;
  snapshot(): FeedSnapshot;
  /** Live events from now on; returns the unsubscribe function. On a closed feed, `end` is called at once. */
  subscribe(listener: FeedListener): () => void;
  subscriberCount(): number;
  readonly closed: boolean;
  /** Ends every subscription; `ending` is passed on to them (a drain says `shutdown`). */
  close(ending?: FeedEnding): void;
}

export interface ChangeFeedOptions {
  /** How many of the newest events are kept for `Last-Event-ID` resumption. */
  readonly bufferSize?: number;
  /** Told when `changes$` errors (the feed then closes); the feed itself has no logger. */
  readonly onError?: (error: unknown) => void;
  /**
   * The first event's id (default 1). The tower starts from a clock-derived number so ids keep
   * increasing across restarts, and a subscriber holding an id from an earlier process gets a
   * fresh snapshot instead of being replayed this process's unrelated events.
   */
  readonly firstId?: number;
}

export function createChangeFeed(registry: RegistrySource, options: ChangeFeedOptions = {}): ChangeFeed {
  const buffer = new RingBuffer<FeedEvent>(options.bufferSize ?? 1024);
  const listeners = new Set<FeedListener>();
  let lastId = (options.firstId ?? 1) - 1;
  let closed = false;
  let subscription: Subscription | undefined;

  const publish = (change: RegistryChange): void => {
    lastId += 1;
    // `global` stays lazy: with no subscriber, nobody needs the fleet hashed after every change.
    const { type, id, checksum } = change;
    const event: FeedEvent = withLazyGlobal({ type, id, checksum, eventId: lastId }, () => change.global);
    buffer.push(event);
    // A copy: a listener may unsubscribe (or a new one subscribe) while we deliver.
    for (const listener of [...listeners]) deliver(listener, event);
  };

  // A throw inside an rxjs `next` is rethrown asynchronously and would crash the process; one faulty
  // listener must cost only its own subscription.
  const deliver = (listener: FeedListener, event: FeedEvent): void => {
    try {
      listener.event(event);
    } catch {
      listeners.delete(listener);
      endQuietly(listener);
    }
  };

  const close = (why?: FeedEnding): void => {
    if (closed) return;
    closed = true;
    subscription?.unsubscribe();
    const ending = [...listeners];
    listeners.clear();
    for (const listener of ending) endQuietly(listener, why);
  };

  subscription = registry.changes$.subscribe({
    next: publish,
    error: (error: unknown) => {
      options.onError?.(error);
      close();
    },
    complete: () => close(),
  });
  // `changes$` may have completed synchronously inside `subscribe`, before `subscription` was set.
  if (closed) subscription.unsubscribe();

  return {
    lastId: () => lastId,
    since(after) {
      if (!Number.isSafeInteger(after) || after < 0 || after > lastId) return undefined;
      const oldestHeld = lastId - buffer.size + 1;
      // Events oldestHeld..lastId are held; `after + 1` must be among them (or past the end).
      if (after + 1 < oldestHeld) return undefined;
      return buffer.tail(after + 1 - oldestHeld);
    },
    snapshot: () => ({ lastId, view: registry.current() }),
    subscribe(listener) {
      if (closed) {
        endQuietly(listener);
        return () => {};
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    subscriberCount: () => listeners.size,
    get closed() {
      return closed;
    },
    close,
  };
}

function endQuietly(listener: FeedListener, ending?: FeedEnding): void {
  try {
    listener.end(ending);
  } catch {
    // The listener is gone either way; nothing else depends on its clean-up succeeding.
  }
}
