/**
 * Relaying across the cluster: one real agent (`stormtower agent`) held by the first tower, in front
 * of the bench's upstream. Small GETs (wrk, as in relay-small) and a checked bulk download (as in
 * relay-bulk) through the holding tower's `/proxy` (the baseline), then through another tower's,
 * which forwards to the holder over tower-to-tower mutual TLS.
 */
import type { RunContext } from '../context.js';
import { median } from '../format.js';
import type { ClusterTower } from '../peers/cluster.js';
import { isAvailable } from '../peers/find-peers.js';
import { issueAgent, startAgent } from '../peers/stormtower.js';
import { runWrk, type WrkResult } from '../peers/wrk.js';
import { type CpuRole, meterCpu } from '../procs/cpu-account.js';
import { type Fetched, request, waitFor } from '../procs/wait.js';
import { startWorker } from '../procs/worker.js';
import type { BulkTransfer } from '../workers/bulk-client.js';

const CNAME = 'bench-relay';
const CONNECTIONS = 50;

export interface RelaySettings {
  readonly getSeconds: number;
  readonly warmupSeconds: number;
  readonly bytes: number;
  readonly repeats: number;
}

export interface SmallGets extends WrkResult {
  /** CPU microseconds per request, per process on the path. */
  readonly cpuMicros: Readonly<Record<string, number>>;
}

export interface Download {
  readonly mbps: number;
  readonly ok: boolean;
  readonly detail: string;
}

/** A measurement, or why it was not taken. */
export type Measured<T> = T | { readonly skip: string };

export interface RelayPath {
  readonly get: Measured<SmallGets>;
  readonly download: Measured<Download>;
}

export interface ClusterRelay {
  readonly local: RelayPath;
  readonly remote: RelayPath;
}

async function smallGets(
  ctx: RunContext,
  url: string,
  settings: RelaySettings,
  roles: readonly CpuRole[],
): Promise<Measured<SmallGets>> {
  const { wrk } = ctx.peers;
  if (!isAvailable(wrk)) return { skip: wrk.skip };
  const options = { wrk: wrk.path, url, connections: CONNECTIONS };
  if (settings.warmupSeconds > 0) await runWrk({ ...options, seconds: settings.warmupSeconds });
  const meter = meterCpu(roles);
  const result = await runWrk({ ...options, seconds: settings.getSeconds });
  const spent = meter.stop();
  const cpuMicros = Object.fromEntries(
    [...spent].map(([role, secs]) => [
      role,
      result.requests > 0 ? (secs * 1e6) / result.requests : Number.NaN,
    ]),
  );
  return { ...result, cpuMicros };
}

async function download(ctx: RunContext, url: string, settings: RelaySettings): Promise<Download> {
  const client = startWorker(ctx, 'bulk-client', ['download', url, settings.bytes, settings.repeats], {
    oneShot: true,
  });
  const { transfers } = await client
    .next<{ type: 'result'; transfers: BulkTransfer[] }>('result', 60_000 + settings.repeats * 120_000)
    .finally(() => void client.stop());
  const ok = transfers.every((t) => t.ok);
  return {
    mbps: median(transfers.map((t) => t.bytes / t.seconds)),
    ok,
    detail: ok ? 'every byte checked' : `BYTES WRONG: ${transfers.find((t) => !t.ok)?.detail}`,
  };
}

/** One GET through `base`: undefined when it answers 200 with 1 KB, else what it answered. */
async function refusal(base: string): Promise<string | undefined> {
  let res: Fetched;
  try {
    res = await request(`${base}/1k`, 'GET', 10_000);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (res.status === 200 && res.body.length === 1024) return undefined;
  const code = /"error":"([^"]+)"/.exec(res.body.toString('utf8'))?.[1];
  return `answered ${res.status}${code ? ` ${code}` : ''}`;
}

async function measurePath(
  ctx: RunContext,
  base: string,
  settings: RelaySettings,
  roles: readonly CpuRole[],
): Promise<RelayPath> {
  return {
    get: await smallGets(ctx, `${base}/1k`, settings, roles),
    download: await download(ctx, `${base}/download?bytes=${settings.bytes}`, settings),
  };
}

export async function measureRelay(
  ctx: RunContext,
  towers: readonly ClusterTower[],
  /** The towers' data dir: the agent's certificate is issued by their CA. */
  dataDir: string,
  upstream: CpuRole & { readonly port: number },
  settings: RelaySettings,
): Promise<ClusterRelay> {
  const [holder, other] = towers;
  if (holder === undefined || other === undefined) throw new Error('the relay needs two towers');
  const files = await issueAgent(ctx, dataDir, CNAME);
  const agent = startAgent(ctx, { boltUrl: holder.boltUrl, files, allow: [upstream.port] });
  try {
    const path = `/proxy/${CNAME}@${upstream.port}`;
    await waitFor(
      'the relay agent at its tower',
      async () => ((await refusal(`${holder.apiUrl}${path}`)) ? undefined : true),
      {
        timeoutMs: 30_000,
      },
    );
    // The other tower relays once the holder's record reached it: wait for it to list the minion.
    await waitFor(
      `${CNAME} at ${other.towerId}`,
      async () =>
        (await request(`${other.apiUrl}/minions/${CNAME}`, 'HEAD', 10_000).catch(() => undefined))?.status ===
        200
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    const roles = (through: ClusterTower): CpuRole[] => [
      { role: through.towerId, pid: through.proc.pid },
      ...(through === holder ? [] : [{ role: holder.towerId, pid: holder.proc.pid }]),
      { role: 'agent', pid: agent.pid },
      upstream,
    ];
    ctx.log(`cluster: relay through the holding tower ${holder.towerId}`);
    const local = await measurePath(ctx, `${holder.apiUrl}${path}`, settings, roles(holder));
    const refused = await refusal(`${other.apiUrl}${path}`);
    if (refused !== undefined) {
      const skip = `${other.towerId} ${refused} for a minion ${holder.towerId} holds (no tower-to-tower relay in this build)`;
      return { local, remote: { get: { skip }, download: { skip } } };
    }
    ctx.log(`cluster: relay through ${other.towerId}, which does not hold the minion`);
    return { local, remote: await measurePath(ctx, `${other.apiUrl}${path}`, settings, roles(other)) };
  } finally {
    await agent.stop();
  }
}
