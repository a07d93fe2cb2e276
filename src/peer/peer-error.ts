/**
 * A peer tower's own refusal of a relay, as both sides of the tower-to-tower link read it.
 *
 * The peer answers in the API's shape, `{ "error": code, "message": text }`, and marks the answer
 * with `PEER_ERROR_HEADER`, so the origin never mistakes an agent's own JSON 404 for the peer's,
 * nor the peer's for the agent's. The peer strips the field from agents' answers, so an agent
 * cannot forge one either. A refusal whose code is a relay's becomes that `RelayError`, and the
 * origin answers exactly as a local relay would.
 */
import type { HeaderList } from '../link/relay.js';
import { isRelayErrorCode, RelayError } from '../link/relay-error.js';

/** Present (value `1`) on the peer tower's own error answers, absent on everything an agent said. */
export const PEER_ERROR_HEADER = 'stormtower-peer-error';

/** A refusal's body is a short JSON object; past this many bytes the rest is not kept. */
export const MAX_PEER_ERROR_BYTES = 16 * 1024;

/** True when `headers` (a flat name/value list) carry the peer's mark. */
export function isPeerError(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() === PEER_ERROR_HEADER) return true;
  }
  return false;
}

/** `headers` without the peer's mark; the same list when it has none (the usual case). */
export function withoutPeerMark(headers: HeaderList): HeaderList {
  return isPeerError(headers)
    ? headers.filter((_, i, list) => (list[i - (i % 2)] ?? '').toLowerCase() !== PEER_ERROR_HEADER)
    : headers;
}

/** The `RelayError` a peer's marked answer stands for; `peer` names the tower in messages. */
export function peerRefusal(status: number, body: Uint8Array, peer: string): RelayError {
  let parsed: { error?: unknown; message?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = parsed?.error;
  const message = typeof parsed?.message === 'string' ? parsed.message : `answered ${status}`;
  if (isRelayErrorCode(code)) return new RelayError(code, message);
  // Not a relay's failure (not-a-tower, bad-target, internal): the peer would not relay for us.
  return new RelayError(
    'protocol',
    `peer tower ${peer} refused the relay (${status} ${String(code ?? 'no code')}): ${message}`,
  );
}
