/**
 * Header hygiene for relayed HTTP: hop-by-hop fields belong to one connection and never cross the bolt.
 */
import type { HeaderList } from './relay.js';

// RFC 9110 7.6.1, plus the legacy ones proxies still meet in the wild.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Copies a flat name/value list without hop-by-hop fields, the fields the `Connection` header names,
 * and any name in `drop` (lower-case).
 */
export function endToEndHeaders(raw: readonly string[], drop: ReadonlySet<string> = new Set()): HeaderList {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name === undefined || value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower)) continue;
    out.push(name, value);
  }
  return out;
}

// HTTP forbids a body on these statuses (RFC 9110 6.4.1); a WHATWG Response cannot even be built with one.
const BODYLESS_STATUS = new Set([204, 205, 304]);

/** True when the answer to `method` with `status` has no body, whatever its headers say. */
export const hasNoBody = (method: string, status: number): boolean =>
  method === 'HEAD' || BODYLESS_STATUS.has(status);

/** True when `status` never carries a body, whatever the method. */
export const isBodylessStatus = (status: number): boolean => BODYLESS_STATUS.has(status);
