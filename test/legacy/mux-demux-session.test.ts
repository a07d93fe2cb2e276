/**
 * The tower's multiplex against the real mux-demux package, in memory: the wire protocol's
 * example 1 frame by frame, half-open relays, exactly one close per stream per side, flow control,
 * and that abandoning a stream never puts a 0.4.3 agent's mux into its error state.
 */
import MuxDemux from 'mux-demux';
import { describe, expect, it } from 'vitest';
import { answerCapability, askCapability } from '../../src/legacy/capability-channel.js';
import { LegacyProtocolError } from '../../src/legacy/legacy-error.js';
import type { LegacyStream, StreamEndCause } from '../../src/legacy/legacy-stream.js';
import { encodeLine, LineDecoder } from '../../src/legacy/line-codec.js';
import { MuxDemuxSession } from '../../src/legacy/mux-demux-session.js';

type Trace = ['T' | 'A', ...unknown[]][];

/** The tower's session and a real mux-demux, joined by an asynchronous in-memory wire. */
function wire(accept: (stream: LegacyStream) => void = (stream) => stream.end()) {
  const trace: Trace = [];
  const toAgent: string[] = [];
  const toTower: string[] = [];
  const agent = MuxDemux();
  const agentErrors: unknown[] = [];
  agent.on('error', (error: unknown) => agentErrors.push(error));
  const decoder = new LineDecoder(1024 * 1024);
  const session = new MuxDemuxSession({
    maxOpenStreams: 16,
    maxPeerStreams: 4,
    send: (frame) => {
      trace.push(['T', ...frame]);
      toAgent.push(encodeLine(frame));
    },
    accept,
  });
  agent.on('data', (line: string) => {
    trace.push(['A', ...(JSON.parse(line) as unknown[])]);
    toTower.push(line);
  });
  /** Delivers queued lines both ways until the wire has been quiet for a few turns of the loop. */
  const settle = async () => {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      quiet = toAgent.length === 0 && toTower.length === 0 ? quiet + 1 : 0;
      for (const line of toAgent.splice(0)) agent.write(line);
      for (const line of toTower.splice(0))
        for (const value of decoder.push(Buffer.from(line))) session.receive(value);
    }
  };
  /** The frames of one stream id, as [direction, event, ...args]. */
  const of = (id: unknown) =>
    trace.filter((entry) => entry[1] === id).map(([dir, , ...rest]) => [dir, ...rest]);
  return { session, agent, agentErrors, trace, settle, of };
}

