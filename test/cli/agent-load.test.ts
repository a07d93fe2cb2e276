import http from 'node:http';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTower } from '../../src/tower.js';
import {
  type AgentFiles,
  agentArgs,
  assertBuilt,
  type CliProcess,
  startCli,
  writeAgentFiles,
} from '../helpers/cli.js';
import { announced, closeAll, eventually, service, tempDir, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

beforeAll(assertBuilt);
afterEach(closeAll);

const CNAME = 'load-agent';
const DOWNLOADS = 8;
// The finding's size, 100 MiB each (about 15-30 s here); the livelock set in within the first few MB,
// so AGENT_LOAD_MB=16 still reproduces it when iterating.
const DOWNLOAD_BYTES = Number(process.env.AGENT_LOAD_MB ?? 100) * 1024 * 1024;
const STALLED = 8;
// Each wait below is an upper bound on an event, not a measured duration.
const BOUND_MS = 90_000;

/** What the local service has seen of its endless bodies. */
interface Endless {
  opened: number;
  closed: number;
}

/**
 * The local service behind the agent: `/bytes?n=N` sends N bytes, `/endless` never ends, `/small`
 * answers at once. Writes respect back-pressure, as any real service's would.
 */
async function loadService(endless: Endless): Promise<number> {
  const block = Buffer.alloc(64 * 1024, 'stormtower ');
  return service((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/small') {
      res.end('ok');
      return;
    }
    const total = url.pathname === '/bytes' ? Number(url.searchParams.get('n')) : Number.POSITIVE_INFINITY;
    if (Number.isFinite(total)) res.setHeader('content-length', total);
    else endless.opened++;
    let sent = 0;
    let open = true;
    res.on('close', () => {
      open = false;
      if (!Number.isFinite(total)) endless.closed++;
    });
    const pump = () => {
      while (open && sent < total) {
        const piece = total - sent >= block.length ? block : block.subarray(0, total - sent);
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (open) res.end();
    };
    pump();
  });
}

/** The agent's certificate, key and CA as files, for the CLI. */
async function agentFiles(): Promise<AgentFiles> {
  const pki = await testPki();
  const identity = await pki.client(CNAME);
  return writeAgentFiles(await tempDir('stormtower-agent-load-'), identity, pki.ca);
}

async function startAgent(t: RunningTower, port: number, extra: string[] = []): Promise<CliProcess> {
  const files = await agentFiles();
  const cli = startCli(
    agentArgs(t.boltUrl, files, [port], ['--beacon-interval', '1', '--beacon-validity', '5', ...extra]),
  );
  await cli.waitForLog((line) => line.msg === 'bolt connected');
  await announced(t, CNAME);
  return cli;
}

/** GET through `http`, so the caller decides whether and how fast to read; the response is paused. */
function get(url: string): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.pause();
      resolve({ request, response });
    });
    request.on('error', reject);
  });
}

/** Reads a response to its end as fast as it comes; resolves with the byte count. */
function drain(response: http.IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    response.on('end', () => resolve(bytes));
    response.on('error', (error) => reject(new Error(`download cut after ${bytes} bytes: ${error.message}`)));
    response.resume();
  });
}

/** Resolves with `promise`, or fails naming `what` when `BOUND_MS` passes first. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${BOUND_MS} ms`)), BOUND_MS);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `check` holds, or fails naming `what` when `BOUND_MS` passes first. */
const until = (check: () => boolean, what: string): Promise<true> =>
  eventually(check, BOUND_MS).catch(() => {
    throw new Error(`${what} did not happen within ${BOUND_MS} ms`);
  });

/** Opens `count` endless bodies through the relay and never reads them. */
async function stallReaders(t: RunningTower, port: number, endless: Endless, count: number) {
  const stalled = await Promise.all(
    Array.from({ length: count }, () => get(`${t.apiUrl}/proxy/${CNAME}@${port}/endless`)),
  );
  for (const { response } of stalled) expect(response.statusCode).toBe(200);
  await until(() => endless.opened === count, 'every endless body opening');
  return stalled;
}

