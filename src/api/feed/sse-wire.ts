/**
 * The `GET /minions/events` wire format: which SSE messages a subscriber sees, and how the
 * `Last-Event-ID` it sends back is read.
 *
 *   event: snapshot                      event: changed
 *   data: {"global":"…","minions":[…]}   data: {"id":"web-1","checksum":"…","global":"…"}
 *   id: 41                               id: 42
 *
 * Every message carries absolute state (checksums, not diffs), so applying one twice is harmless.
 * Each message is encoded once (see `sse-frame.ts`), however many subscribers it goes to. A
 * subscriber dropped for not reading gets a last `dropped` message naming the id to resume from.
 */
import type { FeedEvent, FeedSnapshot } from './change-feed.js';
import { type SseFrame, toFrame } from './sse-frame.js';

export interface SnapshotData {
  readonly global: string;
  readonly minions: readonly { readonly id: string; readonly checksum: string }[];
}

export interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}

/** The response headers of the stream (those `streamSSE` sent before, unchanged). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'Transfer-Encoding': 'chunked',
};

// `data` is always one line of JSON (JSON.stringify escapes line breaks), and event names and ids
// are ours, so no field needs splitting or escaping.
const message = (event: string, id: number, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\nid: ${id}\n\n`;

/**
 * The whole fleet as one message. Costs a pass over every minion: `snapshot-cache.ts` decides
 * when one is worth making.
 */
export function snapshotFrame({ lastId, view }: FeedSnapshot): SseFrame {
  const minions = view.ids.flatMap((id) => {
    const entry = view.entries.get(id);
    return entry ? [{ id, checksum: entry.checksum }] : [];
  });
  const data: SnapshotData = { global: view.global, minions };
  return toFrame(message('snapshot', lastId, data));
}

// Keyed by the event object the feed hands to every listener and keeps in its replay buffer, so
// live delivery and `Last-Event-ID` replays share one encoding, dropped with the event.
const changeFrames = new WeakMap<FeedEvent, SseFrame>();

export function changeFrame(event: FeedEvent): SseFrame {
  let frame = changeFrames.get(event);
  if (!frame) {
    const data: ChangeData = { id: event.id, checksum: event.checksum, global: event.global };
    frame = toFrame(message(event.type, event.eventId, data));
    changeFrames.set(event, frame);
  }
  return frame;
}

/** The data of the last message a subscriber gets when it is dropped for falling behind. */
export interface DroppedData {
  readonly reason: 'backlog';
  /** The id of the last event this subscriber was sent: the `Last-Event-ID` to resume from. */
  readonly lastEventId: string;
  readonly message: string;
}

/** Carries the same `id` as the last event sent, so an EventSource resumes from it by itself. */
export function droppedFrame(lastEventId: number): SseFrame {
  const data: DroppedData = {
    reason: 'backlog',
    lastEventId: String(lastEventId),
    message: 'this subscriber fell too far behind; reconnect with Last-Event-ID to resume',
  };
  return toFrame(message('dropped', lastEventId, data));
}

/** The data of the last message every subscriber gets when the tower shuts down (drains). */
export interface ShutdownData {
  readonly reason: 'shutdown';
  /** The id of the last event this subscriber was sent: the `Last-Event-ID` to resume from. */
  readonly lastEventId: string;
  /** The reconnect delay set by this message's `retry:` field, for clients that are not EventSource. */
  readonly retryMs: number;
  readonly message: string;
}

/**
 * The last message of a stream when the tower shuts down: a `shutdown` event, then the stream ends.
 * Its `retry:` field sets the delay EventSource waits before it reconnects by itself (with the `id`,
 * so it resumes without a gap where the feed still holds what it missed); each subscriber gets its
 * own jittered delay, so a tower's subscribers do not all come back in the same instant.
 */
export function shutdownFrame(lastEventId: number, retryMs: number): SseFrame {
  const data: ShutdownData = {
    reason: 'shutdown',
    lastEventId: String(lastEventId),
    retryMs,
    message: 'this tower is shutting down; reconnect (another tower may answer) with Last-Event-ID to resume',
  };
  return toFrame(`retry: ${retryMs}\n${message('shutdown', lastEventId, data)}`);
}

/**
 * The reconnect delay an EventSource should use, sent first on every stream: a message with only a
 * `retry` field sets the delay and dispatches no event.
 */
export function retryFrame(retryMs: number): SseFrame {
  return toFrame(`retry: ${retryMs}\n\n`);
}

/** A comment line: ignored by EventSource, but it keeps idle proxies from closing the stream. */
export const KEEP_ALIVE: SseFrame = toFrame(': keep-alive\n\n');

/**
 * The event id a reconnecting client last saw, or `undefined` when there is none or it is not one
 * of ours (then the client gets a fresh snapshot rather than a guess).
 */
export function parseLastEventId(header: string | undefined): number | undefined {
  const text = header?.trim();
  if (!text || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
