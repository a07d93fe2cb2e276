/**
 * What a new subscriber is sent first: the newest encoded snapshot of the fleet, followed by the
 * events since it from the feed's ring buffer. Lossless (events carry absolute checksums), and
 * a burst of subscribers joining while the fleet changes shares one snapshot encoding instead of
 * paying a pass over the whole fleet each: with 200 changes a second nearly every subscriber of a
 * 2,000-subscriber ramp met a new registry view, and so a fresh encoding.
 *
 * A new snapshot is encoded only once the events since the held one would be more bytes than it,
 * or are no longer all held: a catch-up is then never more than twice a snapshot, and the cost of
 * encoding is spread over at least a snapshot's worth of changes.
 */
import type { ChangeFeed } from './change-feed.js';
import { joinFrames, type SseFrame } from './sse-frame.js';
import { changeFrame, snapshotFrame } from './sse-wire.js';

export interface CatchUp {
  /** The id of the newest event the frames reflect. */
  readonly lastId: number;
  /** The snapshot, then (if any) the events since it as one frame. */
  readonly frames: readonly SseFrame[];
}

interface Encoded {
  readonly lastId: number;
  readonly frame: SseFrame;
}

export class SnapshotCache {
  readonly #feed: ChangeFeed;
  #snapshot: Encoded | undefined;
  /** The events after the snapshot up to `lastId`, joined: shared by subscribers until the next change. */
  #tail: Encoded | undefined;

  constructor(feed: ChangeFeed) {
    this.#feed = feed;
  }

  catchUp(): CatchUp {
    const lastId = this.#feed.lastId();
    const snapshot = this.#snapshot;
    if (snapshot !== undefined) {
      if (snapshot.lastId === lastId) return { lastId, frames: [snapshot.frame] };
      const tail = this.#tailTo(snapshot, lastId);
      if (tail !== undefined) return { lastId, frames: [snapshot.frame, tail.frame] };
    }
    const fresh = this.#feed.snapshot();
    this.#snapshot = { lastId: fresh.lastId, frame: snapshotFrame(fresh) };
    this.#tail = undefined;
    return { lastId: fresh.lastId, frames: [this.#snapshot.frame] };
  }

  /** The events from `snapshot` to `lastId` as one frame, unless a new snapshot would be smaller. */
  #tailTo(snapshot: Encoded, lastId: number): Encoded | undefined {
    if (this.#tail?.lastId === lastId) return this.#tail;
    const events = this.#feed.since(snapshot.lastId);
    if (events === undefined || events.length === 0) return undefined;
    const frames = events.map(changeFrame);
    let bytes = 0;
    for (const frame of frames) bytes += frame.body.length;
    if (bytes > snapshot.frame.body.length) return undefined;
    this.#tail = { lastId, frame: joinFrames(frames) };
    return this.#tail;
  }
}
