/**
 * Why a peer's bytes were refused, as stable codes (in the manner of ws's `WS_ERR_*`): tests and
 * log lines use the code, never the message text, and each code names the wire `ErrorCode` the
 * bolt is closed with. The table in docs/protocol.md section 9 lists them.
 */
import { ErrorCode } from './frames.js';

const wireCodes = {
  /** A message with no bytes (a text message arrives as one). */
  BOLT_ERR_EMPTY_MESSAGE: ErrorCode.Protocol,
  /** Fewer than 10 bytes left for a frame header. */
  BOLT_ERR_TRUNCATED_HEADER: ErrorCode.Protocol,
  /** A frame type outside 0x01-0x08. */
  BOLT_ERR_UNKNOWN_FRAME: ErrorCode.Protocol,
  /** A flag bit the frame type does not allow. */
  BOLT_ERR_BAD_FLAGS: ErrorCode.Protocol,
  /** Stream 0 on a stream frame, or a non-zero stream on Hello, Ping or Pong. */
  BOLT_ERR_BAD_STREAM_ID: ErrorCode.Protocol,
  /** A declared payload length over the frame type's limit. */
  BOLT_ERR_FRAME_TOO_LARGE: ErrorCode.FrameSize,
  /** A Ping, Pong or Window payload not of its exact size. */
  BOLT_ERR_BAD_FRAME_SIZE: ErrorCode.FrameSize,
  /** A payload that runs past the end of the message. */
  BOLT_ERR_TRUNCATED_PAYLOAD: ErrorCode.Protocol,
  /** A Window increment of 0 or above 2^31-1. */
  BOLT_ERR_BAD_WINDOW_INCREMENT: ErrorCode.FlowControl,
  /** A Reset payload shorter than its 2-byte code. */
  BOLT_ERR_RESET_TOO_SHORT: ErrorCode.FrameSize,
  /** A Reset message that is not strict UTF-8. */
  BOLT_ERR_RESET_NOT_UTF8: ErrorCode.Protocol,
  /** A head that is not JSON, or not a plain object. */
  BOLT_ERR_BAD_JSON: ErrorCode.Protocol,
  /** A Hello whose `v` is not 1. */
  BOLT_ERR_UNSUPPORTED_VERSION: ErrorCode.Protocol,
  /** A Hello with bad `ports` or `agent`. */
  BOLT_ERR_BAD_HELLO: ErrorCode.Protocol,
  /** A request or response head with a bad field or header list. */
  BOLT_ERR_BAD_HEAD: ErrorCode.Protocol,
  /** A head with more than 256 header fields. */
  BOLT_ERR_TOO_MANY_HEADERS: ErrorCode.FrameSize,
  /** Hello or Response sent to an agent, or Request sent to the tower. */
  BOLT_ERR_WRONG_SENDER: ErrorCode.Protocol,
  /** A Request whose stream id is not above every id seen. */
  BOLT_ERR_STREAM_ID_REUSED: ErrorCode.Protocol,
  /** A frame for a stream id above any opened. */
  BOLT_ERR_UNKNOWN_STREAM: ErrorCode.Protocol,
} as const satisfies Record<string, ErrorCode>;

export type ProtocolErrorCode = keyof typeof wireCodes;

export const protocolErrorCodes = Object.keys(wireCodes) as ProtocolErrorCode[];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** What the bolt is closed with: `4000 + wireCode`. */
  readonly wireCode: ErrorCode;

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.wireCode = wireCodes[code];
  }
}
