/**
 * Weak entity tags for the read API's JSON documents, and the `If-None-Match` test that answers 304.
 */

/** Weak: the body is a JSON rendering of the state the checksum names, not a byte-exact promise. */
export const weakTag = (checksum: string): string => `W/"${checksum}"`;

/**
 * RFC 9110 weak comparison against `If-None-Match`: `*`, or any listed tag whose opaque part equals
 * ours, with or without `W/`. Only called for a representation that exists.
 */
export function ifNoneMatch(header: string | undefined, checksum: string): boolean {
  if (header === undefined) return false;
  const ours = `"${checksum}"`;
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === ours;
  });
}
