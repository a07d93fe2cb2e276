/**
 * A registry entry's `json` without encoding the whole document on every poll. A document whose
 * checksum did not move shares every top-level value but `os` with the one before it
 * (machines/shared-document.ts), so its text is the same head and tail around a new `os`: the entry
 * keeps those two strings and joins them with the new `os` alone. V8 joins strings as ropes, so the
 * 3 KB text is not copied per poll; at 10,000 minions that copy, kept a whole monitor interval,
 * was promoted to the old generation on every poll (bench/PROFILES.md, issue 16).
 */
import type { ServedDocument } from '../../machines/minion-snapshot.js';

/** `JSON.stringify(document)` is `head + JSON.stringify(document.os) + tail`. */
export interface JsonAroundOs {
  readonly head: string;
  readonly tail: string;
}

const member = (document: ServedDocument, key: string): string | undefined => {
  const value = JSON.stringify(document[key]);
  return value === undefined ? undefined : `${JSON.stringify(key)}:${value}`;
};

/**
 * Splits `document`'s text around its top-level `os` value; null when it has none, or when a value
 * does not encode on its own the way it does inside the document (the split is checked against
 * `json`, the document's whole text, so a split is only ever kept when it is exact).
 */
export function splitAroundOs(document: ServedDocument, json: string): JsonAroundOs | null {
  const keys = Object.keys(document);
  const at = keys.indexOf('os');
  if (at === -1) return null;
  const before: string[] = [];
  const after: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (i === at) continue;
    const text = member(document, keys[i] as string);
    if (text === undefined) return null;
    (i < at ? before : after).push(text);
  }
  const head = `{${before.map((text) => `${text},`).join('')}"os":`;
  const tail = `${after.map((text) => `,${text}`).join('')}}`;
  const os = JSON.stringify(document.os);
  if (os === undefined || head + os + tail !== json) return null;
  return { head, tail };
}

/** Whether `next` has `held`'s keys in the same order, and each value but `os` the same object. */
export function sharesAllButOs(held: ServedDocument, next: ServedDocument): boolean {
  const keys = Object.keys(next);
  const heldKeys = Object.keys(held);
  if (keys.length !== heldKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key !== heldKeys[i]) return false;
    if (key !== 'os' && next[key] !== held[key]) return false;
  }
  return true;
}

/** The text of a document that shares `split`'s (see `sharesAllButOs`), whatever its `os`. */
export function joinAroundOs(split: JsonAroundOs, next: ServedDocument): string | undefined {
  const os = JSON.stringify(next.os);
  return os === undefined ? undefined : split.head + os + split.tail;
}
