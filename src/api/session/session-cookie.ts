/**
 * The session cookie on the wire: its name, the `Set-Cookie` lines that set and clear it, and
 * reading it back out of a `Cookie` header (or removing it before a relay, so a minion's service
 * never sees a tower session).
 */

export const SESSION_COOKIE = 'stormtower_session';

/**
 * `HttpOnly` keeps it from page scripts; `SameSite=Strict` keeps other sites' pages from sending it;
 * `Secure` only when the API itself is served over TLS (a browser drops a Secure cookie over http).
 */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

/** Every value of our cookie in a `Cookie` header (a browser may send more than one). */
export function sessionIds(header: string | undefined): string[] {
  if (!header) return [];
  const ids: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === SESSION_COOKIE) ids.push(pair.slice(eq + 1).trim());
  }
  return ids;
}

/** The `Cookie` header without our cookie; undefined when nothing else is left. */
export function withoutSessionCookie(header: string): string | undefined {
  const kept = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && pair.slice(0, Math.max(pair.indexOf('='), 0)).trim() !== SESSION_COOKIE);
  return kept.length > 0 ? kept.join('; ') : undefined;
}
