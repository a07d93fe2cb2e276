/**
 * The `GET /minions/events` wire format: which SSE messages a subscriber sees, and how the
 * `Last-Event-ID` it sends back is read.
 *
 *   event: snapshot                      event: changed
 *   data: {"global":"…","minions":[…]}   data: {"id":"web-1","checksum":"…","global":"…"}
 *   id: 41                               id: 42
 *
 * Every message carries absolute state (checksums, not diffs), so applying one twice is harmless.
 */
import type { SSEMessage } from 'hono/streaming';
import type { FeedEvent, FeedSnapshot } from './change-feed.js';

export interface SnapshotData {
  readonly global: string;
  readonly minions: readonly { readonly id: string; readonly checksum: string }[];
}

export interface ChangeData {
  readonly id: string;
  readonly checksum: string | null;
  readonly global: string;
}

export function snapshotMessage({ lastId, view }: FeedSnapshot): SSEMessage {
  const minions = view.ids.flatMap((id) => {
    const entry = view.entries.get(id);
    return entry ? [{ id, checksum: entry.checksum }] : [];
  });
  const data: SnapshotData = { global: view.global, minions };
  return { event: 'snapshot', id: String(lastId), data: JSON.stringify(data) };
}

export function changeMessage(event: FeedEvent): SSEMessage {
  const data: ChangeData = { id: event.id, checksum: event.checksum, global: event.global };
  return { event: event.type, id: String(event.eventId), data: JSON.stringify(data) };
}

/** A comment line: ignored by EventSource, but it keeps idle proxies from closing the stream. */
export const KEEP_ALIVE = ': keep-alive\n\n';

/**
 * The event id a reconnecting client last saw, or `undefined` when there is none or it is not one
 * of ours (then the client gets a fresh snapshot rather than a guess).
 */
export function parseLastEventId(header: string | undefined): number | undefined {
  const text = header?.trim();
  if (!text || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
