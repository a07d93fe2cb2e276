/**
 * Attacks by a peer holding a real agent certificate, each until told to stop:
 *
 *   node hostile-bolt.js ping-flood   <bolt-port> <cert> <key> <ca>
 *   node hostile-bolt.js hello-flood  <bolt-port> <cert> <key> <ca> <total bytes>
 *   node hostile-bolt.js slow-upgrade <bolt-port> <cert> <key> <ca> <connections> <ms per byte>
 *
 * ping-flood: one legal Hello, then Pings as fast as the tower takes them, never reading its Pongs.
 * hello-flood: tiny legal Hellos, many to a message, up to the total. slow-upgrade: many TLS
 * connections, each writing its upgrade request one byte at a time.
 */
import type tls from 'node:tls';
import { encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import { FrameType } from '../../src/bolt/protocol/frames.js';
import { attackFailed, attackReady, type Counters, onStop } from './attack-control.js';
import { dialTls, readIdentity, upgrade, upgradeRequest, wsMessage } from './raw-bolt.js';

const [mode = '', portArg = '0', cert = '', key = '', ca = '', arg1 = '0', arg2 = '100'] =
  process.argv.slice(2);
const port = Number(portArg);
const identity = readIdentity(cert, key, ca);
const began = Date.now();
let stopping = false;

const HELLO = Buffer.from('{"v":1,"ports":[]}');
const frames = (type: FrameType, payload: Buffer, times: number): Buffer =>
  wsMessage(joinFrames(Array.from({ length: times }, () => encodeFrame(type, 0, 0, payload))));

/** Writes `data`; resolves true once the socket took it, false if the socket closed first. */
function write(socket: tls.TLSSocket, data: Buffer): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  if (socket.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** Sends `message` over and over until stopped, the budget is spent or the tower closes the bolt. */
async function flood(socket: tls.TLSSocket, message: Buffer, budget: number, counters: Counters) {
  let sent = 0;
  while (!stopping && sent < budget) {
    if (!(await write(socket, message))) break;
    sent += message.length;
    counters.bytesSent = sent;
  }
}

async function boltFlood(first: Buffer, message: Buffer, budget: number, read: boolean): Promise<void> {
  const counters: Counters = { bytesSent: 0, closedByTowerAfterMs: null };
  const socket = await dialTls(port, identity);
  await upgrade(socket, port);
  if (read) socket.on('data', () => {});
  else socket.pause(); // never read again: what the tower sends piles up on its side
  socket.once('close', () => {
    if (!stopping) counters.closedByTowerAfterMs = Date.now() - began;
  });
  onStop(() => {
    stopping = true;
    socket.destroy();
    return counters;
  });
  await write(socket, first);
  attackReady(counters);
  await flood(socket, message, budget, counters);
}

async function slowUpgrade(count: number, msPerByte: number): Promise<void> {
  const counters = { connections: 0, refused: 0, bytesSent: 0, answered: 0, closedByTower: 0 };
  const open: { socket: tls.TLSSocket; request: Buffer; at: number }[] = [];
  onStop(() => {
    stopping = true;
    for (const { socket } of open) socket.destroy();
    return counters;
  });
  const dialOne = async () => {
    const socket = await dialTls(port, identity).catch(() => undefined);
    if (!socket) {
      counters.refused++;
      return;
    }
    counters.connections++;
    socket.once('data', () => counters.answered++);
    socket.once('close', () => {
      if (!stopping) counters.closedByTower++;
    });
    // Long enough that no connection finishes its request during the attack.
    open.push({ socket, request: upgradeRequest(port, 4096), at: 0 });
  };
  for (let i = 0; i < count; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, count - i) }, dialOne));
  }
  const timer = setInterval(() => {
    for (const each of open) {
      if (each.socket.destroyed || each.at >= each.request.length) continue;
      each.socket.write(each.request.subarray(each.at, each.at + 1));
      each.at++;
      counters.bytesSent++;
    }
  }, msPerByte);
  process.once('exit', () => clearInterval(timer));
  attackReady(counters);
}

try {
  if (mode === 'ping-flood') {
    // 64 Pings to a message: the most Pongs the tower owes per byte it reads.
    await boltFlood(
      frames(FrameType.Hello, HELLO, 1),
      frames(FrameType.Ping, Buffer.alloc(8), 64),
      Infinity,
      false,
    );
  } else if (mode === 'hello-flood') {
    const hellos = frames(FrameType.Hello, HELLO, 1024);
    await boltFlood(hellos, hellos, Number(arg1), true);
  } else if (mode === 'slow-upgrade') {
    await slowUpgrade(Number(arg1), Number(arg2));
  } else throw new Error(`unknown attack "${mode}"`);
} catch (error) {
  attackFailed(error);
}
