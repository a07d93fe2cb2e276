/**
 * The agent's undici handler against a real session whose socket has stopped confirming writes:
 * an empty chunk is a no-op, and a chunk that does not fit pauses undici until the session drains,
 * never resuming it before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExchange } from '../../src/bolt/agent/local-exchange.js';
import { BoltSession, type MessageLink } from '../../src/bolt/mux/bolt-session.js';
import type { MuxStream } from '../../src/bolt/mux/mux-stream.js';
import { ErrorCode, Limits } from '../../src/bolt/protocol/frames.js';
import { encodeJson } from '../../src/bolt/protocol/heads.js';

/** A socket that takes every message and confirms none until told to. */
class StuckLink implements MessageLink {
  readonly unconfirmed: (() => void)[] = [];
  send(_message: Buffer, done: (error?: Error) => void): void {
    this.unconfirmed.push(() => done());
  }
  close(): void {}
  drain(): void {
    for (const done of this.unconfirmed.splice(0)) done();
  }
}

const sessions: BoltSession[] = [];
afterEach(() => {
  for (const session of sessions.splice(0)) session.close(ErrorCode.NoError, 'test over', true);
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const head = () => encodeJson({ port: 8080, method: 'GET', path: '/', headers: [] });

/** A session past its high-water mark, and a fresh stream on it with a response under way. */
async function fullSession() {
  const link = new StuckLink();
  const session = new BoltSession(link, {
    role: 'tower',
    beaconIntervalMs: 60_000,
    beaconValidityMs: 600_000,
  });
  sessions.push(session);
  const writers: MuxStream[] = [];
  while (session.hasRoom()) {
    const stream = session.openStream(head(), false);
    writers.push(stream);
    // Still waiting for room when the test closes the session.
    stream.write(Buffer.alloc(Limits.initialWindow)).catch(() => {});
    await tick();
  }
  const stream = session.openStream(head(), false);
  const exchange = new LocalExchange(stream, 'GET', '127.0.0.1:8080');
  let resumes = 0;
  exchange.onHeaders(200, [], () => {
    resumes++;
  });
  return { link, session, exchange, resumes: () => resumes };
}

describe('LocalExchange back-pressure', () => {
  it('takes an empty chunk as a no-op while the session has no room', async () => {
    const { session, exchange, resumes } = await fullSession();
    expect(session.hasRoom()).toBe(false);
    // undici hands one when it resumes with nothing read; pausing on it once meant resuming at once.
    expect(exchange.onData(Buffer.alloc(0))).toBe(true);
    await tick();
    expect(resumes()).toBe(0);
  });

  it('pauses on a chunk that does not fit and resumes only once the session has drained', async () => {
    const { link, session, exchange, resumes } = await fullSession();
    expect(exchange.onData(Buffer.alloc(1024))).toBe(false);
    for (let i = 0; i < 20; i++) await tick();
    expect(resumes()).toBe(0);
    link.drain();
    for (let i = 0; i < 20 && resumes() === 0; i++) await tick();
    expect(resumes()).toBe(1);
    expect(session.isClosed).toBe(false);
  });
});
