/**
 * `GET /minions/events`: the registry's change feed as server-sent events (see `feed/sse-wire.ts`
 * for the messages). A client that reconnects with `Last-Event-ID` resumes without a gap or a
 * duplicate while the feed still holds what it missed, and gets a fresh snapshot otherwise.
 *
 * No `retry:` field is sent: EventSource's default reconnect delay (a few seconds) suits a feed
 * that resumes losslessly, and a server-wide value would be a policy nobody has asked for yet.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { apiError } from '../errors.js';
import type { ChangeFeed } from '../feed/change-feed.js';
import { serveSubscriber } from '../feed/sse-subscriber.js';
import { parseLastEventId } from '../feed/sse-wire.js';

export interface MinionEventOptions {
  /** Interval between `: keep-alive` comments on an idle stream. */
  readonly keepAliveMs?: number;
  /** Queued, unwritten messages a subscriber may have before it is disconnected. */
  readonly maxBacklog?: number;
}

export function minionEventRoutes(feed: ChangeFeed, options: MinionEventOptions = {}): Hono {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxBacklog = options.maxBacklog ?? 1000;
  return new Hono().get('/minions/events', (c) => {
    if (feed.closed) throw apiError(503, 'feed-closed', 'the minion change feed has stopped');
    // Hono answers HEAD with this handler and drops the body; a stream opened here would never be
    // read or cancelled, so it would hold a feed subscription forever.
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream' });
    const lastEventId = parseLastEventId(c.req.header('Last-Event-ID'));
    return streamSSE(c, (stream) => serveSubscriber(stream, feed, { lastEventId, keepAliveMs, maxBacklog }));
  });
}