describe('the tower multiplex against mux-demux', () => {
  it('plays example 1: both capabilities, each answered, one close per side', async () => {
    const { session, agent, settle, of, trace } = wire((stream) => answerCapability(stream, [5000, 8000]));
    const lists: (readonly number[])[] = [];
    askCapability(session, (ports) => lists.push(ports));
    agent.on('connection', (stream: MuxDemux.SubStream) => {
      if (stream.meta === 'capability') {
        stream.write('5000');
        stream.end();
      }
    });
    const theirs = agent.createReadStream('capability');
    const heard: string[] = [];
    theirs.on('data', (list: string) => heard.push(list));
    await settle();

    expect(lists).toEqual([[5000]]);
    expect(heard).toEqual(['5000,8000']);
    const ours = trace.find((entry) => entry[0] === 'T' && entry[2] === 'new')?.[1];
    expect(of(ours)).toEqual([
      ['T', 'new', { meta: 'capability', opts: { writable: true, readable: false } }],
      ['A', 'data', '5000'],
      ['A', 'end'],
      ['A', 'close'],
      ['T', 'close'],
    ]);
    expect(of(theirs.id)).toEqual([
      ['A', 'new', { meta: 'capability', opts: { writable: true, readable: false } }],
      ['T', 'data', '5000,8000'],
      ['T', 'end'],
      ['T', 'close'],
      ['A', 'close'],
    ]);
    expect(session.openStreams).toBe(0);
  });

  it('runs a half-open relay: the request ends first, the reply follows, each side closes once', async () => {
    const { session, agent, settle, of, agentErrors } = wire();
    agent.on('connection', (stream: MuxDemux.SubStream) => {
      let preamble = '';
      stream.on('data', (data: string) => {
        preamble ||= data;
      });
      stream.on('end', () => {
        setImmediate(() => {
          stream.write(JSON.stringify({ statusCode: 200, headers: {}, echo: JSON.parse(preamble) }));
          stream.write('body');
          stream.end();
        });
      });
    });
    const relay = session.open('relay:5000', { writable: true, readable: true }, true);
    const got: unknown[] = [];
    let ended: StreamEndCause | undefined;
    if (!relay) throw new Error('not opened');
    relay.listener = {
      data: (payload) => got.push(payload),
      end: () => got.push('END'),
      closed: (cause) => (ended = cause),
    };
    relay.write('{"method":"GET","url":"/status"}');
    relay.end();
    await settle();
    expect(got).toEqual([
      JSON.stringify({ statusCode: 200, headers: {}, echo: { method: 'GET', url: '/status' } }),
      'body',
      'END',
    ]);
    expect(ended).toBe('closed');
    expect(of(relay.id).map(([dir, event]) => `${dir}:${event}`)).toEqual([
      'T:new',
      'T:data',
      'T:end',
      'A:data',
      'A:data',
      'A:end',
      'A:close',
      'T:close',
    ]);
    expect(agentErrors).toEqual([]);
    expect(session.openStreams).toBe(0);
  });

  it('abandons a relay with close, and the agent writing its late reply stays healthy', async () => {
    const { session, agent, settle, of, agentErrors } = wire();
    const late: MuxDemux.SubStream[] = [];
    agent.on('connection', (stream: MuxDemux.SubStream) => late.push(stream));
    const relay = session.open('relay:5000', { writable: true, readable: true }, true);
    relay?.write('{"method":"GET","url":"/slow"}');
    relay?.end();
    await settle();
    relay?.destroy(); // the tower's timeout
    await settle();
    // 0.4.3's reply arrives after the tower gave up: frames for an id the tower has dropped.
    late[0]?.write(JSON.stringify({ statusCode: 200, headers: {} }));
    late[0]?.end();
    await settle();
    expect(agentErrors).toEqual([]);
    expect(of(relay?.id).filter(([, event]) => event === 'close')).toEqual([
      ['T', 'close'],
      ['A', 'close'],
    ]);
    expect(session.openStreams).toBe(0);
  });

  it('passes pause and resume to the agent stream, which holds its writes meanwhile', async () => {
    const { session, agent, settle } = wire();
    const streams: MuxDemux.SubStream[] = [];
    agent.on('connection', (stream: MuxDemux.SubStream) => streams.push(stream));
    const relay = session.open('relay:1', { writable: true, readable: true }, true);
    await settle();
    relay?.pause();
    await settle();
    expect(streams[0]?.write('x')).toBe(false);
    let drained = false;
    streams[0]?.on('drain', () => {
      drained = true;
    });
    relay?.resume();
    await settle();
    expect(drained).toBe(true);
    expect(streams[0]?.write('y')).toBe(true);
  });

  it('ignores new for a live id and frames for unknown ids; sends nothing after the connection is lost', async () => {
    const sent: unknown[][] = [];
    const accepted: LegacyStream[] = [];
    const session = new MuxDemuxSession({
      maxOpenStreams: 16,
      maxPeerStreams: 4,
      send: (frame) => sent.push(frame),
      accept: (stream) => accepted.push(stream),
    });
    session.receive(['x', 'new', { meta: 'one' }]);
    session.receive(['x', 'new', { meta: 'two' }]);
    session.receive(['y', 'data', 'ignored']);
    session.receive(['y', 'close']);
    expect(accepted.map((stream) => stream.meta)).toEqual(['one']);
    expect(sent).toEqual([]);
    let cause: StreamEndCause | undefined;
    const live = accepted[0];
    if (live) live.listener = { closed: (how) => (cause = how) };
    session.lost();
    live?.end();
    expect(cause).toBe('lost');
    expect(sent).toEqual([]);
    expect(session.open('late', { writable: true, readable: true }, true)).toBeUndefined();
  });

  it("answers a close with one close, and ignores the peer's echo of ours", () => {
    const sent: unknown[][] = [];
    const session = new MuxDemuxSession({
      maxOpenStreams: 16,
      maxPeerStreams: 4,
      send: (frame) => sent.push(frame),
      accept: () => {},
    });
    const a = session.open('beacon', { writable: true, readable: true }, true);
    const b = session.open('beacon', { writable: true, readable: true }, true);
    session.receive([a?.id, 'close']);
    session.receive([a?.id, 'close']);
    b?.destroy();
    session.receive([b?.id, 'close']);
    expect(sent.filter((frame) => frame[1] === 'close')).toEqual([
      [a?.id, 'close'],
      [b?.id, 'close'],
    ]);
    // Our ids: lowercase hex, at least 96 random bits, never the same twice.
    expect(a?.id).toMatch(/^[0-9a-f]{25,}$/);
    expect(a?.id).not.toBe(b?.id);
  });

  it('refuses a peer past its stream budget', () => {
    const session = new MuxDemuxSession({
      maxOpenStreams: 16,
      maxPeerStreams: 2,
      send: () => {},
      accept: (s) => s.end(),
    });
    session.receive(['p1', 'new', {}]);
    session.receive(['p2', 'new', {}]);
    expect(() => session.receive(['p3', 'new', {}])).toThrow(LegacyProtocolError);
  });
});
