/**
 * The raw framing's splitter: whatever way the socket cuts the byte stream, it yields the frames the
 * WebSocket decoder would find in the same bytes (Data bodies possibly in several views), refuses
 * what the decoder refuses, holds back nothing of a body, and stops at a close frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeFrame,
  encodeReset,
  encodeWindow,
  joinFrames,
} from '../../src/bolt/protocol/codec.js';
import { FLAG_END_STREAM, type Frame, FrameType, Limits } from '../../src/bolt/protocol/frames.js';
import { ProtocolError } from '../../src/bolt/protocol/protocol-error.js';
import { encodeClose } from '../../src/bolt/raw/close-frame.js';
import { FrameSplitter } from '../../src/bolt/raw/frame-splitter.js';
import { codeOf } from '../helpers/protocol-error.js';

/** Any frame the encoder can make, with a payload of a size its type allows. */
const anyFrame = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.uint8Array({ maxLength: 70_000 }))
    .map(([stream, end, body]) =>
      encodeFrame(FrameType.Data, end ? FLAG_END_STREAM : 0, stream, body.subarray(0, Limits.maxDataPayload)),
    ),
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ maxLength: 3000 }))
    .map(([stream, head]) => encodeFrame(FrameType.Response, 0, stream, head)),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((ping) => encodeFrame(FrameType.Ping, 0, 0, ping)),
  fc.integer({ min: 1, max: 9 }).map((stream) => encodeWindow(stream, 4096)),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.string()).map(([stream, text]) => encodeReset(stream, 6, text)),
);

/** Cuts `bytes` at the given fractions of its length: the socket's reads. */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const reads: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) reads.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return reads;
}

/** Frames as compared: Data pieces of one frame joined, views made plain bytes. */
function comparable(frames: readonly Frame[], dataLengths: readonly number[]): unknown[] {
  const out: unknown[] = [];
  const lengths = [...dataLengths];
  let pending: { streamId: number; flags: number; bytes: Buffer[]; size: number } | undefined;
  for (const frame of frames) {
    if (frame.type !== FrameType.Data) {
      out.push('payload' in frame ? { ...frame, payload: Buffer.from(frame.payload) } : frame);
      continue;
    }
    pending ??= { streamId: frame.streamId, flags: 0, bytes: [], size: 0 };
    expect(frame.streamId).toBe(pending.streamId);
    pending.bytes.push(Buffer.from(frame.payload));
    pending.size += frame.payload.length;
    pending.flags = frame.flags;
    if (pending.size === lengths[0]) {
      lengths.shift();
      out.push({
        type: FrameType.Data,
        streamId: pending.streamId,
        flags: pending.flags,
        payload: Buffer.concat(pending.bytes),
      });
      pending = undefined;
    }
  }
  expect(pending).toBeUndefined();
  return out;
}

describe('FrameSplitter', () => {
  it('yields what decodeMessage finds in the same bytes, however the reads cut them', () => {
    fc.assert(
      fc.property(
        fc.array(anyFrame, { minLength: 1, maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (encoded, at) => {
          const stream = joinFrames(encoded);
          const expected = decodeMessage(stream);
          const splitter = new FrameSplitter();
          const got: Frame[] = [];
          for (const read of cut(stream, at)) {
            const { frames, close } = splitter.push(read);
            expect(close).toBeUndefined();
            got.push(...frames);
          }
          const dataLengths = expected.flatMap((f) => (f.type === FrameType.Data ? [f.payload.length] : []));
          // Empty Data frames come through whole; only non-empty bodies may be split.
          expect(comparable(got, dataLengths)).toEqual(comparable(expected, dataLengths));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands body bytes on as views of the read they came in, copying none', () => {
    const body = Buffer.alloc(Limits.maxDataPayload, 7);
    const stream = joinFrames([encodeFrame(FrameType.Data, 0, 1, body)]);
    const splitter = new FrameSplitter();
    const reads = cut(stream, [0.003, 0.25, 0.5, 0.75]);
    for (const read of reads) {
      for (const frame of splitter.push(read).frames) {
        if (frame.type === FrameType.Data) expect(frame.payload.buffer).toBe(read.buffer);
      }
    }
  });

  it('refuses a header as soon as it is whole, before any payload: a huge length is FrameSize', () => {
    const head = Buffer.from([FrameType.Data, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    const splitter = new FrameSplitter();
    expect(splitter.push(head.subarray(0, 4)).frames).toEqual([]);
    expect(codeOf(() => splitter.push(head.subarray(4)))).toBe('BOLT_ERR_FRAME_TOO_LARGE');
  });

  it('throws only ProtocolError on any bytes, cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (bytes, at) => {
          const splitter = new FrameSplitter();
          try {
            for (const read of cut(Buffer.from(bytes), at)) if (splitter.push(read).close) break;
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('stops at a close frame with its code and reason, reading nothing after it', () => {
    const ping = encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(8));
    const stream = Buffer.concat([
      joinFrames([ping]),
      encodeClose(4015, 'conflict: another bolt'),
      joinFrames([ping]),
    ]);
    const { frames, close } = new FrameSplitter().push(stream);
    expect(frames).toHaveLength(1);
    expect(close).toEqual({ code: 4015, reason: 'conflict: another bolt' });
  });

  it('refuses a close frame on a stream, with flags, or longer than a close reason allows', () => {
    const close = encodeClose(4001, 'x');
    const onStream = Buffer.from(close);
    onStream.writeUInt32BE(3, 2);
    expect(codeOf(() => new FrameSplitter().push(onStream))).toBe('BOLT_ERR_BAD_STREAM_ID');
    const flagged = Buffer.from(close);
    flagged.writeUInt8(1, 1);
    expect(codeOf(() => new FrameSplitter().push(flagged))).toBe('BOLT_ERR_BAD_FLAGS');
    const long = Buffer.from(close);
    long.writeUInt32BE(2 + 124, 6);
    expect(codeOf(() => new FrameSplitter().push(long))).toBe('BOLT_ERR_FRAME_TOO_LARGE');
  });
});
