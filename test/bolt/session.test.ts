/**
 * Two BoltSessions, tower and agent, back to back over an in-memory message link: no sockets.
 *
 * The link delivers each message on a later turn (setImmediate), as a socket would, and calls the
 * sender's `done` after delivery. Heartbeat tests fake setTimeout/setInterval/Date only: the session
 * batches with setImmediate, which must stay real.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoltSession, type BoltSessionOptions, type MessageLink } from '../../src/bolt/mux/bolt-session.js';
import { type MuxStream, StreamResetError } from '../../src/bolt/mux/mux-stream.js';
import {
  decodeMessage,
  type EncodedFrame,
  encodeFrame,
  encodeReset,
  encodeWindow,
  joinFrames,
  ProtocolError,
} from '../../src/bolt/protocol/codec.js';
import { ErrorCode, FLAG_END_STREAM, FrameType, Limits } from '../../src/bolt/protocol/frames.js';
import { decodeHello, encodeJson } from '../../src/bolt/protocol/heads.js';
import { handlersOf } from '../helpers/stream-handlers.js';

interface CloseCall {
  code: number;
  reason: string;
  force: boolean;
}

/** One end of an in-memory WebSocket. */
class MemoryLink implements MessageLink {
  peer: MemoryLink | undefined;
  session: BoltSession | undefined;
  readonly sent: Buffer[] = [];
  readonly closeCalls: CloseCall[] = [];
  /** What `receive` rethrew (it rethrows protocol errors for logging). */
  readonly receiveErrors: unknown[] = [];
  /** When set, `done` callbacks are kept here instead of being called: the socket never drains. */
  held: (() => void)[] | undefined;
  private down = false;

  send(message: Buffer, done: (error?: Error) => void): void {
    this.sent.push(message);
    if (this.down) {
      setImmediate(() => done(new Error('socket not open')));
      return;
    }
    const peer = this.peer;
    setImmediate(() => {
      peer?.deliver(message);
      if (this.held) this.held.push(() => done());
      else done();
    });
  }

  close(code: number, reason: string, force: boolean): void {
    this.closeCalls.push({ code, reason, force });
    if (this.down) return;
    this.down = true;
    if (this.peer) this.peer.down = true;
    // A terminated socket sends no close frame: both ends see 1006, as with ws.
    const seen = force ? 1006 : code;
    setImmediate(() => {
      this.session?.linkClosed(seen, force ? '' : reason);
      this.peer?.session?.linkClosed(seen, force ? '' : reason);
    });
  }

  /** Writes raw bytes as if the session on this end had sent them. */
  inject(frames: readonly EncodedFrame[] | Buffer): void {
    this.send(Buffer.isBuffer(frames) ? frames : joinFrames(frames), () => {});
  }

  deliver(message: Buffer): void {
    try {
      this.session?.receive(message);
    } catch (error) {
      this.receiveErrors.push(error);
    }
  }
}

type Options = Omit<BoltSessionOptions, 'role' | 'beaconIntervalMs' | 'beaconValidityMs'> &
  Partial<Pick<BoltSessionOptions, 'beaconIntervalMs' | 'beaconValidityMs'>>;

interface Side {
  session: BoltSession;
  link: MemoryLink;
  closes: { code: number; reason: string }[];
}

const live: BoltSession[] = [];

function side(link: MemoryLink, role: 'tower' | 'agent', options: Options): Side {
  const closes: Side['closes'] = [];
  const session = new BoltSession(link, {
    beaconIntervalMs: 60_000,
    beaconValidityMs: 600_000,
    ...options,
    role,
    onClose: (code, reason) => {
      closes.push({ code, reason });
      options.onClose?.(code, reason);
    },
  });
  link.session = session;
  live.push(session);
  return { session, link, closes };
}

function connect(tower: Options = {}, agent: Options = {}): { tower: Side; agent: Side } {
  const towerLink = new MemoryLink();
  const agentLink = new MemoryLink();
  towerLink.peer = agentLink;
  agentLink.peer = towerLink;
  return { tower: side(towerLink, 'tower', tower), agent: side(agentLink, 'agent', agent) };
}

afterEach(() => {
  for (const session of live.splice(0)) session.close(ErrorCode.NoError, 'test over', true);
  vi.useRealTimers();
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function ticks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await tick();
}
/** Waits, in event-loop turns rather than time, until `check` holds. */
async function until(check: () => boolean, what: string, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await tick();
  }
  throw new Error(`gave up waiting for ${what}`);
}

