/**
 * Why a relay failed, in the terms the north-bound API answers with.
 */
export const RELAY_ERROR_CODES = [
  'port-not-allowed', // the port is not in the minion's capability (403)
  'not-ready', // the bolt has not announced its capability yet (503)
  'upstream-unreachable', // the agent's local service refused or failed (502)
  'upstream-failed',
  'timeout', // no response head within the relay timeout (504)
  'bolt-lost', // the bolt went away mid-exchange (502)
  'refused', // the agent refused the stream (too many open) (503)
  'protocol', // the agent broke the protocol on this stream (502)
  'unsupported-body', // the transport cannot carry this request body: legacy agents take JSON and forms only (415)
  'body-too-large', // the request body is larger than the transport carries in one piece (413)
  'unknown-minion', // the tower the relay was handed to holds no bolt for the cname (404)
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

const CODES: ReadonlySet<string> = new Set(RELAY_ERROR_CODES);

/** True for a code a relay may fail with: how a peer tower's answer is read back into a `RelayError`. */
export const isRelayErrorCode = (code: unknown): code is RelayErrorCode =>
  typeof code === 'string' && CODES.has(code);

export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}