/** One small relay, bounded: its status, or the error that ended it. */
async function smallRelay(t: RunningTower, port: number): Promise<number | string> {
  try {
    const res = await fetch(`${t.apiUrl}/proxy/${CNAME}@${port}/small`, {
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return res.status === 200 && text === 'ok' ? 200 : `${res.status} ${text}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('stormtower agent under load', () => {
  it(
    'relays 8 large downloads beside 8 stalled endless bodies, keeps its bolt and answers small relays',
    async () => {
      // A small relay's head may wait on a busy 2-core box; a spinning agent never answers at all.
      const t = await tower({ relayTimeout: 10 });
      const endless: Endless = { opened: 0, closed: 0 };
      const port = await loadService(endless);
      const cli = await startAgent(t, port);
      const bolt = t.table.get(CNAME);

      const stalled = await stallReaders(t, port, endless, STALLED);
      const downloads = Promise.all(
        Array.from({ length: DOWNLOADS }, async () => {
          const { response } = await get(`${t.apiUrl}/proxy/${CNAME}@${port}/bytes?n=${DOWNLOAD_BYTES}`);
          return drain(response);
        }),
      );
      // Small relays all through the transfers: each must be answered, by the same bolt.
      let transferring = true;
      const probes: (number | string)[] = [];
      const probing = (async () => {
        while (transferring) {
          probes.push(await smallRelay(t, port));
          await pause(250); // pacing, not synchronisation
        }
      })();
      const sizes = await within(downloads, 'the downloads').finally(() => {
        transferring = false;
      });
      await probing;

      expect(sizes).toEqual(Array(DOWNLOADS).fill(DOWNLOAD_BYTES));
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.filter((status) => status !== 200)).toEqual([]);
      expect(await smallRelay(t, port)).toBe(200);

      // The stalled readers go away: every endless body is cancelled at the service too.
      for (const { request } of stalled) request.destroy();
      await until(() => endless.closed === STALLED, 'the cancellation of the stalled bodies');
      await until(() => t.table.get(CNAME)?.openStreams === 0, 'the end of every stream');
      expect(await smallRelay(t, port)).toBe(200);

      // One bolt throughout: it never expired, and the agent never redialled.
      expect(t.table.get(CNAME)).toBe(bolt);
      // Besides its line per request served, the agent said nothing: no bolt lost, no redial.
      const news = cli.logLines().filter((line) => line.msg !== 'relayed');
      expect(news.filter((line) => line.msg !== 'bolt connected')).toEqual([]);
      expect(await cli.stop('SIGTERM', BOUND_MS)).toEqual({ code: 0, signal: null });
    },
    4 * BOUND_MS,
  );

  it(
    'stops on SIGTERM within its grace while busy with downloads and stalled relays',
    async () => {
      const t = await tower();
      const endless: Endless = { opened: 0, closed: 0 };
      const port = await loadService(endless);
      const cli = await startAgent(t, port, ['--shutdown-grace', '2']);
      const bolt = t.table.get(CNAME);
      await stallReaders(t, port, endless, STALLED);
      let moved = 0;
      const url = `${t.apiUrl}/proxy/${CNAME}@${port}/bytes?n=${DOWNLOAD_BYTES}`;
      const cut = Array.from({ length: DOWNLOADS }, () =>
        get(url).then(
          ({ response }) =>
            new Promise<void>((resolve) => {
              response.on('data', (chunk: Buffer) => {
                moved += chunk.length;
              });
              response.on('error', () => {}); // cut short by the agent's exit, as intended
              response.once('close', resolve);
              response.resume();
            }),
          () => {}, // the agent left before the head: the tower answers or drops it, either is an end
        ),
      );
      // The signal comes once the load is well under way: 16 MB moved, or (as before the fix) the
      // agent spinning under it so hard that the tower expired its bolt.
      await until(() => moved >= 16 * 1024 * 1024 || t.table.get(CNAME) !== bolt, 'the load under way');
      // Exit code 0 is the clean stop finishing; past its grace the agent would exit with 1.
      expect(await cli.stop('SIGTERM', 15_000)).toEqual({ code: 0, signal: null });
      // The relays it carried end, cut short, and the tower sees the bolt go.
      await within(Promise.all(cut), 'the end of the cut downloads');
      await until(() => t.table.get(CNAME) === undefined, 'the bolt leaving the table');
    },
    4 * BOUND_MS,
  );
});
