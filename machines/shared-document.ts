/**
 * A poll whose document has the checksum of the one the minion holds differs from it in `os` alone
 * (the checksum covers everything else). Its other values are then taken from the held document, so
 * what outlives the poll is one small object and the new `os`, not a second copy of the document:
 * at 10,000 minions every poll's document lives a whole monitor interval, so each copy was promoted
 * to the old generation and paid for in scavenge pauses (bench/PROFILES.md, issue 16).
 */
import type { ServedDocument } from './minion-snapshot.js';

/**
 * `next` with every top-level value other than `os` replaced by `held`'s. Only call it when both
 * have the same checksum: their JSON without `os` is then the same text, so the result encodes
 * byte for byte as `next` does (its keys keep `next`'s order).
 */
export function shareUnchanged(next: ServedDocument, held: ServedDocument): ServedDocument {
  // `fromEntries` defines properties, so an agent's own `__proto__` key stays a key.
  return Object.fromEntries(
    Object.keys(next).map((key) => [key, key !== 'os' && Object.hasOwn(held, key) ? held[key] : next[key]]),
  ) as ServedDocument;
}