const requestHead = (path = '/status') => encodeJson({ port: 8080, method: 'GET', path, headers: [] });
const responseHead = (status = 200) => encodeJson({ status, headers: ['content-type', 'text/plain'] });
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Deterministic filler bytes, so a failing transfer reproduces. */
function body(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

async function writeAll(stream: MuxStream, data: Buffer, chunk: number): Promise<void> {
  for (let offset = 0; offset < data.length; offset += chunk)
    await stream.write(data.subarray(offset, offset + chunk));
  stream.end();
}

/**
 * A reader that consumes one received chunk per event-loop turn, slower than the writer, and keeps
 * the largest amount ever delivered but not yet `consumed()`.
 */
function slowReader(stream: MuxStream) {
  const chunks: Buffer[] = [];
  const pending: number[] = [];
  const state = { delivered: 0, consumed: 0, maxOutstanding: 0, ended: false };
  const pump = () => {
    const size = pending.shift();
    if (size !== undefined) {
      state.consumed += size;
      stream.consumed(size);
    }
    if (!state.ended || pending.length > 0) setImmediate(pump);
  };
  handlersOf(stream).data = (chunk) => {
    chunks.push(Buffer.from(chunk));
    pending.push(chunk.length);
    state.delivered += chunk.length;
    state.maxOutstanding = Math.max(state.maxOutstanding, state.delivered - state.consumed);
  };
  handlersOf(stream).end = () => {
    state.ended = true;
  };
  setImmediate(pump);
  return { state, bytes: () => Buffer.concat(chunks) };
}

describe('opening exchanges', () => {
  it("delivers the agent's hello to the tower's onHello", async () => {
    const hellos: Buffer[] = [];
    const { agent } = connect({ onHello: (payload) => hellos.push(Buffer.from(payload)) });
    const hello = encodeJson({ v: 1, ports: [8080], agent: 'test' });
    agent.session.hello(hello);
    await until(() => hellos.length === 1, 'the hello');
    expect(hellos[0]).toEqual(hello);
    expect(decodeHello(hellos[0] ?? Buffer.alloc(0)).ports).toEqual([8080]);
  });

  it('delivers a request with END_STREAM to the agent with endStream=true', async () => {
    const requests: { id: number; head: Buffer; endStream: boolean }[] = [];
    const { tower } = connect(
      {},
      {
        onRequest: (stream, head, endStream) =>
          requests.push({ id: stream.id, head: Buffer.from(head), endStream }),
      },
    );
    const stream = tower.session.openStream(requestHead(), true);
    expect(stream.id).toBe(1);
    expect(tower.session.openStream(requestHead('/two'), false).id).toBe(2);
    await until(() => requests.length === 2, 'both requests');
    expect(requests).toEqual([
      { id: 1, head: requestHead(), endStream: true },
      { id: 2, head: requestHead('/two'), endStream: false },
    ]);
  });

  it("delivers the response head, then the body chunks in order, then the end to the tower's stream", async () => {
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          stream.sendHead(FrameType.Response, responseHead(), false);
          void (async () => {
            for (const part of ['one ', 'two ', 'three']) await stream.write(Buffer.from(part));
            await tick();
            await stream.write(Buffer.from('!'));
            stream.end();
          })();
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), true);
    const seen: string[] = [];
    handlersOf(stream, {
      head: (payload, endStream) => seen.push(`head ${Buffer.from(payload).toString()} ${endStream}`),
      data: (chunk) => seen.push(`data ${Buffer.from(chunk).toString()}`),
      end: () => seen.push('end'),
      reset: (error) => seen.push(`reset ${error.code}`),
    });
    await until(() => seen.includes('end'), 'the end of the response');
    expect(seen).toEqual([
      `head ${responseHead().toString()} false`,
      'data one ',
      'data two ',
      'data three',
      'data !',
      'end',
    ]);
    await until(() => tower.session.openStreams === 0, 'the stream to finish');
    expect(stream.isOpen).toBe(false);
  });

  it('finishes a head-only exchange on both sides', async () => {
    const { tower, agent } = connect(
      {},
      { onRequest: (s) => s.sendHead(FrameType.Response, responseHead(204), true) },
    );
    const stream = tower.session.openStream(requestHead(), true);
    let ended = false;
    handlersOf(stream).head = (_payload, endStream) => {
      ended = endStream;
    };
    await until(
      () => ended && tower.session.openStreams === 0 && agent.session.openStreams === 0,
      'both to finish',
    );
  });
});

