/**
 * When a cluster agrees: every tower answers `HEAD /minions` with the same `Content-MD5` and lists
 * exactly the expected minions; after a tower is lost, also every minion held by a live tower. Read
 * from outside with cheap requests first (`/health` bolt counts, HEADs), the full lists only once
 * those agree, so the wait does not itself load the towers it measures.
 */
import type { RunContext } from '../context.js';
import { int } from '../format.js';
import { boltCount } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { throwIfInterrupted } from '../procs/interruptions.js';
import { getJson, request, sleep } from '../procs/wait.js';

export interface Agreement {
  /** Seconds from `since` until the agreeing answers arrived (or until giving up). */
  readonly seconds: number;
  readonly reached: boolean;
  /** Bolts held across the towers at the last look. */
  readonly bolts: number;
  /** Minions the first tower listed at the last full look (0 before one was taken). */
  readonly listed: number;
  /** Distinct checksums the towers answered at the last look. */
  readonly checksums: number;
  /** With `live`: rows of `/clients` not (yet) held by a live tower or not ready, at the last look. */
  readonly unadopted: number;
}

export interface AgreementOptions {
  readonly apiUrls: readonly string[];
  readonly expected: number;
  /** Monotonic ms the time is counted from. */
  readonly since: number;
  readonly timeoutMs: number;
  /** The live towers' ids: every `/clients` row must be held here (no `tower`) or by one of them. */
  readonly live?: readonly string[];
  readonly label: string;
}

async function checksumOf(apiUrl: string): Promise<string | undefined> {
  const res = await request(`${apiUrl}/minions`, 'HEAD', 10_000).catch(() => undefined);
  const value = res?.status === 200 ? res.headers['content-md5'] : undefined;
  return typeof value === 'string' ? value : undefined;
}

async function listedAt(apiUrl: string): Promise<number> {
  return (await getJson<unknown[]>(`${apiUrl}/minions`, 60_000))?.length ?? 0;
}

interface ClientRow {
  readonly state: string;
  readonly tower?: string;
}

/** `/clients` rows at one tower that are not ready or held by a tower not in `live`; -1 if unreadable. */
async function unadoptedAt(apiUrl: string, live: ReadonlySet<string>, expected: number): Promise<number> {
  const rows = await getJson<ClientRow[]>(`${apiUrl}/clients`, 60_000);
  if (rows === undefined) return -1;
  const bad = rows.filter(
    (row) =>
      (row.tower !== undefined && !live.has(row.tower)) || (row.state !== 'ready' && row.state !== 'changed'),
  ).length;
  return bad + Math.max(0, expected - rows.length);
}

export async function waitForAgreement(ctx: RunContext, options: AgreementOptions): Promise<Agreement> {
  const { apiUrls, expected, since, timeoutMs } = options;
  let bolts = 0;
  let listed = 0;
  let checksums = 0;
  let unadopted = 0;
  /**
   * A checksum the towers agreed on while the list fell short: the missing minions move it when they
   * come, so there is no need to fetch the lists again until it does. (Adoption moves no checksum:
   * the new holder serves the same document.)
   */
  let shortAt: string | undefined;
  let lastLog = monotonicMs();
  const elapsed = () => (monotonicMs() - since) / 1000;
  while (monotonicMs() - since < timeoutMs) {
    throwIfInterrupted();
    const counts = await Promise.all(apiUrls.map((url) => boltCount(url)));
    bolts = counts.reduce<number>((sum, n) => sum + (n ?? 0), 0);
    if (bolts >= expected) {
      const seen = await Promise.all(apiUrls.map(checksumOf));
      const at = elapsed();
      checksums = new Set(seen).size;
      const [checksum] = seen;
      if (checksums === 1 && checksum !== undefined && checksum !== shortAt) {
        listed = await listedAt(apiUrls[0] ?? '');
        if (options.live) {
          const live = new Set(options.live);
          const each = await Promise.all(apiUrls.map((url) => unadoptedAt(url, live, expected)));
          unadopted = each.some((n) => n < 0) ? expected : each.reduce((sum, n) => sum + n, 0);
        }
        // Asked again: a minion that changed during the full look moves a checksum, and it is repeated.
        const still = await Promise.all(apiUrls.map(checksumOf));
        const steady = still.every((value) => value === checksum);
        if (steady && listed === expected && unadopted === 0) {
          return { seconds: at, reached: true, bolts, listed, checksums, unadopted };
        }
        if (steady && listed !== expected) shortAt = checksum;
      }
    }
    if (monotonicMs() - lastLog > 10_000) {
      ctx.log(
        `cluster: ${options.label}: ${int(bolts)} of ${int(expected)} bolts up, ${checksums} checksum(s)` +
          (listed > 0 ? `, ${int(listed)} listed` : '') +
          (options.live && unadopted > 0 ? `, ${int(unadopted)} not yet adopted` : ''),
      );
      lastLog = monotonicMs();
    }
    await sleep(bolts >= expected ? 500 : 250);
  }
  return { seconds: timeoutMs / 1000, reached: false, bolts, listed, checksums, unadopted };
}
