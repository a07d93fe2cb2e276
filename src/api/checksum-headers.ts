/**
 * The checksum headers of `/minions`, `/minions/:id` and `/clients`.
 *
 * `Content-MD5` here is NOT RFC 1864's base64 MD5 of the body: it carries the registry checksum in
 * hex, the interface stormbolt pollers have relied on since the old tower. `X-Stormtower-Checksum`
 * carries the same value under a name no proxy or library will read as a body digest.
 */
import type { ApiContext } from './bindings.js';

export const CHECKSUM_HEADER = 'X-Stormtower-Checksum';

export function setChecksum(c: ApiContext, checksum: string): void {
  c.header('Content-MD5', checksum);
  c.header(CHECKSUM_HEADER, checksum);
}
