/**
 * Why the tower gave up on a legacy connection: the agent broke the line framing or a limit.
 *
 * These close that one connection (never the process or another bolt), each with a stable code for
 * the log line (as the WebSocket bolt's `BOLT_ERR_*`) and the wire `ErrorCode` the bolt table reports.
 */
import { ErrorCode } from '../bolt/protocol/frames.js';

/** The bolt-table close code for each failure, so `/clients` consumers see the same vocabulary. */
export const errorCodeFor = {
  /** A line that does not parse as JSON, a blank line included. */
  LEGACY_ERR_INVALID_JSON: ErrorCode.Protocol,
  /** A line (or an unterminated rest) past the line limit. */
  LEGACY_ERR_LINE_TOO_LONG: ErrorCode.FrameSize,
  /** The agent opened more sub-streams than a connection may. */
  LEGACY_ERR_TOO_MANY_STREAMS: ErrorCode.RefusedStream,
} as const satisfies Record<string, ErrorCode>;

export type LegacyErrorCode = keyof typeof errorCodeFor;

export class LegacyProtocolError extends Error {
  override readonly name = 'LegacyProtocolError';
  /** What the connection is closed with, in the bolt table's terms. */
  readonly wireCode: ErrorCode;

  constructor(
    readonly code: LegacyErrorCode,
    message: string,
  ) {
    super(message);
    this.wireCode = errorCodeFor[code];
  }
}
