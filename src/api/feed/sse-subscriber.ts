/**
 * One `GET /minions/events` connection, from the first message to clean-up: catch the subscriber
 * up (missed events from the buffer, or a snapshot), then forward live events until the client
 * goes away, falls too far behind, or the feed ends.
 */
import type { SSEStreamingApi } from 'hono/streaming';
import type { ChangeFeed, FeedEvent } from './change-feed.js';
import { SseOutbox } from './sse-outbox.js';
import { changeMessage, snapshotMessage } from './sse-wire.js';

export interface SubscriberOptions {
  /** The `Last-Event-ID` the client sent, if it was one of ours. */
  readonly lastEventId: number | undefined;
  readonly keepAliveMs: number;
  readonly maxBacklog: number;
}

export async function serveSubscriber(
  stream: SSEStreamingApi,
  feed: ChangeFeed,
  options: SubscriberOptions,
): Promise<void> {
  let finish = (): void => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  stream.onAbort(finish);
  if (stream.aborted) return;

  // Aborting (not closing) discards the queued writes at once and ends the response for the client;
  // `close()` would wait for a reader that never comes.
  const outbox = new SseOutbox(stream, options.maxBacklog, () => stream.abort());

  // Subscribe before catching up, holding live events until the catch-up is written, so no change
  // can fall between the two; anything the catch-up already covered is dropped by id.
  let sentId: number | undefined;
  const early: FeedEvent[] = [];
  const forward = (event: FeedEvent): void => {
    if (sentId !== undefined && event.eventId <= sentId) return;
    sentId = event.eventId;
    outbox.send(changeMessage(event));
  };
  const unsubscribe = feed.subscribe({
    event(event) {
      if (sentId === undefined) early.push(event);
      else forward(event);
    },
    end: finish,
  });
  const keepAlive = setInterval(() => outbox.keepAlive(), options.keepAliveMs);
  const stop = (): void => {
    clearInterval(keepAlive);
    unsubscribe();
  };

  try {
    const { lastEventId } = options;
    const missed = lastEventId === undefined ? undefined : feed.since(lastEventId);
    // A replay that would not fit the backlog would cut the client off before it could read it, and
    // it would reconnect with the same id forever; one snapshot message fits any backlog.
    if (lastEventId !== undefined && missed && missed.length < options.maxBacklog) {
      sentId = lastEventId;
      for (const event of missed) forward(event);
    } else {
      const snapshot = feed.snapshot();
      outbox.send(snapshotMessage(snapshot));
      sentId = snapshot.lastId;
    }
    for (const event of early.splice(0)) forward(event);
    await finished;
    stop();
    // Let what is already queued go out (or fail fast if aborted) before streamSSE closes the writer.
    await outbox.idle();
  } finally {
    stop();
  }
}
