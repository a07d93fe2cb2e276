/**
 * Encodes frames into bytes and decodes WebSocket messages into frames, strictly.
 *
 * The decoder is the bolt's first line of defence against a hostile or broken peer: every field is
 * checked against the grammar in docs/protocol.md and any violation throws a `ProtocolError` with a
 * stable code, which closes that bolt only. Payloads are views into the message, never copies.
 */
import {
  type ErrorCode,
  FLAG_END_STREAM,
  FRAME_HEADER_SIZE,
  type Frame,
  FrameType,
  Limits,
} from './frames.js';
import { ProtocolError } from './protocol-error.js';

export { ProtocolError } from './protocol-error.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The largest payload each frame type may carry, and whether it must be exact. */
const payloadRule: Record<
  number,
  { max: number; exact?: boolean; stream: 'zero' | 'nonzero'; flags: number }
> = {
  [FrameType.Hello]: { max: Limits.maxHelloSize, stream: 'zero', flags: 0 },
  [FrameType.Ping]: { max: 8, exact: true, stream: 'zero', flags: 0 },
  [FrameType.Pong]: { max: 8, exact: true, stream: 'zero', flags: 0 },
  [FrameType.Request]: { max: Limits.maxHeadSize, stream: 'nonzero', flags: FLAG_END_STREAM },
  [FrameType.Response]: { max: Limits.maxHeadSize, stream: 'nonzero', flags: FLAG_END_STREAM },
  [FrameType.Data]: { max: Limits.maxDataPayload, stream: 'nonzero', flags: FLAG_END_STREAM },
  [FrameType.Window]: { max: 4, exact: true, stream: 'nonzero', flags: 0 },
  [FrameType.Reset]: { max: 2 + Limits.maxResetMessage, stream: 'nonzero', flags: 0 },
};

/** Decodes one WebSocket message into its frames; throws `ProtocolError` on any violation. */
export function decodeMessage(message: Buffer): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  if (message.length === 0) throw new ProtocolError('BOLT_ERR_EMPTY_MESSAGE', 'empty message');
  while (offset < message.length) {
    if (message.length - offset < FRAME_HEADER_SIZE) {
      throw new ProtocolError('BOLT_ERR_TRUNCATED_HEADER', `truncated frame header at byte ${offset}`);
    }
    const type = message.readUInt8(offset);
    const flags = message.readUInt8(offset + 1);
    const streamId = message.readUInt32BE(offset + 2);
    const length = message.readUInt32BE(offset + 6);
    const rule = payloadRule[type];
    if (!rule) throw new ProtocolError('BOLT_ERR_UNKNOWN_FRAME', `unknown frame type 0x${type.toString(16)}`);
    if ((flags & ~rule.flags) !== 0) {
      throw new ProtocolError(
        'BOLT_ERR_BAD_FLAGS',
        `flags 0x${flags.toString(16)} not allowed on type ${type}`,
      );
    }
    if ((rule.stream === 'zero') !== (streamId === 0)) {
      throw new ProtocolError('BOLT_ERR_BAD_STREAM_ID', `frame type ${type} on stream ${streamId}`);
    }
    if (rule.exact && length !== rule.max) {
      throw new ProtocolError('BOLT_ERR_BAD_FRAME_SIZE', `frame type ${type} with a ${length}-byte payload`);
    }
    if (length > rule.max) {
      throw new ProtocolError('BOLT_ERR_FRAME_TOO_LARGE', `frame type ${type} with a ${length}-byte payload`);
    }
    const start = offset + FRAME_HEADER_SIZE;
    const end = start + length;
    if (end > message.length)
      throw new ProtocolError('BOLT_ERR_TRUNCATED_PAYLOAD', `truncated frame payload at ${start}`);
    frames.push(decodePayload(type, flags, streamId, message.subarray(start, end)));
    offset = end;
  }
  return frames;
}

function decodePayload(type: number, flags: number, streamId: number, payload: Buffer): Frame {
  switch (type) {
    case FrameType.Window: {
      const increment = payload.readUInt32BE(0);
      if (increment === 0 || increment > Limits.maxWindow) {
        throw new ProtocolError('BOLT_ERR_BAD_WINDOW_INCREMENT', `window increment ${increment}`);
      }
      return { type, flags, streamId, increment };
    }
    case FrameType.Reset: {
      if (payload.length < 2) throw new ProtocolError('BOLT_ERR_RESET_TOO_SHORT', 'reset without a code');
      let message: string;
      try {
        message = strictUtf8.decode(payload.subarray(2));
      } catch {
        throw new ProtocolError('BOLT_ERR_RESET_NOT_UTF8', 'reset message is not UTF-8');
      }
      return { type, flags, streamId, code: payload.readUInt16BE(0), message };
    }
    case FrameType.Hello:
    case FrameType.Ping:
    case FrameType.Pong:
    case FrameType.Request:
    case FrameType.Response:
    case FrameType.Data:
      return { type, flags, streamId, payload };
    default:
      throw new ProtocolError('BOLT_ERR_UNKNOWN_FRAME', `unknown frame type 0x${type.toString(16)}`);
  }
}

function header(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
  head.writeUInt8(type, 0);
  head.writeUInt8(flags, 1);
  head.writeUInt32BE(streamId, 2);
  head.writeUInt32BE(length, 6);
  return head;
}

/**
 * A frame ready to send: its header plus an optional payload view. Kept as two parts so a batch of
 * frames is copied once, into the message, and never before.
 */
export type EncodedFrame = readonly [Buffer, Uint8Array | undefined];

export function encodeFrame(
  type: FrameType,
  flags: number,
  streamId: number,
  payload?: Uint8Array,
): EncodedFrame {
  return [header(type, flags, streamId, payload?.length ?? 0), payload];
}

export function encodeWindow(streamId: number, increment: number): EncodedFrame {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FrameType.Window, 0, streamId, payload);
}

export function encodeReset(streamId: number, code: ErrorCode, message: string): EncodedFrame {
  const text = Buffer.from(message, 'utf8');
  // Cut at a character boundary so the peer's strict decoder agrees: back up over the continuation
  // bytes (10xxxxxx) of a character the limit would split. A U+FFFD the message holds stays.
  let end = Math.min(text.length, Limits.maxResetMessage);
  while (end < text.length && end > 0 && ((text[end] ?? 0) & 0xc0) === 0x80) end--;
  const payload = Buffer.allocUnsafe(2 + end);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2, 0, end);
  return encodeFrame(FrameType.Reset, 0, streamId, payload);
}

/** Joins encoded frames into one message: a single allocation and copy for the whole batch. */
export function joinFrames(frames: readonly EncodedFrame[]): Buffer {
  let size = 0;
  for (const [head, payload] of frames) size += head.length + (payload?.length ?? 0);
  const message = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const [head, payload] of frames) {
    head.copy(message, offset);
    offset += head.length;
    if (payload) {
      message.set(payload, offset);
      offset += payload.length;
    }
  }
  return message;
}
