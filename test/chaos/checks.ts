/**
 * What the chaos phases measure once a fault is over: whether the fleet settles (every agent back,
 * the tower serving every minion's current checksum, every subscriber's view equal to it), whether
 * each agent relays correctly again, and what the processes do and hold when idle.
 */
import http from 'node:http';
import { type Document, documentChecksum } from '../helpers/checksums.js';
import { type Activity, activityOver } from './activity.js';
import type { FeedWatcher } from './feed-watcher.js';
import type { Fleet } from './fleet.js';
import type { ChaosProcess } from './processes.js';
import { patternBody } from './upstreams.js';

/** How far above its baseline a process's RSS may stay after a fault. */
export const RSS_MARGIN_BYTES = 64 * 1024 * 1024;
/** How many more descriptors than at its baseline a process may hold after a fault (pooled sockets). */
export const FD_MARGIN = 32;

interface Answer {
  readonly status: number;
  readonly body: Buffer;
  readonly complete: boolean;
}

/** One GET on a fresh connection; rejects on a transport error or after `timeoutMs`. */
export function get(url: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete: res.complete }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

const showMap = (map: ReadonlyMap<string, string>): string =>
  JSON.stringify(Object.fromEntries([...map].map(([id, sum]) => [id, sum.slice(0, 8)])));

const sameMap = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean =>
  a.size === b.size && [...a].every(([id, sum]) => b.get(id) === sum);

/** Why the fleet is not settled yet, or undefined once it is. */
async function unsettled(fleet: Fleet, watchers: readonly FeedWatcher[]): Promise<string | undefined> {
  if (!fleet.tower.running) return 'the tower is not running';
  const expected = fleet.upstreams.expected();
  let clients: { cname: string; state: string }[];
  let served: Map<string, string>;
  try {
    clients = JSON.parse((await get(`${fleet.apiUrl}/clients`)).body.toString('utf8'));
    const documents = JSON.parse((await get(`${fleet.apiUrl}/minions`)).body.toString('utf8')) as Document[];
    served = new Map(documents.map((d) => [String(d.id), documentChecksum(d)]));
  } catch (error) {
    return `the API does not answer: ${error instanceof Error ? error.message : String(error)}`;
  }
  const notReady = fleet.agents
    .map((slot) => slot.cname)
    .filter(
      (cname) => !clients.some((c) => c.cname === cname && (c.state === 'ready' || c.state === 'changed')),
    );
  if (notReady.length > 0)
    return `not connected and ready: ${notReady.join(', ')}; /clients ${JSON.stringify(clients)}`;
  // One live bolt per agent: a dead one's TCP connection must not outlive it.
  const extra = fleet.agents.filter((slot) => slot.proxy.connections().length !== 1);
  if (extra.length > 0)
    return extra
      .map((slot) => `${slot.cname} has ${slot.proxy.connections().length} connections to the tower`)
      .join('; ');
  if (!sameMap(served, expected))
    return `GET /minions serves ${showMap(served)}, the services hold ${showMap(expected)}`;
  for (const watcher of watchers) {
    if (!watcher.live) return `${watcher.name} is not connected`;
    if (!sameMap(watcher.view, expected))
      return `${watcher.name} sees ${showMap(watcher.view)}, GET /minions serves ${showMap(served)}`;
  }
  return undefined;
}

/**
 * Waits (polling, bounded by `timeoutMs`) until the fleet has settled; returns how long it took,
 * or why it has not.
 */
export async function settle(
  fleet: Fleet,
  watchers: readonly FeedWatcher[],
  timeoutMs: number,
): Promise<{ ms: number } | { failure: string }> {
  const started = Date.now();
  let why: string | undefined;
  for (;;) {
    why = await unsettled(fleet, watchers);
    if (why === undefined) return { ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) return { failure: `not settled after ${timeoutMs} ms: ${why}` };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A small and a large relay to each agent; the problems found (none when all came back exact). */
export async function verifyRelays(fleet: Fleet): Promise<string[]> {
  const problems: string[] = [];
  for (const { cname } of fleet.agents) {
    for (const size of [1024, 1024 * 1024]) {
      const path = `/proxy/${cname}@${fleet.upstreams.port}/bytes/${size}`;
      try {
        const answer = await get(`${fleet.apiUrl}${path}`, 20_000);
        if (answer.status !== 200 || !answer.complete || !answer.body.equals(patternBody(cname, size)))
          problems.push(`${path}: ${answer.status}, ${answer.body.length} bytes, not the body sent`);
      } catch (error) {
        problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return problems;
}

export interface Usage {
  /** What each process did over the idle window, by role. */
  readonly activity: Map<string, Activity>;
  /** RSS in bytes at the end of the window, by role. */
  readonly rss: Map<string, number>;
  /** Open descriptors at the end of the window, by role. */
  readonly fds: Map<string, number>;
}

/** What each process did over `windowMs` of quiet (no load, no changes), and its RSS and open descriptors after it. */
export async function idleUsage(processes: readonly ChaosProcess[], windowMs: number): Promise<Usage> {
  const activity = await activityOver(processes, windowMs);
  const rss = new Map<string, number>();
  const fds = new Map<string, number>();
  for (const proc of processes) {
    const resident = proc.rss();
    if (resident !== undefined) rss.set(proc.role, resident);
    const open = proc.fds();
    if (open !== undefined) fds.set(proc.role, open);
  }
  return { activity, rss, fds };
}
