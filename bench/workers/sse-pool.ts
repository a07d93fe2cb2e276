/**
 * A pool of `/minions/events` subscribers in one process (a load generator, separate from the
 * tower): opens `count` SSE connections, and records when each `added`/`changed`/`removed` event
 * for a minion whose id starts with `prefix` reached each subscriber, on the shared monotonic clock.
 *
 *   node sse-pool.js <events-url> <count> <prefix> [<first subscriber number>] [<batch>] [wait]
 *
 * Each subscriber is a plain socket speaking HTTP/1.1 (see `SseResponseReader`): every message is
 * still parsed at every subscriber, but without Node's HTTP client and its per-connection parser,
 * stream and decoder, which cost a thousand subscribers more CPU than parsing the messages does.
 *
 * Subscribers connect `batch` at a time (default 100), each batch once the previous one has its
 * snapshots; a batch of `count` opens them all at once, as a reconnect storm would. With `wait`,
 * the pool says `up` and dials only on `go`, so a ramp can be timed without the process's start;
 * then a subscriber that fails before its snapshot is counted as `failed` rather than failing the
 * pool, since whether the tower takes the storm is what is measured.
 *
 * Messages: sends `ready` once every subscriber has its snapshot; answers `report` with `events`
 * (the arrivals; subscribers with their snapshot, lost after it or failed before it; change events
 * received in all, and `dropped` events received).
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

const [url = '', countArg = '1', prefix = '', firstArg = '0', batchArg = '100', waitArg = ''] =
  process.argv.slice(2);
const count = Number(countArg);
const first = Number(firstArg);
const batchSize = Number(batchArg);
const storm = waitArg === 'wait';
const target = new URL(url);
const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n\r\n`;
const arrivals: Arrival[] = [];
let snapshots = 0;
let lost = 0;
let failed = 0;
let changes = 0;
let dropped = 0;
// The data of a change event starts with its id: most are told apart without parsing the JSON.
const ours = `{"id":${JSON.stringify(prefix).slice(0, -1)}`;
const sockets: net.Socket[] = [];

// Every socket reads into this one buffer (`onread`): no Buffer and no stream event per read, and
// nothing holds on to it, since each read is parsed (copying what it keeps) before the next.
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function subscribe(subscriber: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    /** Before the snapshot, a failure fails the pool; in a storm it is counted instead. */
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      if (storm) {
        failed++;
        resolve();
      } else reject(error);
    };
    const reader = new SseResponseReader();
    let snapshot = false;
    /** `onread`'s callback: false stops reading. */
    const received = (length: number): boolean => {
      // Taken first, before any parsing, so the pool's own work is not counted as feed latency.
      const at = monotonicMs();
      const events = reader.push(readBuffer.subarray(0, length));
      if (reader.status !== 0 && reader.status !== 200) {
        fail(new Error(`subscriber ${subscriber}: status ${reader.status}`));
        socket.destroy();
        return false;
      }
      for (const event of events) {
        if (event.event === 'snapshot') {
          if (!snapshot) snapshots++;
          if (!settled) resolve();
          snapshot = true;
          settled = true;
          continue;
        }
        if (event.event === 'dropped') {
          dropped++;
          continue;
        }
        changes++;
        if (!event.data.startsWith(ours)) continue;
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
    socket.on('error', fail);
    socket.on('close', () => {
      if (snapshot) lost++;
      else fail(new Error(`subscriber ${subscriber}: closed before the snapshot`));
    });
    sockets.push(socket);
  });
}

// Answered during the connecting too, so a storm that does not finish can still be measured.
process.on('message', (message: { type: string }) => {
  if (message.type === 'report')
    process.send?.({ type: 'events', arrivals, snapshots, lost, failed, received: changes, dropped });
  if (message.type === 'clear') arrivals.length = 0;
});

if (waitArg === 'wait') {
  const go = new Promise<void>((resolve) =>
    process.on('message', (message: { type: string }) => {
      if (message.type === 'go') resolve();
    }),
  );
  process.send?.({ type: 'up' });
  await go;
}
try {
  for (let start = 0; start < count; start += batchSize) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) batch.push(subscribe(first + i));
    await Promise.all(batch);
  }
  process.send?.({ type: 'ready', connected: count });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}

process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