describe('flow control', () => {
  it('moves 3 MB each way byte-identical, never more than one window ahead of the consumer', async () => {
    const size = 3 * 1024 * 1024;
    const upload = body(size, 11);
    const download = body(size, 22);
    let agentReader: ReturnType<typeof slowReader> | undefined;
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          agentReader = slowReader(stream);
          stream.sendHead(FrameType.Response, responseHead(), false);
          void writeAll(stream, download, 100_000);
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), false);
    const towerReader = slowReader(stream);
    const uploaded = writeAll(stream, upload, 77_777);
    await until(() => towerReader.state.ended && agentReader?.state.ended === true, 'both bodies', 1_000_000);
    await uploaded;

    expect(sha256(towerReader.bytes())).toBe(sha256(download));
    expect(agentReader && sha256(agentReader.bytes())).toBe(sha256(upload));
    for (const reader of [towerReader, agentReader]) {
      expect(reader?.state.maxOutstanding).toBeLessThanOrEqual(Limits.initialWindow);
      // The reader is slower than the writer, so the window was really used up: the limit was tested.
      expect(reader?.state.maxOutstanding).toBeGreaterThan(Limits.initialWindow / 2);
    }
    await until(() => tower.session.openStreams === 0, 'the stream to finish');
  });

  it('a reader that stops consuming stalls only its own stream', async () => {
    const responseSize = 1024 * 1024;
    const writes = new Map<number, { done: boolean }>();
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          const state = { done: false };
          writes.set(stream.id, state);
          stream.sendHead(FrameType.Response, responseHead(), false);
          void writeAll(stream, body(responseSize, stream.id), 50_000).then(() => {
            state.done = true;
          });
        },
      },
    );
    const stalled = tower.session.openStream(requestHead('/stalled'), true);
    const flowing = tower.session.openStream(requestHead('/flowing'), true);
    let stalledBytes = 0;
    let flowingBytes = 0;
    let flowingEnded = false;
    handlersOf(stalled).data = (chunk) => {
      stalledBytes += chunk.length; // never consumed
    };
    handlersOf(flowing).data = (chunk) => {
      flowingBytes += chunk.length;
      flowing.consumed(chunk.length);
    };
    handlersOf(flowing).end = () => {
      flowingEnded = true;
    };
    await until(() => flowingEnded, 'the flowing stream to end');
    await ticks(50);
    expect(flowingBytes).toBe(responseSize);
    expect(writes.get(flowing.id)?.done).toBe(true);
    expect(stalledBytes).toBe(Limits.initialWindow);
    expect(writes.get(stalled.id)?.done).toBe(false);
    expect(stalled.isOpen).toBe(true);

    // Consuming again releases it.
    let stalledEnded = false;
    handlersOf(stalled).data = (chunk) => {
      stalledBytes += chunk.length;
      stalled.consumed(chunk.length);
    };
    handlersOf(stalled).end = () => {
      stalledEnded = true;
    };
    stalled.consumed(stalledBytes);
    await until(() => stalledEnded, 'the stalled stream to end');
    expect(stalledBytes).toBe(responseSize);
  });

  it('holds body writers above the 1 MiB high-water mark until the socket confirms', async () => {
    const link = new MemoryLink();
    link.held = [];
    side(link, 'tower', {});
    const session = link.session as BoltSession;
    const writes = Array.from({ length: 6 }, () => {
      const state = { done: false };
      const stream = session.openStream(requestHead(), false);
      void stream.write(Buffer.alloc(Limits.initialWindow)).then(() => {
        state.done = true;
      });
      return state;
    });
    await ticks(20);
    const sentBytes = () => link.sent.reduce((sum, message) => sum + message.length, 0);
    expect(writes.some((write) => !write.done)).toBe(true);
    // Each writer may have passed the check with one frame before the mark was reached.
    expect(sentBytes()).toBeGreaterThanOrEqual(1024 * 1024);
    expect(sentBytes()).toBeLessThan(1024 * 1024 + 6 * (Limits.maxDataPayload + 10) + 6 * 200);
    for (const done of link.held.splice(0)) done();
    link.held = undefined;
    await until(() => writes.every((write) => write.done), 'the writers to be released');
    await ticks(3);
    expect(sentBytes()).toBeGreaterThan(6 * Limits.initialWindow);
  });
});

describe('empty chunks', () => {
  it('are taken at once and cost nothing, even while the socket has no room', async () => {
    const link = new MemoryLink();
    link.held = [];
    side(link, 'tower', {});
    const session = link.session as BoltSession;
    const filler = Array.from({ length: 6 }, () => session.openStream(requestHead(), false));
    // These writers are still waiting when the test closes the session.
    for (const stream of filler) stream.write(Buffer.alloc(Limits.initialWindow)).catch(() => {});
    await ticks(20);
    expect(session.hasRoom()).toBe(false);
    const sent = link.sent.length;

    // Refusing an empty chunk made undici pause and resume at once, forever, in microtasks.
    const stream = session.openStream(requestHead(), false);
    expect(stream.tryWrite(new Uint8Array(0))).toBe(true);
    await stream.write(new Uint8Array(0));
    await ticks(3);
    expect(link.sent.length).toBe(sent + 1); // the request head only
    expect(stream.tryWrite(Buffer.from('x'))).toBe(false);

    stream.reset(ErrorCode.Cancel, 'done');
    expect(stream.tryWrite(new Uint8Array(0))).toBe(false);
  });
});

