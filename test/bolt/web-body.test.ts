/**
 * The tower's response body: credit goes back to the agent only as chunks are taken, whether by a
 * WHATWG reader or by a sink the body was diverted to, and a sink that asks to wait holds back the
 * credit of what it takes until it resumes. A real MuxStream records the Window frames it sends.
 */
import { describe, expect, it } from 'vitest';
import { MuxStream, type StreamHost } from '../../src/bolt/mux/mux-stream.js';
import { InboundWebBody } from '../../src/bolt/mux/web-body.js';
import type { EncodedFrame } from '../../src/bolt/protocol/codec.js';
import { FrameType, Limits } from '../../src/bolt/protocol/frames.js';
import type { ChunkSink, DivertedBody } from '../../src/link/direct-body.js';
import { isDivertible } from '../../src/link/direct-body.js';

/** A stream whose Window and Reset frames are kept, as its session would send them. */
function recordedStream() {
  const sent: EncodedFrame[] = [];
  const host: StreamHost = {
    enqueue: (frame) => void sent.push(frame),
    writable: () => Promise.resolve(),
    hasRoom: () => true,
    streamFinished: () => {},
  };
  const stream = new MuxStream(1, host);
  stream.sendHead(FrameType.Request, Buffer.from('{}'), true);
  stream.receiveHead(Buffer.from('{}'), false);
  const granted = () =>
    sent
      .filter(([head]) => head.readUInt8(0) === FrameType.Window)
      .reduce((sum, [, payload]) => sum + Buffer.from(payload ?? []).readUInt32BE(0), 0);
  const resets = () => sent.filter(([head]) => head.readUInt8(0) === FrameType.Reset).length;
  return { stream, granted, resets };
}

const QUARTER = Limits.initialWindow / 4;
const chunk = (n: number, fill = 1) => Buffer.alloc(n, fill);

class Recorder implements ChunkSink {
  chunks: Uint8Array[] = [];
  room = true;
  ended = false;
  failed: Error | undefined;
  control: DivertedBody | undefined;
  start(control: DivertedBody) {
    this.control = control;
  }
  write(c: Uint8Array) {
    this.chunks.push(c);
    return this.room;
  }
  end() {
    this.ended = true;
  }
  fail(error: Error) {
    this.failed = error;
  }
}

describe('InboundWebBody', () => {
  it('diverted: held chunks first and in order, then each arrival; credit as the sink takes them', () => {
    const { stream, granted } = recordedStream();
    const body = new InboundWebBody(stream, [chunk(QUARTER, 1)]);
    body.push(chunk(QUARTER, 2));
    expect(granted()).toBe(0);
    expect(isDivertible(body.body)).toBe(true);
    const sink = new Recorder();
    const diverted = isDivertible(body.body) ? body.body.divert(sink) : undefined;
    expect(diverted).toBeDefined();
    body.push(chunk(QUARTER, 3));
    body.end();
    expect(sink.chunks.map((c) => c[0])).toEqual([1, 2, 3]);
    expect(granted()).toBe(3 * QUARTER);
    expect(sink.ended).toBe(true);
  });

  it('a sink that asks to wait holds the credit of what it takes until it resumes', () => {
    const { stream, granted } = recordedStream();
    const body = new InboundWebBody(stream);
    const sink = new Recorder();
    if (!isDivertible(body.body)) throw new Error('not divertible');
    body.body.divert(sink);
    sink.room = false;
    body.push(chunk(QUARTER));
    body.push(chunk(QUARTER));
    expect(granted()).toBe(0);
    sink.room = true;
    sink.control?.resume();
    expect(granted()).toBe(2 * QUARTER);
  });

  it('a sink that gives up resets the stream once, and nothing more reaches it', () => {
    const { stream, resets } = recordedStream();
    const body = new InboundWebBody(stream);
    const sink = new Recorder();
    if (!isDivertible(body.body)) throw new Error('not divertible');
    body.body.divert(sink);
    sink.control?.cancel('the reader went away');
    sink.control?.cancel('again');
    body.push(chunk(10));
    expect(sink.chunks).toHaveLength(0);
    expect(resets()).toBe(1);
  });

  it('a stream with a reader is not diverted; the reader gets every chunk, credit as it reads', async () => {
    const { stream, granted } = recordedStream();
    const body = new InboundWebBody(stream, [chunk(QUARTER, 1)]);
    const reader = body.body.getReader();
    expect(isDivertible(body.body) && body.body.divert(new Recorder())).toBe(undefined);
    body.push(chunk(QUARTER, 2));
    expect(granted()).toBe(0);
    expect((await reader.read()).value?.[0]).toBe(1);
    expect((await reader.read()).value?.[0]).toBe(2);
    body.end();
    expect((await reader.read()).done).toBe(true);
    expect(granted()).toBe(2 * QUARTER);
  });

  it('a failure reaches the sink, or the reader', async () => {
    const first = recordedStream();
    const diverted = new InboundWebBody(first.stream);
    const sink = new Recorder();
    if (!isDivertible(diverted.body)) throw new Error('not divertible');
    diverted.body.divert(sink);
    diverted.fail(new Error('bolt lost'));
    expect(sink.failed?.message).toBe('bolt lost');

    const second = recordedStream();
    const read = new InboundWebBody(second.stream);
    const reader = read.body.getReader();
    read.fail(new Error('bolt lost'));
    await expect(reader.read()).rejects.toThrow('bolt lost');
  });
});
