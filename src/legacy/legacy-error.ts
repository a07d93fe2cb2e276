/**
 * Why the tower gave up on a legacy connection: the agent broke the line framing or a limit.
 *
 * These close that one connection (never the process or another bolt), each with a stable code for
 * the log line, the way the WebSocket bolt's codec does; the table reports them as `protocol`.
 */
export type LegacyErrorCode =
  | 'invalid-json' // a line that does not parse as JSON, a blank line included
  | 'line-too-long' // a line (or an unterminated rest) past the line limit
  | 'too-many-streams'; // the agent opened more sub-streams than a connection may

export class LegacyProtocolError extends Error {
  override readonly name = 'LegacyProtocolError';
  constructor(
    readonly code: LegacyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