describe('resets', () => {
  it('data before the response head resets that stream with Protocol', async () => {
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          void stream.write(Buffer.from('too early'));
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), true);
    const resets: number[] = [];
    handlersOf(stream).reset = (error) => resets.push(error.code);
    await until(() => resets.length === 1, 'the reset');
    expect(resets).toEqual([ErrorCode.Protocol]);
    expect(tower.session.isClosed).toBe(false);
  });

  it('a second response head resets that stream with Protocol', async () => {
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          stream.sendHead(FrameType.Response, responseHead(), false);
          stream.sendHead(FrameType.Response, responseHead(), false);
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), true);
    const heads: number[] = [];
    const resets: number[] = [];
    handlersOf(stream).head = () => heads.push(1);
    handlersOf(stream).reset = (error) => resets.push(error.code);
    await until(() => resets.length === 1, 'the reset');
    expect(heads).toHaveLength(1);
    expect(resets).toEqual([ErrorCode.Protocol]);
  });

  it('a reset by the tower reaches the agent with its code and message', async () => {
    const resets: StreamResetError[] = [];
    const { tower, agent } = connect(
      {},
      {
        onRequest: (stream) => {
          handlersOf(stream).reset = (error) => resets.push(error);
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), false);
    await until(() => agent.session.openStreams === 1, 'the request');
    stream.reset(ErrorCode.Cancel, 'the client went away');
    expect(stream.isOpen).toBe(false);
    expect(tower.session.openStreams).toBe(0);
    await until(() => resets.length === 1, 'the reset');
    expect(resets[0]).toBeInstanceOf(StreamResetError);
    expect(resets[0]).toMatchObject({ code: ErrorCode.Cancel, message: 'the client went away' });
    expect(agent.session.openStreams).toBe(0);
  });

  it('a reset by the agent reaches the tower with its code and message, and a pending write fails', async () => {
    const { tower } = connect(
      {},
      {
        onRequest: (stream) => {
          setImmediate(() => stream.reset(ErrorCode.UpstreamUnreachable, '127.0.0.1:8080 ECONNREFUSED'));
        },
      },
    );
    const stream = tower.session.openStream(requestHead(), false);
    const resets: StreamResetError[] = [];
    handlersOf(stream).reset = (error) => resets.push(error);
    // More than one window: the write waits for credit the agent never grants.
    const write = stream.write(Buffer.alloc(Limits.initialWindow * 2)).catch((error: unknown) => error);
    await until(() => resets.length === 1, 'the reset');
    expect(resets[0]).toMatchObject({
      code: ErrorCode.UpstreamUnreachable,
      message: '127.0.0.1:8080 ECONNREFUSED',
    });
    expect(await write).toMatchObject({ code: ErrorCode.UpstreamUnreachable });
    expect(tower.session.openStreams).toBe(0);
    expect(tower.session.isClosed).toBe(false);
  });
});

