/**
 * Cuts a raw bolt's byte stream into frames as the socket delivers it, with no message assembly.
 *
 * A Data payload that spans socket reads is handed on as several Data frames, each a view of the
 * read it arrived in (END_STREAM on the last only): the bytes are never copied, and no read outlives
 * the body that holds a view of it. Other frames (heads, Resets, the close) are small and rare, and
 * are joined when split. Every header is checked before its payload is waited for, so a peer can make
 * the splitter hold at most one frame's limit (64 KiB) of a head, and nothing of a body.
 */
import { decodePayload, readFrameHeader } from '../protocol/codec.js';
import { FRAME_HEADER_SIZE, type Frame, FrameType } from '../protocol/frames.js';
import { CLOSE_FRAME, checkCloseHeader, decodeClose, type PeerClose } from './close-frame.js';

export interface SplitResult {
  readonly frames: Frame[];
  /** The peer's close frame, when this read held one; nothing after it is read. */
  readonly close?: PeerClose;
}

interface Partial {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly length: number;
  received: number;
  /** The pieces of a frame other than Data, joined once all have come. */
  readonly parts: Buffer[];
}

const EMPTY = Buffer.alloc(0);

export class FrameSplitter {
  private readonly header = Buffer.alloc(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private current: Partial | undefined;

  /** Frames completed by `chunk`; throws `ProtocolError` on the first header that breaks the grammar. */
  push(chunk: Buffer): SplitResult {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      let frame = this.current;
      if (!frame) {
        let head: Buffer;
        let at: number;
        if (this.headerFill === 0 && chunk.length - offset >= FRAME_HEADER_SIZE) {
          head = chunk;
          at = offset;
          offset += FRAME_HEADER_SIZE;
        } else {
          const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, chunk.length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + take);
          this.headerFill += take;
          offset += take;
          if (this.headerFill < FRAME_HEADER_SIZE) break;
          this.headerFill = 0;
          head = this.header;
          at = 0;
        }
        frame = this.begin(head, at);
        if (frame.length === 0) {
          // Only a stream frame can be empty here: a close is at least its 2-byte code.
          frames.push(decodePayload(frame.type, frame.flags, frame.streamId, EMPTY));
          continue;
        }
        this.current = frame;
      }
      const take = Math.min(chunk.length - offset, frame.length - frame.received);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      frame.received += take;
      const complete = frame.received === frame.length;
      if (complete) this.current = undefined;
      if (frame.type === FrameType.Data) {
        const flags = complete ? frame.flags : 0;
        frames.push({ type: FrameType.Data, flags, streamId: frame.streamId, payload: piece });
        continue;
      }
      frame.parts.push(piece);
      if (!complete) continue;
      const payload = frame.parts.length === 1 ? piece : Buffer.concat(frame.parts, frame.length);
      if (frame.type === CLOSE_FRAME) return { frames, close: decodeClose(payload) };
      frames.push(decodePayload(frame.type, frame.flags, frame.streamId, payload));
    }
    return { frames };
  }

  private begin(bytes: Buffer, at: number): Partial {
    if (bytes.readUInt8(at) === CLOSE_FRAME) {
      const flags = bytes.readUInt8(at + 1);
      const streamId = bytes.readUInt32BE(at + 2);
      const length = bytes.readUInt32BE(at + 6);
      checkCloseHeader(flags, streamId, length);
      return { type: CLOSE_FRAME, flags, streamId, length, received: 0, parts: [] };
    }
    return { ...readFrameHeader(bytes, at), received: 0, parts: [] };
  }
}
