/**
 * Names in the cluster's JetStream KV buckets. A KV key allows only `-/_=.A-Za-z0-9` with `.` as a
 * token separator, while a cname may hold `:` and `..`; so every character outside `[A-Za-z0-9_-]` is
 * written `=XX` (its hex code). `=` is outside the cname alphabet, so the mapping is one-to-one.
 */

/** One key per cname: who holds the minion and its document. */
export const MINIONS_BUCKET = 'stormtower-minions';
/** One key per tower: where it is reached and when it was last heard of. */
export const TOWERS_BUCKET = 'stormtower-towers';

const PLAIN = /^[A-Za-z0-9_-]$/;

export function bucketKey(name: string): string {
  let key = '';
  for (const char of name)
    key += PLAIN.test(char) ? char : `=${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  return key;
}

/** The name `bucketKey` made `key` of; undefined for a key no tower would have written. */
export function nameOfKey(key: string): string | undefined {
  let name = '';
  for (let i = 0; i < key.length; i++) {
    const char = key[i] ?? '';
    if (char !== '=') {
      if (!PLAIN.test(char)) return undefined;
      name += char;
      continue;
    }
    const hex = key.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
    name += String.fromCharCode(Number.parseInt(hex, 16));
    i += 2;
  }
  return name.length > 0 ? name : undefined;
}
