/**
 * `GET /minions/events`: the registry's change feed as server-sent events (see `feed/sse-wire.ts`
 * for the messages). A client that reconnects with `Last-Event-ID` resumes without a gap or a
 * duplicate while the feed still holds what it missed, and gets a fresh snapshot otherwise.
 *
 * Under @hono/node-server the stream is written straight to the Node response and the handler
 * answers `RESPONSE_ALREADY_SENT`: a change then costs each subscriber one socket write of bytes
 * encoded once for all (`feed/socket-sink.ts`). Without a Node response (`app.request()`, other
 * runtimes) the same frames go through a web stream.
 *
 * `RESPONSE_ALREADY_SENT` must be created before `serve()` swaps in node-server's own `Response`
 * class: node-server takes one made after that for a cached body and writes the head a second time
 * (and throws). Imported statically here, it is made while the app's modules load, before
 * `startTower` (or a test) calls `serve()`.
 *
 * No `retry:` field is sent: EventSource's default reconnect delay (a few seconds) suits a feed
 * that resumes losslessly, and a server-wide value would be a policy nobody has asked for yet.
 */
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { apiError } from '../errors.js';
import type { ChangeFeed } from '../feed/change-feed.js';
import { KeepAliveTicker } from '../feed/keep-alive.js';
import { nodeResponseOf, SocketSink } from '../feed/socket-sink.js';
import { type SubscriberOptions, serveSubscriber } from '../feed/sse-subscriber.js';
import { parseLastEventId, SSE_HEADERS } from '../feed/sse-wire.js';
import { WebStreamSink } from '../feed/web-stream-sink.js';

export interface MinionEventOptions {
  /** Interval between `: keep-alive` comments on an idle stream. */
  readonly keepAliveMs?: number;
  /** Messages waiting for a subscriber (unread) before it is disconnected. */
  readonly maxBacklog?: number;
}

export function minionEventRoutes(feed: ChangeFeed, options: MinionEventOptions = {}): Hono {
  const keepAlive = new KeepAliveTicker(options.keepAliveMs ?? 15_000);
  const maxBacklog = options.maxBacklog ?? 1000;
  return new Hono().get('/minions/events', (c) => {
    if (feed.closed) throw apiError(503, 'feed-closed', 'the minion change feed has stopped');
    // Hono answers HEAD with this handler and drops the body; a stream opened here would never be
    // read or cancelled, so it would hold a feed subscription forever.
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream' });
    const subscriber: SubscriberOptions = {
      lastEventId: parseLastEventId(c.req.header('Last-Event-ID')),
      maxBacklog,
      keepAlive,
    };
    const outgoing = nodeResponseOf(c.env);
    if (outgoing) {
      serveSubscriber(new SocketSink(outgoing, maxBacklog), feed, subscriber);
      return RESPONSE_ALREADY_SENT;
    }
    const sink = new WebStreamSink(maxBacklog);
    serveSubscriber(sink, feed, subscriber);
    return c.body(sink.readable, 200, SSE_HEADERS);
  });
}
