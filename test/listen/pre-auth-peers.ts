/**
 * Peers that never finish authenticating, for the listeners' pre-auth tests: plain TCP connections
 * that send nothing (from any loopback address, so floods can come from "other hosts"), and TLS
 * connections that finish the handshake and then dribble their HTTP upgrade one byte at a time.
 */
import net from 'node:net';
import tls from 'node:tls';
import { onCloseAll } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

export interface HeldSocket {
  readonly socket: net.Socket;
  /** Resolves when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
}

function hold(socket: net.Socket): HeldSocket {
  let isClosed = false;
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  onCloseAll(async () => void socket.destroy());
  return { socket, closed, isClosed: () => isClosed };
}

/** A TCP connection that sends no byte at all; `from` picks the loopback source address. */
export function silentConnection(port: number, from = '127.0.0.1'): Promise<HeldSocket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  const held = hold(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(held));
    socket.once('error', reject);
  });
}

/** `count` silent connections from `from`, all connected (accepted by the kernel, maybe not by the tower). */
export const silentFlood = (port: number, count: number, from: string): Promise<HeldSocket[]> =>
  Promise.all(Array.from({ length: count }, () => silentConnection(port, from)));

/** Resolves once `n` of `sockets` have closed. */
export function closedCount(sockets: readonly HeldSocket[], n: number): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    for (const held of sockets)
      void held.closed.then(() => {
        closed += 1;
        if (closed === n) resolve();
      });
  });
}

/**
 * A TLS connection with a valid certificate for `cname` that, once secure, sends an upgrade request
 * one byte every `everyMs`, and never finishes it before it is closed.
 */
export async function dribblingUpgrade(port: number, cname: string, everyMs = 50): Promise<HeldSocket> {
  const pki = await testPki();
  const identity = await pki.client(cname);
  // Without the blank line that ends it: even sent whole, the request never completes.
  const request = Buffer.from(
    'GET /bolt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
  );
  const socket = tls.connect({ port, host: '127.0.0.1', ca: pki.ca, ...identity, servername: 'localhost' });
  const held = hold(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  let sent = 0;
  // Not a synchronisation sleep: this is the hostile peer's pace, which the deadline must not care about.
  const drip = setInterval(() => {
    if (held.isClosed() || sent >= request.length) return clearInterval(drip);
    socket.write(request.subarray(sent, sent + 1));
    sent += 1;
  }, everyMs);
  void held.closed.then(() => clearInterval(drip));
  onCloseAll(async () => clearInterval(drip));
  return held;
}
