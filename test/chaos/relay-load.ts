/**
 * A steady load of relays through the tower (`/proxy/<cname>@<port>/bytes/<n>`) while faults
 * happen, each answer checked byte for byte against the body the agent's service sent. An answer
 * is either a 2xx that arrived complete with exactly those bytes, or an error: an error status, or
 * a connection that ended before the response did (by its length or its last chunk). A complete
 * 2xx with other bytes is corrupt: the one thing a client could not tell from a good answer. So is
 * a wrong byte in an answer later cut short: another stream's bytes got into this one.
 *
 * Some clients stop reading in the middle of a large body for a while, as a slow consumer does.
 */
import http from 'node:http';
import { mulberry32 } from '../helpers/prng.js';
import { patternBody } from './upstreams.js';

/** Statuses a relay may answer while peers come and go: unknown minion, bolt lost, timeout. */
export const FAULT_STATUSES: ReadonlySet<number> = new Set([404, 502, 503, 504]);

export interface RelayTarget {
  readonly cname: string;
  readonly port: number;
}

export interface CorruptRelay {
  readonly url: string;
  readonly status: number;
  /** Whether the client could have taken it for a whole answer. */
  readonly complete: boolean;
  readonly expectedBytes: number;
  readonly receivedBytes: number;
  /** Offset of the first byte that differed, if one did within what arrived. */
  readonly firstDifference: number | undefined;
  readonly framing: string;
}

export interface RelayTally {
  ok: number;
  /** Error answers by status. */
  readonly statuses: Map<number, number>;
  /** Transport errors (refused, reset, cut short) by code. */
  readonly transport: Map<string, number>;
  readonly corrupt: CorruptRelay[];
  /** Requests that made no progress for `stuckMs` and were given up (by URL). */
  readonly stuck: string[];
}

export interface RelayLoadOptions {
  readonly apiUrl: string;
  readonly targets: readonly RelayTarget[];
  readonly seed: number;
  /** Relays in flight at once, of which `slowReaders` pause mid-body. */
  readonly concurrency: number;
  readonly slowReaders: number;
  /** Longer than any bound the tower has for a relay (relay timeout, beacon validity). */
  readonly stuckMs: number;
}

/** Body sizes and how often each is asked for: mostly small, a few MB now and then. */
const SIZES: readonly { size: number; weight: number }[] = [
  { size: 1024, weight: 40 },
  { size: 64 * 1024, weight: 30 },
  { size: 1024 * 1024, weight: 20 },
  { size: 4 * 1024 * 1024, weight: 10 },
];
const SLOW_SIZE = 3 * 1024 * 1024;
const SLOW_PAUSE_MS = 1500;

const count = (map: Map<string | number, number>, key: string | number): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

export class RelayLoad {
  readonly tally: RelayTally = { ok: 0, statuses: new Map(), transport: new Map(), corrupt: [], stuck: [] };
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly random: () => number;

  constructor(private readonly options: RelayLoadOptions) {
    this.random = mulberry32(options.seed);
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++)
      this.loops.push(this.loop(i < this.options.slowReaders));
  }

  /** Stops starting relays and waits for those in flight (each is bounded by `stuckMs`). */
  async stop(): Promise<RelayTally> {
    this.stopping = true;
    await Promise.all(this.loops);
    return this.tally;
  }

  private async loop(slow: boolean): Promise<void> {
    while (!this.stopping) {
      const { targets } = this.options;
      const target = targets[Math.floor(this.random() * targets.length)] ?? targets[0];
      if (!target) return;
      const size = slow ? SLOW_SIZE : this.pickSize();
      const chunked = this.random() < 0.5;
      const ok = await this.relay(target, size, chunked, slow);
      // An error comes at once (a refused connection while the tower restarts): a breath after one
      // keeps this loop from becoming a spin of its own.
      await new Promise((resolve) => setTimeout(resolve, ok ? 5 : 100));
    }
  }

  private pickSize(): number {
    let left = this.random() * SIZES.reduce((sum, s) => sum + s.weight, 0);
    for (const { size, weight } of SIZES) {
      left -= weight;
      if (left < 0) return size;
    }
    return 1024;
  }

  /** One relay, tallied; resolves with whether it came back exact. */
  private relay(target: RelayTarget, size: number, chunked: boolean, slow: boolean): Promise<boolean> {
    const path = `/proxy/${target.cname}@${target.port}/bytes/${size}${chunked ? '?chunked=1' : ''}`;
    const url = `${this.options.apiUrl}${path}`;
    const expected = patternBody(target.cname, size);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      let stuck: NodeJS.Timeout | undefined;
      const finish = (record: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(stuck);
        const before = this.tally.ok;
        record();
        resolve(this.tally.ok > before);
      };
      const progress = () => {
        clearTimeout(stuck);
        if (settled) return;
        stuck = setTimeout(() => {
          finish(() => this.tally.stuck.push(url));
          req.destroy();
        }, this.options.stuckMs);
      };
      const req = http.get(url, { agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        let received = 0;
        let firstDifference: number | undefined;
        let paused = !slow;
        res.on('data', (chunk: Buffer) => {
          progress();
          if (firstDifference === undefined && status >= 200 && status < 300) {
            const end = Math.min(received + chunk.length, expected.length);
            const want = expected.subarray(received, end);
            if (end - received < chunk.length || !want.equals(chunk.subarray(0, end - received)))
              firstDifference = received + firstMismatch(want, chunk);
          }
          received += chunk.length;
          if (!paused && received >= size / 3) {
            // A slow consumer: stop reading for a while, then carry on where it left off.
            paused = true;
            res.pause();
            clearTimeout(stuck);
            setTimeout(() => {
              progress();
              res.resume();
            }, SLOW_PAUSE_MS);
          }
        });
        res.on('error', () => {}); // how it ended is judged on 'close' from `complete`
        res.on('close', () =>
          finish(() => {
            if (status < 200 || status > 299) count(this.tally.statuses, status);
            // A wrong byte is corrupt even in an answer cut short: some other stream's bytes got in.
            else if (!res.complete && firstDifference === undefined) count(this.tally.transport, 'cut short');
            else if (received === expected.length && firstDifference === undefined) this.tally.ok++;
            else
              this.tally.corrupt.push({
                url: path,
                status,
                complete: res.complete,
                expectedBytes: expected.length,
                receivedBytes: received,
                firstDifference,
                framing: res.headers['content-length']
                  ? `content-length ${res.headers['content-length']}`
                  : `${res.headers['transfer-encoding'] ?? 'close-delimited'}`,
              });
          }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        finish(() => count(this.tally.transport, error.code ?? error.message)),
      );
      progress();
    });
  }
}

/** Index of the first byte where `a` and `b` differ (or the shorter one's length). */
function firstMismatch(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** The tally in one line, for the phase's log and failure messages. */
export function describeTally(tally: RelayTally): string {
  const list = (map: Map<string | number, number>) =>
    [...map].map(([key, n]) => `${key}×${n}`).join(' ') || 'none';
  return (
    `${tally.ok} ok; error statuses ${list(tally.statuses)}; transport errors ${list(tally.transport)}; ` +
    `${tally.corrupt.length} corrupt; ${tally.stuck.length} stuck`
  );
}
