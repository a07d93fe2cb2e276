/**
 * Delivers the change feed to every open `/minions/events` stream, with the cost of a burst
 * bounded per subscriber rather than per change.
 *
 * - Changes are batched: the changes of one event-loop turn, or of the time the previous batch and
 *   the write budget (`write-budget.ts`) made them wait, go out as one frame, encoded once and
 *   written once to each subscriber. At 200 changes a second, one write per change per subscriber
 *   was 400,000 socket writes a second for 2,000 subscribers, more than two cores can do.
 * - A batch is written to `SLICE` subscribers per event-loop turn, so requests such as `/health`
 *   wait behind a slice, never behind the whole fan-out.
 * - Keep-alives go the same way, on a turn when no batch was written for a whole interval.
 *
 * The feed is subscribed to while there are members, so an idle route holds nothing.
 */
import type { ChangeFeed, FeedEnding, FeedEvent } from './change-feed.js';
import { joinFrames, type SseFrame } from './sse-frame.js';
import { changeFrame } from './sse-wire.js';
import { WriteBudget } from './write-budget.js';

/** Consecutive feed events, and all of them as one frame. */
export interface Batch {
  readonly events: readonly FeedEvent[];
  readonly firstId: number;
  readonly lastId: number;
  readonly frame: SseFrame;
}

export interface FanOutMember {
  /** A batch of live events; the member skips what its catch-up already covered. */
  deliver(batch: Batch): void;
  /** No batch for a whole keep-alive interval. */
  beat(): void;
  /** The feed has ended; `ending` says why when its closer said (`shutdown`). */
  end(ending?: FeedEnding): void;
}

export interface FanOutOptions {
  /** The share (0-1] of the tower's time that writing batches may take on average (`WriteBudget`). */
  readonly writeShare: number;
  readonly keepAliveMs: number;
  /** A millisecond clock for the budget; performance.now unless a test supplies one. */
  readonly now?: () => number;
}

/** Subscribers served per event-loop turn: a few milliseconds of socket writes at most. */
const SLICE = 64;

export class FeedFanOut {
  readonly #feed: ChangeFeed;
  readonly #options: FanOutOptions;
  readonly #budget: WriteBudget;
  readonly #members = new Set<FanOutMember>();
  #unsubscribe: (() => void) | undefined;
  #pending: FeedEvent[] = [];
  /** Cancels the scheduled flush, if one is. */
  #cancelFlush: (() => void) | undefined;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** A fan-out (of a batch or of keep-alives) is under way, over one or more turns. */
  #busy = false;
  #flushedSinceBeat = false;

  constructor(feed: ChangeFeed, options: FanOutOptions) {
    this.#feed = feed;
    this.#options = options;
    this.#budget = new WriteBudget(options.writeShare, options.now);
  }

  get size(): number {
    return this.#members.size;
  }

  /** Adds a member; returns its leave function. On a closed feed, the member is ended at once. */
  join(member: FanOutMember): () => void {
    this.#members.add(member);
    if (this.#unsubscribe === undefined) this.#start();
    return () => this.#leave(member);
  }

  #start(): void {
    const unsubscribe = this.#feed.subscribe({
      event: (event) => {
        this.#pending.push(event);
        this.#schedule();
      },
      end: (ending) => this.#end(ending),
    });
    // A feed that had already ended has ended (and let go of) every member inside `subscribe`.
    if (this.#members.size === 0) {
      unsubscribe();
      return;
    }
    this.#unsubscribe = unsubscribe;
    this.#keepAliveTimer = setInterval(() => this.#beat(), this.#options.keepAliveMs);
    this.#keepAliveTimer.unref();
  }

  #leave(member: FanOutMember): void {
    if (!this.#members.delete(member) || this.#members.size > 0) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#keepAliveTimer);
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    this.#pending = [];
  }

  #schedule(): void {
    if (this.#busy || this.#cancelFlush !== undefined || this.#pending.length === 0) return;
    const flush = (): void => {
      this.#cancelFlush = undefined;
      this.#flush();
    };
    // Right after this turn's I/O (so its other changes join the batch) while the budget allows:
    // a lone change, or a short burst, is not delayed.
    const wait = this.#budget.wait();
    if (wait <= 0) {
      const immediate = setImmediate(flush);
      this.#cancelFlush = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(flush, wait);
      this.#cancelFlush = () => clearTimeout(timer);
    }
  }

  #takeBatch(): Batch | undefined {
    const events = this.#pending;
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return undefined;
    this.#pending = [];
    return {
      events,
      firstId: first.eventId,
      lastId: last.eventId,
      frame: joinFrames(events.map(changeFrame)),
    };
  }

  #flush(): void {
    const batch = this.#takeBatch();
    if (batch === undefined) return;
    this.#flushedSinceBeat = true;
    this.#fanOut((member) => member.deliver(batch));
  }

  #beat(): void {
    if (!this.#flushedSinceBeat && !this.#busy) this.#fanOut((member) => member.beat());
    this.#flushedSinceBeat = false;
  }

  /**
   * Visits the members there are now, `SLICE` per turn; a member gone meanwhile is skipped. The
   * time spent in the slices (not what ran between them) is charged to the write budget.
   */
  #fanOut(visit: (member: FanOutMember) => void): void {
    this.#busy = true;
    const targets = [...this.#members];
    let next = 0;
    const slice = (): void => {
      const began = this.#budget.now();
      const end = Math.min(targets.length, next + SLICE);
      for (; next < end; next++) {
        const member = targets[next] as FanOutMember;
        if (this.#members.has(member)) this.#visit(member, visit);
      }
      this.#budget.spend(this.#budget.now() - began);
      if (next < targets.length) {
        setImmediate(slice);
        return;
      }
      this.#busy = false;
      this.#schedule();
    };
    slice();
  }

  /** One faulty member costs only its own stream. */
  #visit(member: FanOutMember, visit: (member: FanOutMember) => void): void {
    try {
      visit(member);
    } catch {
      this.#leave(member);
      try {
        member.end();
      } catch {
        // Gone either way.
      }
    }
  }

  /** The feed ended: what it published still goes out, at once, then every stream ends. */
  #end(ending?: FeedEnding): void {
    const batch = this.#takeBatch();
    const members = [...this.#members];
    for (const member of members) {
      if (batch !== undefined) this.#visit(member, (m) => m.deliver(batch));
      this.#visit(member, (m) => m.end(ending));
    }
    for (const member of members) this.#leave(member);
  }
}
