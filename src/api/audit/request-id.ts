/**
 * The request id that ties a relayed request's lines together: the tower's audit line, the agent's
 * line and the client's answer all carry it (`x-request-id`).
 *
 * A client (or a proxy in front of the tower) may bring its own id, so its logs join ours; it is
 * kept only when it is short and made of characters that are safe in a header and a log line.
 * Anything else is replaced by a fresh UUID rather than refused: the id is for tracing, not a reason
 * to fail a request.
 */
import { randomUUID } from 'node:crypto';
import type { HeaderList } from '../../link/relay.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** The longest incoming request id kept (characters); a longer one is replaced. */
export const MAX_REQUEST_ID_LENGTH = 128;

const SAFE_ID = new RegExp(`^[A-Za-z0-9._~:@+=/-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** True for an id the tower keeps as it came: 1-128 of A-Z a-z 0-9 . _ ~ : @ + = / -. */
export function isWellFormedRequestId(value: string): boolean {
  return SAFE_ID.test(value);
}

/**
 * The id for a request with header list `headers`: its first `x-request-id` field when well formed,
 * a new UUID otherwise.
 */
export function requestIdOf(headers: readonly string[]): string {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() !== REQUEST_ID_HEADER) continue;
    const value = headers[i + 1]?.trim() ?? '';
    return isWellFormedRequestId(value) ? value : randomUUID();
  }
  return randomUUID();
}

/** Makes `id` the one `x-request-id` field of `headers`, in place. */
export function setRequestId(headers: HeaderList, id: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]?.toLowerCase() === REQUEST_ID_HEADER) headers.splice(i, 2);
  }
  headers.push(REQUEST_ID_HEADER, id);
}

/** `headers` with `id` as its one `x-request-id` field; a copy, as an answer's list may be shared. */
export function withRequestId(headers: readonly string[], id: string): HeaderList {
  const out = [...headers];
  setRequestId(out, id);
  return out;
}
