/**
 * Small waiting and HTTP helpers for the orchestrator (not for measured traffic: load comes from
 * wrk and the worker processes).
 */
import http from 'node:http';
import { throwIfInterrupted } from './interruptions.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs, everyMs = 100 }: { timeoutMs: number; everyMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfInterrupted();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Fetched {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a fresh connection; rejects on network errors and after `timeoutMs`. */
export function request(url: string, method = 'GET', timeoutMs = 30_000): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET and parse JSON, or undefined when the server is not answering (yet). */
export async function getJson<T>(url: string, timeoutMs = 30_000): Promise<T | undefined> {
  try {
    const res = await request(url, 'GET', timeoutMs);
    return res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as T) : undefined;
  } catch {
    return undefined;
  }
}