describe('stream ids', () => {
  it('the tower ignores frames for a finished stream but closes with Protocol on a never-opened id', async () => {
    const { tower, agent } = connect(
      {},
      { onRequest: (s) => s.sendHead(FrameType.Response, responseHead(), true) },
    );
    tower.session.openStream(requestHead(), true);
    await until(() => tower.session.openStreams === 0 && agent.session.openStreams === 0, 'the exchange');

    agent.link.inject([
      encodeFrame(FrameType.Response, FLAG_END_STREAM, 1, responseHead()),
      encodeFrame(FrameType.Data, 0, 1, Buffer.from('late')),
      encodeWindow(1, 1000),
      encodeReset(1, ErrorCode.Cancel, 'late'),
    ]);
    await ticks(5);
    expect(tower.session.isClosed).toBe(false);
    expect(tower.link.receiveErrors).toEqual([]);

    agent.link.inject([encodeFrame(FrameType.Data, 0, 2, Buffer.from('never opened'))]);
    await until(() => tower.session.isClosed, 'the tower to close');
    expect(tower.closes).toEqual([{ code: 4001, reason: expect.stringMatching(/^Protocol: /) }]);
    expect(tower.link.closeCalls).toMatchObject([{ code: 4001, force: false }]);
    expect(tower.link.receiveErrors[0]).toBeInstanceOf(ProtocolError);
    expect(tower.link.receiveErrors[0]).toMatchObject({ code: 'BOLT_ERR_UNKNOWN_STREAM' });
    await until(() => agent.closes.length === 1, 'the agent to hear');
    expect(agent.closes[0]?.code).toBe(4001);
  });

  it('the agent ignores frames for a finished stream but closes with Protocol on a never-opened id', async () => {
    const { tower, agent } = connect(
      {},
      { onRequest: (s) => s.sendHead(FrameType.Response, responseHead(), true) },
    );
    tower.session.openStream(requestHead(), true);
    await until(() => tower.session.openStreams === 0 && agent.session.openStreams === 0, 'the exchange');

    tower.link.inject([
      encodeFrame(FrameType.Data, FLAG_END_STREAM, 1),
      encodeWindow(1, 5),
      encodeReset(1, 6, ''),
    ]);
    await ticks(5);
    expect(agent.session.isClosed).toBe(false);

    tower.link.inject([encodeWindow(7, 1000)]);
    await until(() => agent.session.isClosed, 'the agent to close');
    expect(agent.closes).toMatchObject([{ code: 4001 }]);
    expect(agent.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_UNKNOWN_STREAM' }]);
  });

  it('the agent closes with Protocol on a request that reuses a stream id', async () => {
    const { tower, agent } = connect();
    tower.session.openStream(requestHead(), false);
    await until(() => agent.session.openStreams === 1, 'the request');
    tower.link.inject([encodeFrame(FrameType.Request, 0, 1, requestHead())]);
    await until(() => agent.session.isClosed, 'the agent to close');
    expect(agent.closes).toMatchObject([{ code: 4001 }]);
    expect(agent.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_STREAM_ID_REUSED' }]);
  });
});

describe('who may send what', () => {
  it('an agent that opens a stream gets the bolt closed with Protocol', async () => {
    const { tower, agent } = connect();
    agent.session.openStream(requestHead(), true);
    await until(() => tower.session.isClosed, 'the tower to close');
    expect(tower.closes).toMatchObject([{ code: 4001 }]);
    expect(tower.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_WRONG_SENDER' }]);
    await until(() => agent.session.isClosed, 'the agent to hear');
    expect(agent.closes).toMatchObject([{ code: 4001 }]);
  });

  it('a tower that sends Hello gets the bolt closed with Protocol', async () => {
    const { tower, agent } = connect();
    tower.session.hello(encodeJson({ v: 1, ports: [] }));
    await until(() => agent.session.isClosed, 'the agent to close');
    expect(agent.closes).toMatchObject([{ code: 4001 }]);
    expect(agent.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_WRONG_SENDER' }]);
    expect(agent.link.closeCalls).toMatchObject([{ code: 4001 }]);
  });

  it('a tower that sends a Response gets the bolt closed with Protocol', async () => {
    const { tower, agent } = connect();
    tower.session.openStream(requestHead(), false);
    await until(() => agent.session.openStreams === 1, 'the request');
    tower.link.inject([encodeFrame(FrameType.Response, 0, 1, responseHead())]);
    await until(() => agent.session.isClosed, 'the agent to close');
    expect(agent.closes).toMatchObject([{ code: 4001 }]);
    expect(agent.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_WRONG_SENDER' }]);
  });
});

describe('closing', () => {
  it('garbage closes the bolt with Protocol and each close callback fires once', async () => {
    const { tower, agent } = connect();
    agent.link.inject(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await until(() => tower.session.isClosed, 'the tower to close');
    await until(() => agent.session.isClosed, 'the agent to hear');
    await ticks(10);
    expect(tower.closes).toEqual([{ code: 4001, reason: expect.stringMatching(/^Protocol: /) }]);
    expect(tower.link.closeCalls).toHaveLength(1);
    expect(tower.link.receiveErrors).toHaveLength(1);
    expect(tower.link.receiveErrors[0]).toMatchObject({
      code: 'BOLT_ERR_UNKNOWN_FRAME',
      wireCode: ErrorCode.Protocol,
    });
    expect(agent.closes).toEqual([{ code: 4001, reason: expect.any(String) }]);

    // After the close nothing is sent and nothing received.
    const sent = tower.link.sent.length;
    tower.session.hello(Buffer.from('{}'));
    tower.session.receive(Buffer.from('more garbage'));
    await ticks(3);
    expect(tower.link.sent.length).toBe(sent);
    expect(() => tower.session.openStream(requestHead(), true)).toThrow(StreamResetError);
  });

  it('an empty message (what a text message becomes) closes the bolt with Protocol', async () => {
    const { tower, agent } = connect();
    agent.link.inject(Buffer.alloc(0));
    await until(() => tower.session.isClosed, 'the tower to close');
    expect(tower.link.closeCalls).toMatchObject([{ code: 4001 }]);
    expect(tower.closes).toEqual([{ code: 4001, reason: expect.stringMatching(/^Protocol: /) }]);
    expect(tower.link.receiveErrors).toMatchObject([{ code: 'BOLT_ERR_EMPTY_MESSAGE' }]);
  });

  it('close() fails every open stream with ConnectionLost on both sides', async () => {
    const agentResets: number[] = [];
    const { tower, agent } = connect(
      {},
      {
        onRequest: (stream) => {
          handlersOf(stream).reset = (error) => agentResets.push(error.code);
        },
      },
    );
    const streams = [1, 2, 3].map(() => tower.session.openStream(requestHead(), false));
    const towerResets: StreamResetError[] = [];
    for (const stream of streams) handlersOf(stream).reset = (error) => towerResets.push(error);
    const write = streams[0]?.write(Buffer.alloc(Limits.initialWindow * 2)).catch((error: unknown) => error);
    await until(() => agent.session.openStreams === 3, 'the requests');

    tower.session.close(ErrorCode.GoingAway, 'tower shutting down');
    expect(towerResets.map((error) => error.code)).toEqual([10, 10, 10]);
    expect(towerResets[0]?.message).toContain('tower shutting down');
    expect(tower.session.openStreams).toBe(0);
    expect(tower.closes).toEqual([{ code: 4014, reason: 'tower shutting down' }]);
    expect(tower.link.closeCalls).toEqual([{ code: 4014, reason: 'tower shutting down', force: false }]);
    expect(await write).toMatchObject({ code: ErrorCode.ConnectionLost });
    expect(thrown(() => tower.session.openStream(requestHead(), true))).toMatchObject({
      code: ErrorCode.ConnectionLost,
    });

    await until(() => agent.session.isClosed, 'the agent to hear');
    expect(agentResets).toEqual([10, 10, 10]);
    expect(agent.closes).toEqual([{ code: 4014, reason: 'tower shutting down' }]);
    tower.session.close(ErrorCode.Internal, 'again');
    expect(tower.closes).toHaveLength(1);
  });

  it(`refuses streams beyond ${Limits.maxConcurrentStreams} open at once with RefusedStream`, async () => {
    const served: MuxStream[] = [];
    const { tower, agent } = connect({}, { onRequest: (stream) => served.push(stream) });
    const resets = new Map<number, number>();
    const open = (count: number) =>
      Array.from({ length: count }, () => {
        const stream = tower.session.openStream(requestHead(), false);
        handlersOf(stream).reset = (error) => resets.set(stream.id, error.code);
        return stream;
      });
    const streams = open(Limits.maxConcurrentStreams + 2);
    await until(() => resets.size === 2, 'the refusals');
    expect([...resets]).toEqual([
      [Limits.maxConcurrentStreams + 1, ErrorCode.RefusedStream],
      [Limits.maxConcurrentStreams + 2, ErrorCode.RefusedStream],
    ]);
    expect(served).toHaveLength(Limits.maxConcurrentStreams);
    expect(agent.session.openStreams).toBe(Limits.maxConcurrentStreams);
    expect(tower.session.openStreams).toBe(Limits.maxConcurrentStreams);

    // Frames still in flight for a refused stream are ignored, and a freed slot takes a new stream.
    expect(streams[Limits.maxConcurrentStreams]?.isOpen).toBe(false);
    tower.link.inject([encodeFrame(FrameType.Data, 0, Limits.maxConcurrentStreams + 1, Buffer.from('late'))]);
    streams[0]?.reset(ErrorCode.Cancel, 'done');
    await until(() => agent.session.openStreams === Limits.maxConcurrentStreams - 1, 'the slot to free');
    const [next] = open(1);
    await until(() => served.length === Limits.maxConcurrentStreams + 1, 'the new stream');
    expect(served.at(-1)?.id).toBe(next?.id);
    expect(agent.session.isClosed).toBe(false);
  });
});

describe('heartbeat', () => {
  const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'Date'] });

  it('pings every interval and expires a silent peer after the validity window with 4012', async () => {
    fakeClock();
    const link = new MemoryLink(); // nobody on the other end
    const { closes } = side(link, 'agent', { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 });
    const session = link.session as BoltSession;
    vi.advanceTimersByTime(2_999);
    await ticks(3);
    const pings = link.sent
      .flatMap((message) => decodeMessage(message))
      .filter((f) => f.type === FrameType.Ping);
    expect(pings).toHaveLength(2);
    expect(session.isClosed).toBe(false);

    vi.advanceTimersByTime(1);
    expect(session.isClosed).toBe(true);
    expect(closes).toEqual([{ code: 4012, reason: expect.stringContaining('heartbeat') }]);
    expect(link.closeCalls).toMatchObject([{ code: 4012, force: true }]);
  });

  it('any message from the peer counts as life and pushes expiry back', async () => {
    fakeClock();
    const link = new MemoryLink();
    side(link, 'tower', { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 });
    const session = link.session as BoltSession;
    vi.advanceTimersByTime(2_500);
    session.receive(joinFrames([encodeFrame(FrameType.Pong, 0, 0, Buffer.alloc(8))]));
    vi.advanceTimersByTime(2_999);
    expect(session.isClosed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(session.isClosed).toBe(true);
  });

  it('two live peers answering each other never expire', async () => {
    fakeClock();
    const { tower, agent } = connect(
      { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 },
      { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 },
    );
    for (let step = 0; step < 60; step++) {
      vi.advanceTimersByTime(500);
      await ticks(8); // let the pings and pongs cross
    }
    expect(tower.session.isClosed).toBe(false);
    expect(agent.session.isClosed).toBe(false);
    const types = (link: MemoryLink) =>
      link.sent.flatMap((message) => decodeMessage(message)).map((f) => f.type);
    for (const link of [tower.link, agent.link]) {
      expect(types(link).filter((type) => type === FrameType.Ping).length).toBe(30);
      expect(types(link).filter((type) => type === FrameType.Pong).length).toBe(30);
    }
  });
});

describe('output backlog', () => {
  const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'Date'] });
  const BACKLOG = 4016;
  const pings = (count: number) =>
    joinFrames(Array.from({ length: count }, () => encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(8))));
  const sentBytes = (link: MemoryLink) => link.sent.reduce((sum, message) => sum + message.length, 0);

  it('closes with Backlog once Pongs for a peer that takes nothing would pass maxOutputBacklog', async () => {
    const link = new MemoryLink();
    link.held = [];
    const { closes } = side(link, 'tower', { maxOutputBacklog: 64 * 1024 });
    const session = link.session as BoltSession;
    // 180 KB of Pongs asked for in one message, then more: none of it may pass the ceiling.
    session.receive(pings(10_000));
    expect(session.outputBacklog).toBeLessThanOrEqual(64 * 1024);
    session.receive(pings(10));
    await tick();
    expect(closes).toEqual([{ code: BACKLOG, reason: expect.stringContaining('65536 bytes') }]);
    // Dropped, not closed gracefully: a close frame would wait behind what the peer never took.
    expect(link.closeCalls).toMatchObject([{ code: BACKLOG, force: true }]);
    expect(sentBytes(link)).toBeLessThanOrEqual(64 * 1024);
  });

  it('fails a stream whose head tips the ceiling after openStream returns, not inside it', async () => {
    const link = new MemoryLink();
    link.held = [];
    side(link, 'tower', { maxOutputBacklog: 1024 });
    const session = link.session as BoltSession;
    const stream = session.openStream(requestHead(`/${'x'.repeat(2048)}`), true);
    const resets: number[] = [];
    handlersOf(stream).reset = (error) => resets.push(error.code);
    expect(session.isClosed).toBe(false);
    await tick();
    expect(resets).toEqual([ErrorCode.ConnectionLost]);
    expect(session.isClosed).toBe(true);
  });

  it('expires a bolt whose output sits unconfirmed for the validity window, though the peer keeps sending', async () => {
    fakeClock();
    const link = new MemoryLink();
    link.held = [];
    const { closes } = side(link, 'agent', { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 });
    const session = link.session as BoltSession;
    const pong = joinFrames([encodeFrame(FrameType.Pong, 0, 0, Buffer.alloc(8))]);
    session.hello(encodeJson({ v: 1, ports: [8080] }));
    await ticks(2); // sent at t0, never confirmed
    for (let elapsed = 0; elapsed < 2_500; elapsed += 500) {
      vi.advanceTimersByTime(500);
      session.receive(pong);
    }
    vi.advanceTimersByTime(499);
    expect(session.isClosed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(closes).toEqual([{ code: BACKLOG, reason: expect.stringContaining('took none of its output') }]);
    expect(link.closeCalls).toMatchObject([{ code: BACKLOG, force: true }]);
  });

  it('keeps a bolt whose output moves, however slowly, and expires it once it stops moving', async () => {
    fakeClock();
    const link = new MemoryLink();
    link.held = [];
    const { closes } = side(link, 'tower', { beaconIntervalMs: 1_000, beaconValidityMs: 3_000 });
    const session = link.session as BoltSession;
    const pong = joinFrames([encodeFrame(FrameType.Pong, 0, 0, Buffer.alloc(8))]);
    const held = link.held;
    for (let step = 0; step < 40; step++) {
      session.receive(pong);
      // Two messages out, one taken: there is always output waiting.
      for (const path of ['/a', '/b']) {
        session.openStream(requestHead(path), true);
        await ticks(2);
      }
      vi.advanceTimersByTime(2_000);
      held.shift()?.(); // the peer takes one message every two seconds
    }
    expect(session.isClosed).toBe(false);
    expect(held.length).toBeGreaterThan(0);
    const lastMove = Date.now();
    for (let elapsed = 0; elapsed < 2_500; elapsed += 500) {
      vi.advanceTimersByTime(500);
      session.receive(pong);
    }
    vi.advanceTimersByTime(lastMove + 3_000 - Date.now() - 1);
    expect(session.isClosed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(closes).toEqual([{ code: BACKLOG, reason: expect.stringContaining('3000 ms') }]);
  });

  it('wakes writers a few at a time: 200 streams resuming together stay near the high-water mark', async () => {
    const link = new MemoryLink();
    link.held = [];
    const { closes } = side(link, 'tower', {});
    const session = link.session as BoltSession;
    const writes = Array.from({ length: 200 }, () => {
      const state = { done: false };
      const stream = session.openStream(requestHead(), false);
      void stream.write(Buffer.alloc(Limits.initialWindow)).then(() => {
        state.done = true;
      });
      return state;
    });
    // The socket confirms everything it holds, turn after turn; the writers resume each time.
    let peak = 0;
    await until(() => {
      for (const done of (link.held ?? []).splice(0)) done();
      peak = Math.max(peak, session.outputBacklog);
      return writes.every((write) => write.done);
    }, 'every writer to finish');
    expect(closes).toEqual([]);
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + Limits.maxDataPayload + 10 + 200 * 100);
  });
});

describe('batching', () => {
  it('frames enqueued in one turn leave as one message', async () => {
    const requests: number[] = [];
    const { tower } = connect({}, { onRequest: (stream) => requests.push(stream.id) });
    for (let i = 0; i < 5; i++) tower.session.openStream(requestHead(`/${i}`), true);
    expect(tower.link.sent).toHaveLength(0);
    await until(() => requests.length === 5, 'the requests');
    expect(tower.link.sent).toHaveLength(1);
    expect(decodeMessage(tower.link.sent[0] ?? Buffer.alloc(0)).map((frame) => frame.streamId)).toEqual([
      1, 2, 3, 4, 5,
    ]);

    tower.session.openStream(requestHead(), true);
    await tick();
    tower.session.openStream(requestHead(), true);
    await until(() => requests.length === 7, 'two more requests');
    expect(tower.link.sent).toHaveLength(3);
  });

  it('cuts a batch before it reaches half the peer message limit', async () => {
    const link = new MemoryLink();
    side(link, 'tower', {});
    const session = link.session as BoltSession;
    for (let i = 0; i < 10; i++)
      session.enqueue(encodeFrame(FrameType.Data, 0, 1, Buffer.alloc(Limits.maxDataPayload)));
    await ticks(2);
    expect(link.sent).toHaveLength(2);
    for (const message of link.sent) expect(message.length).toBeLessThanOrEqual(Limits.maxMessageSize / 2);
    expect(link.sent.flatMap((message) => decodeMessage(message))).toHaveLength(10);
  });
});

describe('known bugs', () => {
  // Regression: this was once broken in src/bolt/mux/bolt-session.ts, close.
  it('closes with a reason of at most 123 UTF-8 bytes, whatever the peer sent', async () => {
    const { tower, agent } = connect({ onHello: (payload) => decodeHello(payload) });
    agent.session.hello(Buffer.from(JSON.stringify({ v: '€'.repeat(200), ports: [] })));
    await until(() => tower.session.isClosed, 'the tower to close');
    expect(tower.link.closeCalls[0]?.code).toBe(4001);
    expect(Buffer.byteLength(tower.link.closeCalls[0]?.reason ?? '')).toBeLessThanOrEqual(123);
  });

  // Regression: this was once broken in src/bolt/mux/bolt-session.ts, receive/dispatch.
  it('a throwing request handler costs its own stream only, not the rest of the message', async () => {
    const served: number[] = [];
    const { tower, agent } = connect(
      {},
      {
        onRequest: (stream) => {
          if (stream.id === 1) throw new TypeError('Invalid character in header content ["x-a"]');
          served.push(stream.id);
          stream.sendHead(FrameType.Response, responseHead(), true);
        },
      },
    );
    const first = tower.session.openStream(requestHead(), true);
    const second = tower.session.openStream(requestHead(), true);
    const resets: number[] = [];
    handlersOf(first).reset = (error) => resets.push(error.code);
    let answered = false;
    handlersOf(second).head = () => {
      answered = true;
    };
    await until(() => agent.link.receiveErrors.length > 0 || answered, 'the agent to act', 2_000);
    await ticks(10);
    expect(served).toEqual([2]);
    expect(answered).toBe(true);
    expect(resets).toEqual([ErrorCode.Internal]);
    expect(agent.session.openStreams).toBe(0);
  });
});
