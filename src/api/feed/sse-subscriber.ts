/**
 * One `GET /minions/events` connection, from the first message to clean-up: catch the subscriber
 * up (missed events from the buffer, or a snapshot), then forward live events until the client
 * goes away, falls too far behind, or the feed ends.
 *
 * Everything here is synchronous: a live event costs each subscriber one lookup of the event's
 * shared frame and one write to its sink.
 */
import type { ChangeFeed, FeedEvent } from './change-feed.js';
import type { Heartbeat, KeepAliveTicker } from './keep-alive.js';
import type { SseFrame } from './sse-frame.js';
import type { SseSink } from './sse-sink.js';
import { changeFrame, KEEP_ALIVE, snapshotFrame } from './sse-wire.js';

export interface SubscriberOptions {
  /** The `Last-Event-ID` the client sent, if it was one of ours. */
  readonly lastEventId: number | undefined;
  /** The sink's bound: a replay longer than this is replaced by a snapshot. */
  readonly maxBacklog: number;
  readonly keepAlive: KeepAliveTicker;
}

export function serveSubscriber(sink: SseSink, feed: ChangeFeed, options: SubscriberOptions): void {
  // Subscribe before catching up, holding live events until the catch-up is written, so no change
  // can fall between the two; anything the catch-up already covered is dropped by id.
  let sentId: number | undefined;
  const early: FeedEvent[] = [];
  // A stream that had a message since the last beat is not idle and needs no keep-alive.
  let sentSinceBeat = false;
  const send = (frame: SseFrame): void => {
    sink.send(frame);
    sentSinceBeat = true;
  };
  const forward = (event: FeedEvent): void => {
    if (sentId !== undefined && event.eventId <= sentId) return;
    sentId = event.eventId;
    send(changeFrame(event));
  };
  const heartbeat: Heartbeat = {
    beat() {
      // Bytes still waiting show the client is behind, not gone quiet: a keep-alive would only pile on.
      if (!sentSinceBeat && !sink.congested) sink.send(KEEP_ALIVE);
      sentSinceBeat = false;
    },
  };

  let unsubscribe = (): void => {};
  sink.onClose(() => {
    unsubscribe();
    options.keepAlive.delete(heartbeat);
  });
  if (sink.closed) return;
  unsubscribe = feed.subscribe({
    event(event) {
      if (sentId === undefined) early.push(event);
      else forward(event);
    },
    end: () => sink.end(),
  });
  // A feed that has already ended ends the stream inside `subscribe`, before `unsubscribe` was set.
  if (sink.closed) {
    unsubscribe();
    return;
  }
  options.keepAlive.add(heartbeat);

  const { lastEventId, maxBacklog } = options;
  const missed = lastEventId === undefined ? undefined : feed.since(lastEventId);
  // A replay that would not fit the backlog would cut the client off before it could read it, and
  // it would reconnect with the same id forever; one snapshot message fits any backlog.
  if (lastEventId !== undefined && missed && missed.length < maxBacklog) {
    sentId = lastEventId;
    for (const event of missed) forward(event);
  } else {
    const snapshot = feed.snapshot();
    send(snapshotFrame(snapshot));
    sentId = snapshot.lastId;
  }
  for (const event of early.splice(0)) forward(event);
}
