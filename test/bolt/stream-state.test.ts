/**
 * A stream's one state: the transitions the protocol allows (docs/protocol.md section 4), the
 * finished states taking nothing more, and one listener per stream.
 */
import { describe, expect, it } from 'vitest';
import { MuxStream, type StreamHost, type StreamListener } from '../../src/bolt/mux/mux-stream.js';
import { nextStreamState, type StreamState } from '../../src/bolt/mux/stream-state.js';
import type { EncodedFrame } from '../../src/bolt/protocol/codec.js';
import { ErrorCode, FrameType } from '../../src/bolt/protocol/frames.js';

class RecordingHost implements StreamHost {
  readonly frames: EncodedFrame[] = [];
  finished = 0;
  enqueue(frame: EncodedFrame): void {
    this.frames.push(frame);
  }
  writable(): Promise<void> {
    return Promise.resolve();
  }
  hasRoom(): boolean {
    return true;
  }
  streamFinished(): void {
    this.finished++;
  }
}

const quiet: StreamListener = { head() {}, data() {}, end() {}, reset() {} };
const bytes = (text: string) => Buffer.from(text);

describe('stream state', () => {
  it('walks a tower request without a body: head out and ended, head in, body, end', () => {
    const host = new RecordingHost();
    const stream = new MuxStream(1, host);
    stream.listen(quiet);
    const seen: StreamState[] = [stream.state];
    stream.sendHead(FrameType.Request, bytes('{}'), true);
    seen.push(stream.state);
    stream.receiveHead(bytes('{}'), false);
    seen.push(stream.state);
    stream.receiveData(bytes('body'), true);
    seen.push(stream.state);
    expect(seen).toEqual(['awaiting-head', 'half-closed-local-awaiting-head', 'half-closed-local', 'closed']);
    expect(host.finished).toBe(1);
  });

  it('walks an agent stream: opened with the head, answered while the request body still comes', () => {
    const host = new RecordingHost();
    const stream = new MuxStream(1, host);
    stream.openedByPeer(false);
    expect(stream.state).toBe('open');
    stream.sendHead(FrameType.Response, bytes('{}'), false);
    stream.end();
    expect(stream.state).toBe('half-closed-local');
    stream.receiveData(bytes(''), true);
    expect(stream.state).toBe('closed');
  });

  it('a reset ends every state but the finished ones, and is reported once', () => {
    const resets: number[] = [];
    const stream = new MuxStream(1, new RecordingHost());
    stream.listen({ ...quiet, reset: (error) => resets.push(error.code) });
    stream.reset(ErrorCode.Cancel, 'gone');
    stream.reset(ErrorCode.Internal, 'again');
    stream.receiveReset(ErrorCode.Protocol, '');
    expect(stream.state).toBe('reset');
    expect(resets).toEqual([ErrorCode.Cancel]);
  });

  it('delivers nothing after a reset its owner made while taking the head', () => {
    const seen: string[] = [];
    const stream = new MuxStream(1, new RecordingHost());
    stream.sendHead(FrameType.Request, bytes('{}'), false);
    stream.listen({
      head: () => stream.reset(ErrorCode.Protocol, 'bad head'),
      data: () => seen.push('data'),
      end: () => seen.push('end'),
      reset: () => seen.push('reset'),
    });
    stream.receiveHead(bytes('{}'), true);
    expect(seen).toEqual(['reset']);
  });

  it('allows no transition out of a finished state', () => {
    for (const event of ['end-local', 'head-remote', 'end-remote', 'reset'] as const) {
      expect(nextStreamState('closed', event)).toBeUndefined();
      expect(nextStreamState('reset', event)).toBeUndefined();
    }
    expect(nextStreamState('half-closed-local-awaiting-head', 'end-remote')).toBeUndefined();
  });

  it('takes one listener for its whole life', () => {
    const stream = new MuxStream(1, new RecordingHost());
    stream.listen(quiet);
    expect(() => stream.listen(quiet)).toThrow(/already has a listener/);
  });
});
