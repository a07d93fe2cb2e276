/**
 * The orchestrator's own `/minions/events` connection (one subscriber, not load): waits for an
 * event about a given minion and notes when it arrived.
 */
import http from 'node:http';
import { type ChangeData, SseParser } from '../workers/sse-parse.js';
import { monotonicMs } from './clock.js';

export interface FeedListener {
  /** Resolves with the arrival time of the first `type` event for `id` from now on, or `snapshot` containing it. */
  next(type: 'added' | 'removed', id: string, timeoutMs: number): Promise<number>;
  close(): void;
}

interface Seen {
  readonly type: string;
  readonly ids: readonly string[];
  readonly at: number;
}

export async function listenToFeed(eventsUrl: string): Promise<FeedListener> {
  const seen: Seen[] = [];
  const wakers = new Set<() => void>();
  const parser = new SseParser();
  const req = http.get(eventsUrl, { agent: false });
  await new Promise<void>((resolve, reject) => {
    req.once('response', (res) => {
      res.on('data', (bytes: Buffer) => {
        const at = monotonicMs();
        for (const event of parser.push(bytes)) {
          const data = JSON.parse(event.data) as ChangeData & { minions?: { id: string }[] };
          const ids = event.event === 'snapshot' ? (data.minions ?? []).map((m) => m.id) : [data.id];
          seen.push({ type: event.event, ids, at });
        }
        for (const wake of [...wakers]) wake();
      });
      resolve();
    });
    req.once('error', reject);
  });
  return {
    next(type, id, timeoutMs) {
      const from = seen.length;
      return new Promise((resolve, reject) => {
        const look = () => {
          const hit = seen
            .slice(type === 'added' ? 0 : from)
            .find(
              (s) => s.ids.includes(id) && (s.type === type || (type === 'added' && s.type === 'snapshot')),
            );
          if (!hit) return;
          clearTimeout(timer);
          wakers.delete(look);
          resolve(hit.at);
        };
        const timer = setTimeout(() => {
          wakers.delete(look);
          reject(new Error(`no "${type}" event for ${id} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        wakers.add(look);
        look();
      });
    },
    close() {
      req.destroy();
    },
  };
}
