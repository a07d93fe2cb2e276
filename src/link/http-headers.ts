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
