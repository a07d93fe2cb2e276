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
 * Live changes reach subscribers through one fan-out (`feed/fan-out.ts`: batched, one encoding per
 * batch, a slice of subscribers per event-loop turn); a new subscriber starts from the shared
 * snapshot (`feed/snapshot-cache.ts`). A subscriber that leaves more than `backlogLimit` bytes
 * unread is sent a final `dropped` message and let go (logged once per address).
 *
 * Every stream starts with a `retry:` hint (`retryMs`, `--feed-retry`), so browsers reconnect after
 * the same delay whatever their EventSource's default. When the tower drains (the feed closed with
 * `shutdown`), each stream ends with a `shutdown` event whose `retry:` is a random delay between one
 * and two `retryMs`, so the subscribers reconnect (to another tower, behind a load balancer) spread out.
 */
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { LimitLog } from '../../log/limit-log.js';
import { type Logger, silentLogger } from '../../log/logger.js';
import type { FeedObserver } from '../api-observer.js';
import { type ApiContext, type ApiEnv, clientAddress, nodeBindings } from '../bindings.js';
import { apiError } from '../errors.js';
import type { ChangeFeed } from '../feed/change-feed.js';
import { FeedFanOut } from '../feed/fan-out.js';
import { SnapshotCache } from '../feed/snapshot-cache.js';
import { SocketSink } from '../feed/socket-sink.js';
import { type FeedParts, type SubscriberOptions, serveSubscriber } from '../feed/sse-subscriber.js';
import { parseLastEventId, retryFrame, SSE_HEADERS } from '../feed/sse-wire.js';
import { WebStreamSink } from '../feed/web-stream-sink.js';

export interface MinionEventOptions {
  /** Interval between `: keep-alive` comments on an idle stream. */
  readonly keepAliveMs?: number;
  /** Bytes a subscriber may leave unread (besides its catch-up) before it is dropped. */
  readonly backlogLimit?: number;
  /** The share (0-1] of the tower's time that writing changes to subscribers may take on average. */
  readonly writeShare?: number;
  /** How long a dropped subscriber has to read its final `dropped` message. */
  readonly dropGraceMs?: number;
  /** Where a dropped subscriber is logged, once per address. */
  readonly log?: Logger;
  /** Told how many streams are open and when one is dropped (the tower's metrics). */
  readonly observer?: FeedObserver;
  /** The reconnect delay (ms) sent to EventSource clients in each stream's first message. */
  readonly retryMs?: number;
  /**
   * Headers to add for this request (CORS). The stream is written past Hono's response, so
   * middleware must not set headers on it (see `cors.ts`): the route writes them itself.
   */
  readonly headers?: (c: ApiContext) => Readonly<Record<string, string>>;
  /** Told for each subscriber sent the final `shutdown` event (the drain's count). */
  readonly onShutdownTold?: () => void;
  /** Where the shutdown event's jitter draws from; Math.random unless a test supplies one. */
  readonly random?: () => number;
}

export function minionEventRoutes(feed: ChangeFeed, options: MinionEventOptions = {}): Hono<ApiEnv> {
  const parts: FeedParts = {
    feed,
    fanOut: new FeedFanOut(feed, {
      writeShare: options.writeShare ?? 0.25,
      keepAliveMs: options.keepAliveMs ?? 15_000,
    }),
    snapshots: new SnapshotCache(feed),
  };
  options.observer?.subscribers(() => parts.fanOut.size);
  const backlogLimit = options.backlogLimit ?? 1024 * 1024;
  const dropGraceMs = options.dropGraceMs ?? 5000;
  const limits = new LimitLog(options.log ?? silentLogger());
  const first = retryFrame(options.retryMs ?? 3000);
  const extraHeaders = options.headers ?? (() => ({}));
  const retryMs = options.retryMs ?? 3000;
  const random = options.random ?? Math.random;
  const shutdown = {
    retryMs: () => retryMs + Math.floor(random() * retryMs),
    told: () => options.onShutdownTold?.(),
  };
  return new Hono<ApiEnv>().get('/minions/events', (c) => {
    if (feed.closed) throw apiError(503, 'feed-closed', 'the minion change feed has stopped');
    // Hono answers HEAD with this handler and drops the body; a stream opened here would never be
    // read or cancelled, so it would hold a feed subscription forever.
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream' });
    const outgoing = nodeBindings(c)?.outgoing;
    const remote = clientAddress(c) ?? 'in-process';
    const subscriber: SubscriberOptions = {
      lastEventId: parseLastEventId(c.req.header('Last-Event-ID')),
      first,
      shutdown,
      backlogLimit,
      dropGraceMs,
      onDrop: (lastEventId, backlog) => {
        options.observer?.dropped();
        limits.hit(
          remote,
          'feedBacklogLimit',
          { remote, lastEventId, backlog, backlogLimit },
          'event stream subscriber dropped: it left more than the backlog limit unread',
        );
      },
    };
    if (outgoing) {
      serveSubscriber(new SocketSink(outgoing, extraHeaders(c)), parts, subscriber);
      return RESPONSE_ALREADY_SENT;
    }
    const sink = new WebStreamSink();
    serveSubscriber(sink, parts, subscriber);
    return c.body(sink.readable, 200, { ...extraHeaders(c), ...SSE_HEADERS });
  });
}
