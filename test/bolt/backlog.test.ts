/**
 * A peer that stops reading (issue 10, item 3), on real TLS and WebSockets: the output to it is
 * bounded by `outputBacklogLimit`, and a bolt whose output sits untaken for the validity window is
 * expired even while the peer keeps sending. On the tower's side the peer is a raw ws client that
 * pauses its socket; on the agent's, a bare tower of ws + https that does the same.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import { closeCodeFor, ErrorCode, FrameType, Limits } from '../../src/bolt/protocol/frames.js';
import { WsBolt } from '../../src/bolt/tower/ws-bolt.js';
import type { BoltEnding } from '../../src/link/close-reason.js';
import { createLogger } from '../../src/log/logger.js';
import type { RunningTower } from '../../src/tower.js';
import { agent, closeAll, nextEvent, onCloseAll, rawBolt, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

const MIB = 1024 * 1024;

afterEach(closeAll);

/** One message of as many Pings as fit under the tower's message limit (each one asks for a Pong). */
const pingFlood = joinFrames(
  Array.from({ length: Math.floor((Limits.maxMessageSize - 1024) / 18) }, () =>
    encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(8)),
  ),
);
const pong = joinFrames([encodeFrame(FrameType.Pong, 0, 0, Buffer.alloc(8))]);

/** Every line the tower logs, parsed. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

/** The tower's bolt for `cname`, as the WebSocket bolt it is. */
function wsBolt(t: RunningTower, cname: string): WsBolt {
  const bolt = t.table.get(cname);
  if (!(bolt instanceof WsBolt)) throw new Error(`${cname} is not a WebSocket bolt`);
  return bolt;
}

/** Resolves with the close code and reason the tower reports for `bolt`. */
function closedWith(t: RunningTower, bolt: WsBolt): Promise<BoltEnding> {
  return new Promise((resolve) => {
    t.table.on('closed', (closed, how) => {
      if (closed === bolt) resolve(how);
    });
  });
}

/** Sends Ping floods, each once the last one left this side, until `stop()` or `budget` bytes. */
async function flood(socket: WebSocket, stop: () => boolean, budget: number): Promise<number> {
  let sent = 0;
  while (!stop() && sent < budget) {
    const left = await new Promise<boolean>((resolve) => socket.send(pingFlood, (error) => resolve(!error)));
    if (!left) break;
    sent += pingFlood.length;
  }
  return sent;
}

/** `promise`'s value, or 'timed out' after a generous `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(resolve, ms, 'timed out'))]);
}

/** The largest value `sample()` takes while `during` runs, sampled every millisecond. */
async function peakOf(sample: () => number, during: Promise<unknown>): Promise<number> {
  let peak = sample();
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, 1);
  try {
    await during;
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, sample());
}

describe('a bolt that floods Pings and never reads', () => {
  it('is closed with 4016 once its Pongs pass outputBacklogLimit, which bounds what the tower holds', async () => {
    const limit = 2 * MIB;
    const { log, lines } = capturedLog();
    const t = await tower({ outputBacklogLimit: limit }, log);
    // Twice, as a peer that reconnects would: the limit is logged once for the peer, not per bolt.
    for (let round = 0; round < 2; round++) {
      const socket = await rawBolt(t, 'pinger');
      const bolt = wsBolt(t, 'pinger');
      socket.pause();
      const closed = closedWith(t, bolt);
      const peak = await peakOf(
        () => bolt.outputBacklog,
        flood(socket, () => !bolt.isOpen, 32 * MIB),
      );
      expect(peak).toBeLessThanOrEqual(limit);
      expect(bolt.isOpen).toBe(false);
      expect(await within(closed, 5_000)).toMatchObject({ reason: 'backlog' });
    }
    const warned = lines.filter((line) => line.limit === 'outputBacklogLimit');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ cname: 'pinger', level: 40 });
  });

  it('is expired with 4016 when its output sits untaken for the validity window, though it keeps sending', async () => {
    // A limit far above what the kernel absorbs: only the stall can end this bolt.
    const t = await tower({ beaconInterval: 1, beaconValidity: 2, outputBacklogLimit: 256 * MIB });
    const socket = await rawBolt(t, 'sender');
    const bolt = wsBolt(t, 'sender');
    socket.pause();
    const closed = closedWith(t, bolt);
    // Flood until the kernel's buffers are full and the tower holds output back (a socket that
    // takes what it is given holds a message or two unconfirmed, never 4 MiB), or, on a slow
    // machine, until the stall has already ended the bolt.
    await flood(socket, () => !bolt.isOpen || bolt.outputBacklog > 4 * MIB, 128 * MIB);
    expect(!bolt.isOpen || bolt.outputBacklog > 4 * MIB).toBe(true);
    // A Pong now and then: by the old rule any message was life, so this bolt lived forever.
    const chatter = setInterval(() => socket.send(pong), 100);
    try {
      expect(await within(closed, 15_000)).toEqual({
        reason: 'backlog',
        detail: expect.stringContaining('took none of its output'),
      });
    } finally {
      clearInterval(chatter);
    }
  });
});

