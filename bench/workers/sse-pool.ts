/**
 * A pool of `/minions/events` subscribers in one process (a load generator, separate from the
 * tower): opens `count` SSE connections, and records when each `added`/`changed`/`removed` event
 * for a minion whose id starts with `prefix` reached each subscriber, on the shared monotonic clock.
 *
 *   node sse-pool.js <events-url> <count> <prefix> [<first subscriber number>]
 *
 * Each subscriber is a plain socket speaking HTTP/1.1 (see `SseResponseReader`): every message is
 * still parsed at every subscriber, but without Node's HTTP client and its per-connection parser,
 * stream and decoder, which cost a thousand subscribers more CPU than parsing the messages does.
 *
 * Messages: sends `ready` once every subscriber has its snapshot; answers `report` with `events`.
 */
import net from 'node:net';
import { monotonicMs } from '../procs/clock.js';
import { type ChangeData, SseResponseReader } from './sse-parse.js';

export interface Arrival {
  readonly subscriber: number;
  readonly type: string;
  readonly id: string;
  readonly checksum: string | null;
  readonly at: number;
}

const [url = '', countArg = '1', prefix = '', firstArg = '0'] = process.argv.slice(2);
const count = Number(countArg);
const first = Number(firstArg);
const target = new URL(url);
const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n\r\n`;
const arrivals: Arrival[] = [];
let lost = 0;
const sockets: net.Socket[] = [];

// Every socket reads into this one buffer (`onread`): no Buffer and no stream event per read, and
// nothing holds on to it, since each read is parsed (copying what it keeps) before the next.
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function subscribe(subscriber: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const reader = new SseResponseReader();
    let snapshot = false;
    /** `onread`'s callback: false stops reading. */
    const received = (length: number): boolean => {
      // Taken first, before any parsing, so the pool's own work is not counted as feed latency.
      const at = monotonicMs();
      const events = reader.push(readBuffer.subarray(0, length));
      if (reader.status !== 0 && reader.status !== 200) {
        reject(new Error(`subscriber ${subscriber}: status ${reader.status}`));
        socket.destroy();
        return false;
      }
      for (const event of events) {
        if (event.event === 'snapshot') {
          if (!snapshot) resolve();
          snapshot = true;
          continue;
        }
        const data = JSON.parse(event.data) as ChangeData;
        if (data.id.startsWith(prefix)) {
          arrivals.push({ subscriber, type: event.event, id: data.id, checksum: data.checksum, at });
        }
      }
      return true;
    };
    const socket = net.connect(
      {
        port: Number(target.port),
        host: target.hostname,
        onread: { buffer: readBuffer, callback: received },
      },
      () => socket.write(request),
    );
    socket.on('error', reject);
    socket.on('close', () => {
      if (snapshot) lost++;
      else reject(new Error(`subscriber ${subscriber}: closed before the snapshot`));
    });
    sockets.push(socket);
  });
}

// Opened in batches so a thousand handshakes do not arrive in the same instant.
const BATCH = 100;
try {
  for (let start = 0; start < count; start += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) batch.push(subscribe(first + i));
    await Promise.all(batch);
  }
  process.send?.({ type: 'ready', connected: count });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') process.send?.({ type: 'events', arrivals, lost });
  if (message.type === 'clear') arrivals.length = 0;
});
process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
