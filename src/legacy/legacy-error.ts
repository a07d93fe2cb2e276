/**
 * Why the tower gave up on a legacy connection: the agent broke the line framing or a limit.
 *
 * These close that one connection (never the process or another bolt), each with a stable code for
 * the log line (as the WebSocket bolt's `BOLT_ERR_*`); the table reports them all as `protocol`.
 */
export type LegacyErrorCode =
  | 'LEGACY_ERR_INVALID_JSON' // a line that does not parse as JSON, a blank line included
  | 'LEGACY_ERR_LINE_TOO_LONG' // a line (or an unterminated rest) past the line limit
  | 'LEGACY_ERR_TOO_MANY_STREAMS'; // the agent opened more sub-streams than a connection may

export class LegacyProtocolError extends Error {
  override readonly name = 'LegacyProtocolError';
  constructor(
    readonly code: LegacyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
