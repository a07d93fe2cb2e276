/**
 * Recovery: the last tower is SIGKILLed, as a crash or the OOM killer would end it. Its agents see
 * their connections drop and dial the others; done when the survivors hold, list and agree on every
 * minion. One SSE subscriber at a survivor counts minions announced `removed` meanwhile (those
 * whose agents were not back within the presence timeout).
 */
import type { RunContext } from '../context.js';
import { int } from '../format.js';
import type { ClusterTower } from '../peers/cluster.js';
import { boltCount } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { startWorker, type Worker } from '../procs/worker.js';
import type { Arrival } from '../workers/sse-pool.js';
import { waitForAgreement } from './cluster-converge.js';
import type { RecoveryResult } from './cluster-rows.js';

/** SIGKILLs the last tower and waits until the others hold, list and agree on every minion. */
export async function recover(
  ctx: RunContext,
  towers: readonly ClusterTower[],
  expected: number,
  capS: number,
): Promise<RecoveryResult> {
  const victim = towers.at(-1);
  const survivors = towers.slice(0, -1);
  const [watcher] = survivors;
  if (victim === undefined || watcher === undefined) throw new Error('the recovery needs two towers');
  const held = (await boltCount(victim.apiUrl)) ?? 0;
  // Whether a minion left the fleet's view meanwhile: one subscriber at a survivor.
  const pool: Worker = startWorker(ctx, 'sse-pool', [`${watcher.apiUrl}/minions/events`, 1, 'c', 0]);
  try {
    await pool.next('ready', 120_000);
    ctx.log(`cluster: SIGKILL ${victim.towerId}, which holds ${int(held)} bolts`);
    const killedAt = monotonicMs();
    await victim.proc.kill();
    const agreement = await waitForAgreement(ctx, {
      apiUrls: survivors.map((tower) => tower.apiUrl),
      expected,
      since: killedAt,
      timeoutMs: capS * 1000,
      live: survivors.map((tower) => tower.towerId),
      label: 'recovery',
    });
    pool.send({ type: 'report' });
    const { arrivals } = await pool.next<{ type: 'events'; arrivals: Arrival[] }>('events', 30_000);
    const removed = new Set(
      arrivals.filter((a) => a.type === 'removed' && a.at >= killedAt).map((a) => a.id),
    );
    return { victim: victim.towerId, held, agreement, removed: removed.size };
  } finally {
    await pool.stop();
  }
}