/**
 * A tower that accepts one bolt, stops reading it and hands it to `play`: just mutual TLS and a
 * WebSocket, none of the tower's own rules. Later dials are dropped.
 */
async function deafTower(play: (socket: WebSocket) => void): Promise<string> {
  const pki = await testPki();
  const https = createServer({ ca: pki.ca, cert: pki.cert, key: pki.key, requestCert: true });
  const wss = new WebSocketServer({ server: https, path: '/bolt', perMessageDeflate: false });
  let played = false;
  wss.on('connection', (socket) => {
    socket.on('error', () => {});
    if (played) return socket.terminate();
    played = true;
    socket.pause();
    play(socket);
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  onCloseAll(async () => {
    for (const socket of wss.clients) socket.terminate();
    wss.close();
    https.closeAllConnections();
    await new Promise<void>((resolve) => https.close(() => resolve()));
  });
  return `wss://localhost:${(https.address() as AddressInfo).port}`;
}

describe('an agent whose tower floods Pings and never reads', () => {
  // No redial within the test: the first bolt's end is what is looked at.
  const patient = { minBackoff: 60, maxBackoff: 60 };

  it('drops the bolt with 4016 once its Pongs pass outputBacklogLimit, which bounds what it holds', async () => {
    const limit = 2 * MIB;
    let stop = false;
    const url = await deafTower((socket) => void flood(socket, () => stop, 32 * MIB));
    const client = await agent(url, 'flooded', [1234], { ...patient, outputBacklogLimit: limit });
    const dropped = within(nextEvent(client, 'disconnected'), 20_000);
    const peak = await peakOf(() => client.outputBacklog, dropped);
    stop = true;
    expect(peak).toBeLessThanOrEqual(limit);
    expect(await dropped).toMatchObject({ code: closeCodeFor(ErrorCode.Backlog) });
  });

  it('drops the bolt with 4016 when its output sits untaken for the validity window, though the tower keeps sending', async () => {
    let over = false;
    let chatter: NodeJS.Timeout | undefined;
    onCloseAll(async () => clearInterval(chatter));
    const url = await deafTower((socket) => {
      // Until the agent holds output back (or, on a slow machine, has already dropped the bolt).
      void flood(socket, () => over || client.outputBacklog > 4 * MIB, 128 * MIB).then(() => {
        chatter = setInterval(() => socket.send(pong), 100);
      });
    });
    const client = await agent(url, 'ignored', [1234], {
      ...patient,
      beaconInterval: 1,
      beaconValidity: 2,
      outputBacklogLimit: 256 * MIB,
    });
    const dropped = within(nextEvent(client, 'disconnected'), 15_000);
    client.once('disconnected', () => {
      over = true;
    });
    expect(await dropped).toMatchObject({
      code: closeCodeFor(ErrorCode.Backlog),
      reason: expect.stringContaining('took none'),
    });
  });
});
