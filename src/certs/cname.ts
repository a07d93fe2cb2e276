/**
 * Agent identity names (cnames). An agent is known by the CN of its client
 * certificate, and that name also becomes a file name and a log field, so it is
 * kept to a small, boring alphabet.
 */

/**
 * 1-128 characters of A-Z a-z 0-9 . _ : - (no spaces, slashes or anything outside ASCII), unanchored so
 * a route can embed it; `CNAME_PATTERN` is the whole-string test.
 */
export const CNAME_ALPHABET = 'A-Za-z0-9._:-';
export const CNAME_CHARS = `[${CNAME_ALPHABET}]{1,128}`;
export const CNAME_PATTERN = new RegExp(`^${CNAME_CHARS}$`);

export function isValidCname(s: string): boolean {
  return typeof s === 'string' && CNAME_PATTERN.test(s);
}

export function assertValidCname(s: string): void {
  if (!isValidCname(s)) {
    throw new Error(`invalid cname ${JSON.stringify(s)}: use 1-128 characters of A-Z a-z 0-9 . _ : -`);
  }
}
