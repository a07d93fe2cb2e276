/**
 * A paced API client for latency under the fleet's load: one keep-alive connection, requests one
 * after another at a fixed rate, each timed. Paced rather than flat out (as wrk would), so what is
 * measured is how long a request waits behind the tower's own work, not behind the probe's; and
 * spoken on a raw socket (raw-http.ts), so the client adds microseconds, not a millisecond.
 *
 * Messages: `probe` (method, URLs cycled, seconds, rate) -> `latency` (each answered request's time,
 * and when it was sent on the shared monotonic clock); `fetch` (URL, times) -> `fetched`.
 */
import { monotonicMs } from '../procs/clock.js';
import { RawHttpClient } from './raw-http.js';

export interface ProbeRequest {
  readonly type: 'probe';
  readonly method: 'HEAD' | 'GET';
  readonly urls: readonly string[];
  readonly seconds: number;
  readonly rate: number;
}

export interface FetchRequest {
  readonly type: 'fetch';
  readonly url: string;
  readonly times: number;
}

const clients = new Map<string, RawHttpClient>();

/** One timed request on the keep-alive connection to the URL's origin. */
async function once(method: string, url: string): Promise<{ status: number; bytes: number; ms: number }> {
  const target = new URL(url);
  let client = clients.get(target.origin);
  if (!client) {
    client = new RawHttpClient(target);
    clients.set(target.origin, client);
  }
  const started = monotonicMs();
  const response = await client.request({ method, path: `${target.pathname}${target.search}` });
  return { status: response.status, bytes: response.bodyBytes, ms: monotonicMs() - started };
}

async function probe(request: ProbeRequest): Promise<void> {
  const period = 1000 / request.rate;
  const samples: number[] = [];
  const sentAt: number[] = [];
  const statuses: Record<string, number> = {};
  const began = monotonicMs();
  for (let i = 0; monotonicMs() - began < request.seconds * 1000; i++) {
    const wait = began + i * period - monotonicMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const url = request.urls[i % request.urls.length] ?? '';
    const at = monotonicMs();
    const result = await once(request.method, url).catch(() => ({ status: 0, bytes: 0, ms: Number.NaN }));
    statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    if (result.status >= 200 && result.status < 300) {
      samples.push(result.ms);
      sentAt.push(at);
    }
  }
  process.send?.({ type: 'latency', samples, sentAt, statuses });
}

async function fetchTimes(request: FetchRequest): Promise<void> {
  const results = [];
  for (let i = 0; i < request.times; i++) results.push(await once('GET', request.url));
  process.send?.({ type: 'fetched', results });
}

process.on('message', (message: ProbeRequest | FetchRequest) => {
  const work = message.type === 'probe' ? probe(message) : fetchTimes(message);
  work.catch((error: unknown) =>
    process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
