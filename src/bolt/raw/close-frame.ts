/**
 * The close frame of the raw framing: what a WebSocket close frame carries (a code and a short
 * reason), as a bolt frame, since a raw stream has no WebSocket layer to carry it. Type 0x09 exists
 * only on raw bolts: the WebSocket decoder refuses it like any unknown type.
 */
import { FRAME_HEADER_SIZE } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol-error.js';

export const CLOSE_FRAME = 0x09;
/** A close reason holds at most 123 UTF-8 bytes, as a WebSocket close reason does. */
export const MAX_CLOSE_REASON = 123;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface PeerClose {
  readonly code: number;
  readonly reason: string;
}

export function encodeClose(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, MAX_CLOSE_REASON);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 2 + text.length);
  frame.writeUInt8(CLOSE_FRAME, 0);
  frame.writeUInt8(0, 1);
  frame.writeUInt32BE(0, 2);
  frame.writeUInt32BE(2 + text.length, 6);
  frame.writeUInt16BE(code, FRAME_HEADER_SIZE);
  text.copy(frame, FRAME_HEADER_SIZE + 2);
  return frame;
}

/** Checks a close frame's header fields; its length must leave room for the code and the reason only. */
export function checkCloseHeader(flags: number, streamId: number, length: number): void {
  if (flags !== 0) throw new ProtocolError('BOLT_ERR_BAD_FLAGS', `flags 0x${flags.toString(16)} on a close`);
  if (streamId !== 0) throw new ProtocolError('BOLT_ERR_BAD_STREAM_ID', `close on stream ${streamId}`);
  if (length < 2) throw new ProtocolError('BOLT_ERR_BAD_FRAME_SIZE', `a ${length}-byte close`);
  if (length > 2 + MAX_CLOSE_REASON) {
    throw new ProtocolError('BOLT_ERR_FRAME_TOO_LARGE', `a ${length}-byte close`);
  }
}

export function decodeClose(payload: Buffer): PeerClose {
  let reason: string;
  try {
    reason = strictUtf8.decode(payload.subarray(2));
  } catch {
    throw new ProtocolError('BOLT_ERR_RESET_NOT_UTF8', 'close reason is not UTF-8');
  }
  return { code: payload.readUInt16BE(0), reason };
}
