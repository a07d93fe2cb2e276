/**
 * One `GET /minions/events` connection, from the first message to clean-up: catch the subscriber
 * up (the events it missed, or the shared snapshot and the events since), then take its share of
 * each live batch until the client goes away, falls too far behind, or the feed ends.
 *
 * Everything here is synchronous and costs a subscriber no encoding: its catch-up and every batch
 * are frames shared with the other subscribers, written as they are.
 */
import type { ChangeFeed } from './change-feed.js';
import type { Batch, FanOutMember, FeedFanOut } from './fan-out.js';
import type { SnapshotCache } from './snapshot-cache.js';
import { joinFrames, type SseFrame } from './sse-frame.js';
import type { SseSink } from './sse-sink.js';
import { changeFrame, droppedFrame, KEEP_ALIVE, shutdownFrame } from './sse-wire.js';

export interface SubscriberOptions {
  /** The `Last-Event-ID` the client sent, if it was one of ours. */
  readonly lastEventId: number | undefined;
  /** Bytes the client may leave unread, besides its catch-up, before it is dropped. */
  readonly backlogLimit: number;
  /** How long a dropped client has to read its final message before it is cut off. */
  readonly dropGraceMs: number;
  /** Told when this subscriber is dropped (for the once-per-peer log). */
  readonly onDrop: (lastEventId: number, backlog: number) => void;
  /** Sent before anything else (the `retry:` hint); none when absent. */
  readonly first?: SseFrame;
  /**
   * When the tower shuts down: the reconnect delay (ms) this subscriber is told in its final
   * `shutdown` event, and the hook told that it was (the drain's count). Without it the stream just ends.
   */
  readonly shutdown?: { readonly retryMs: () => number; readonly told: () => void };
}

export interface FeedParts {
  readonly feed: ChangeFeed;
  readonly fanOut: FeedFanOut;
  readonly snapshots: SnapshotCache;
}

export function serveSubscriber(sink: SseSink, parts: FeedParts, options: SubscriberOptions): void {
  // The id of the last event sent; undefined until the catch-up is written. Batches are joined before
  // the catch-up, so no change can fall between the two; anything the catch-up covered is skipped.
  let sentId: number | undefined;
  // The catch-up may be a whole snapshot the client has not read yet; that is not falling behind.
  let allowance = 0;

  const drop = (lastId: number): void => {
    options.onDrop(lastId, sink.backlog);
    sink.drop(droppedFrame(lastId), options.dropGraceMs);
  };
  const member: FanOutMember = {
    deliver(batch: Batch) {
      if (sentId === undefined || batch.lastId <= sentId) return;
      // Never write past a gap (the feed ending while an earlier batch is still going round): the
      // client's Last-Event-ID must stay where it can resume from without loss.
      if (batch.firstId > sentId + 1) {
        sink.end();
        return;
      }
      if (sink.backlog > options.backlogLimit + allowance) {
        drop(sentId);
        return;
      }
      const after = sentId;
      sink.send(
        batch.firstId > after
          ? batch.frame
          : joinFrames(batch.events.filter((event) => event.eventId > after).map(changeFrame)),
      );
      sentId = batch.lastId;
    },
    beat() {
      // Bytes still waiting show the client is behind, not gone quiet: a keep-alive would only pile on.
      if (sink.backlog === 0) sink.send(KEEP_ALIVE);
    },
    end: (ending) => {
      const { shutdown } = options;
      if (ending !== 'shutdown' || shutdown === undefined || sentId === undefined) return sink.end();
      shutdown.told();
      // Like a drop: the last message may wait behind unread bytes, for the drop grace at most.
      sink.drop(shutdownFrame(sentId, shutdown.retryMs()), options.dropGraceMs);
    },
  };

  const leave = parts.fanOut.join(member);
  sink.onClose(leave);
  // A feed that has already ended ends the stream inside `join`.
  if (sink.closed) return;

  const { lastEventId } = options;
  const missed = lastEventId === undefined ? undefined : parts.feed.since(lastEventId);
  let frames: SseFrame[];
  if (lastEventId !== undefined && missed !== undefined) {
    frames = missed.length > 0 ? [joinFrames(missed.map(changeFrame))] : [];
    sentId = lastEventId + missed.length;
  } else {
    const catchUp = parts.snapshots.catchUp();
    frames = [...catchUp.frames];
    sentId = catchUp.lastId;
  }
  if (options.first) frames.unshift(options.first);
  for (const frame of frames) {
    allowance += frame.chunk.length;
    sink.send(frame);
  }
}
