/**
 * A pool of `/minions/events` subscribers in one process (a load generator, separate from the
 * tower): opens `count` SSE connections, and records when each `added`/`changed`/`removed` event
 * for a minion whose id starts with `prefix` reached each subscriber, on the shared monotonic clock.
 *
 *   node sse-pool.js <events-url> <count> <prefix> [<first subscriber number>]
 *
 * Messages: sends `ready` once every subscriber has its snapshot; answers `report` with `events`.
 */
import http from 'node:http';
import { monotonicMs } from '../procs/clock.js';
import { type ChangeData, SseParser } from './sse-parse.js';

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
const arrivals: Arrival[] = [];
let lost = 0;
const sockets: http.ClientRequest[] = [];

function subscribe(subscriber: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = new SseParser();
    let snapshot = false;
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`subscriber ${subscriber}: status ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        // Taken first, before any parsing, so the pool's own work is not counted as feed latency.
        const at = monotonicMs();
        for (const event of parser.push(text)) {
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
      });
      res.on('close', () => {
        if (snapshot) lost++;
      });
    });
    req.on('error', reject);
    sockets.push(req);
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
  for (const req of sockets) req.destroy();
  process.exit(0);
});
