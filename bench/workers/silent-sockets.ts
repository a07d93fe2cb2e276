/**
 * Attack: TCP connections that say nothing, not even a TLS hello, held open until told to stop.
 *
 *   node silent-sockets.js <port,port,...> <count per port>
 *
 * Counts how many opened, how many could not, and how many the tower closed on its own.
 */
import net from 'node:net';
import { attackFailed, attackReady, onStop } from './attack-control.js';

const [portsArg = '', countArg = '0'] = process.argv.slice(2);
const ports = portsArg.split(',').map(Number);
const count = Number(countArg);
// Loopback's listen backlog is 511: open in batches so no SYN waits for a retransmit.
const BATCH = 64;

const sockets: net.Socket[] = [];
const counters = { opened: 0, failed: 0, closedByTower: 0 };
let stopping = false;

function open(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      counters.opened++;
      sockets.push(socket);
      resolve();
    });
    socket.once('error', () => {
      counters.failed++;
      resolve();
    });
    socket.once('close', () => {
      if (!stopping && sockets.includes(socket)) counters.closedByTower++;
    });
    // Whatever the tower says is read and dropped: the attack is the silence, not a full buffer.
    socket.on('data', () => {});
  });
}

onStop(() => {
  stopping = true;
  for (const socket of sockets) socket.destroy();
  return counters;
});

try {
  for (const port of ports) {
    for (let i = 0; i < count; i += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, () => open(port)));
    }
  }
  attackReady(counters);
} catch (error) {
  attackFailed(error);
}
