/**
 * From a minion's `/status` answer to the document the tower serves, and the checksum that tells
 * a real change from a heartbeat.
 *
 * Both rules are inherited from the original stormtower, whose clients compare checksums: they must
 * stay byte-for-byte compatible (key order included), so no canonicalisation happens here.
 */
import { createHash } from 'node:crypto';
import type { StatusObject } from './minion-link.js';
import type { ServedDocument } from './minion-snapshot.js';

export interface ServedStatus {
  readonly document: ServedDocument;
  /** The id the agent claimed when it was not its CN (the caller warns); undefined otherwise. */
  readonly foreignId: unknown | undefined;
}

/**
 * The certificate CN is the only identity the tower trusts, so it always wins over the agent's `id`.
 * Spreading keeps the agent's key order: an existing `id` is overwritten in place, a missing one is
 * appended last, as the old `status.id ?= cname` did.
 */
export function toServedDocument(raw: StatusObject, cname: string): ServedStatus {
  const claimed = Object.hasOwn(raw, 'id') ? raw.id : undefined;
  const foreignId = claimed !== undefined && claimed !== cname ? claimed : undefined;
  return { document: { ...raw, id: cname }, foreignId };
}

/**
 * MD5 hex of the document without its top-level `os` key: `os` carries uptime and load, which move
 * on every poll and would otherwise make every heartbeat look like a change.
 */
export function documentChecksum(document: ServedDocument): string {
  const { os: _os, ...rest } = document;
  return createHash('md5').update(JSON.stringify(rest)).digest('hex');
}
