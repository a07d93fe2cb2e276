/**
 * The bolt's frame vocabulary: types, flags, error codes and limits (specified in docs/protocol.md).
 *
 * One WebSocket binary message carries one or more whole frames back to back, so a small request
 * (head plus body) costs a single message. Every frame has a fixed 10-byte header:
 *
 *   type u8 | flags u8 | stream id u32 (big-endian) | payload length u32 (big-endian) | payload
 */

export const FRAME_HEADER_SIZE = 10;

export const FrameType = {
  /** Agent -> tower, stream 0: the agent's capability (JSON). */
  Hello: 0x01,
  /** Either way, stream 0: heartbeat with an 8-byte opaque payload, answered by Pong. */
  Ping: 0x02,
  Pong: 0x03,
  /** Tower -> agent: opens a stream with a request head (JSON). */
  Request: 0x04,
  /** Agent -> tower: the response head (JSON) on an open stream. */
  Response: 0x05,
  /** Either way: body bytes, counted against the stream's credit window. */
  Data: 0x06,
  /** Either way: grants the peer more credit (u32) on a stream. */
  Window: 0x07,
  /** Either way: abandons a stream (u16 code, UTF-8 message). */
  Reset: 0x08,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Set on Request, Response and Data: the sender will send no more body on this stream. */
export const FLAG_END_STREAM = 0x01;

/** Error codes carried by Reset frames and, offset by 4000, by WebSocket close frames. */
export const ErrorCode = {
  NoError: 0,
  /** A frame broke the grammar: unknown type, bad flags, wrong stream id, malformed head. */
  Protocol: 1,
  /** A frame or head exceeded its size limit. */
  FrameSize: 2,
  /** The peer sent more body than the credit it was given. */
  FlowControl: 3,
  /** A frame arrived for a stream the receiver had already finished in that direction. */
  StreamClosed: 4,
  /** The agent has too many streams open to take another. */
  RefusedStream: 5,
  /** The sender no longer wants the stream (client gone, timeout). */
  Cancel: 6,
  /** The port is not in the agent's capability. */
  PortNotAllowed: 7,
  /** The agent's local service could not be reached (refused, unresolved). */
  UpstreamUnreachable: 8,
  /** The agent's local service failed mid-exchange. */
  UpstreamFailed: 9,
  /** The bolt carrying the stream went away. */
  ConnectionLost: 10,
  /** A bug on the sending side; the stream is abandoned, the bolt stays. */
  Internal: 11,
  /** Heartbeat silence longer than the validity window. */
  Expired: 12,
  /** A newer bolt with the same cname took this one's place. */
  Replaced: 13,
  /** The sender is shutting down. */
  GoingAway: 14,
  /** Another bolt with the same cname is alive and beaconing: this one is refused (tower -> agent). */
  Conflict: 15,
  /** The peer stopped reading: what it was sent went past the per-bolt output ceiling, or sat unread too long. */
  Backlog: 16,
  /** The agent's certificate was revoked (tower -> agent): redialling with it is refused at the handshake. */
  Revoked: 17,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCodeName = (code: number): string =>
  Object.entries(ErrorCode).find(([, value]) => value === code)?.[0] ?? `Unknown(${code})`;

/** WebSocket close codes 4000-4999 are private use: 4000 + ErrorCode. */
export const closeCodeFor = (code: ErrorCode): number => 4000 + code;

export const Limits = {
  /** Largest Data payload; bigger writes are split. */
  maxDataPayload: 64 * 1024,
  /** Largest Request or Response head (JSON). */
  maxHeadSize: 64 * 1024,
  /** Largest Hello payload. */
  maxHelloSize: 4 * 1024,
  /** Largest Reset message. */
  maxResetMessage: 1024,
  /** Largest WebSocket message a peer may send; ws closes the bolt with 1009 beyond it. */
  maxMessageSize: 1024 * 1024,
  /** Credit each side gives the other per stream before any Window frame. */
  initialWindow: 256 * 1024,
  /** A window may never exceed this (2^31 - 1), as in HTTP/2. */
  maxWindow: 0x7fffffff,
  /** Streams the agent serves at once on one bolt; more are refused. */
  maxConcurrentStreams: 1024,
  /** Ports in a capability. */
  maxPorts: 256,
  /** Header fields in a head. */
  maxHeaderFields: 256,
} as const;

interface FrameBase {
  readonly streamId: number;
  readonly flags: number;
}
export type Frame =
  | (FrameBase & { readonly type: typeof FrameType.Hello; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Ping; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Pong; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Request; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Response; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Data; readonly payload: Uint8Array })
  | (FrameBase & { readonly type: typeof FrameType.Window; readonly increment: number })
  | (FrameBase & { readonly type: typeof FrameType.Reset; readonly code: number; readonly message: string });
