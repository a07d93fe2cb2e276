/**
 * One chaos phase from start to finish: relays and status changes run while the phase's fault
 * happens; then the load stops, the fleet is given a bounded time to settle, every agent is asked
 * for a small and a large body, and the processes are measured over a quiet window. The result is
 * what the checks judge (see chaos.test.ts).
 */
import { mulberry32 } from '../helpers/prng.js';
import { idleUsage, settle, type Usage, verifyRelays } from './checks.js';
import type { FeedWatcher } from './feed-watcher.js';
import { type Fleet, TIMING } from './fleet.js';
import type { Phase, Plan } from './phases.js';
import { RelayLoad, type RelayTally } from './relay-load.js';
import { bumpStatus } from './upstreams.js';

/** Bound for the fleet to settle after a fault: reconnects, a poll each, the feed catching up. */
const SETTLE_MS = 30_000;
/** A status document changes this often during a phase. */
const CHURN_MS = 300;

export interface PhaseResult {
  readonly relays: RelayTally;
  /** What the fault itself found wrong (a quiet phase's own measurements), and what it measured. */
  readonly faultProblems: readonly string[];
  readonly faultNotes: readonly string[];
  readonly settled: { ms: number } | { failure: string };
  readonly relayProblems: readonly string[];
  /** Problems the subscribers found in the feed during this phase. */
  readonly feedProblems: readonly string[];
  readonly feedProblemCount: number;
  readonly usage: Usage;
  /** Processes that ended without being asked, with their last output. */
  readonly exits: readonly string[];
}

export async function runPhase(
  fleet: Fleet,
  watchers: readonly FeedWatcher[],
  plan: Plan,
  phase: Phase,
  seed: number,
): Promise<PhaseResult> {
  const problemsBefore = watchers.map((watcher) => watcher.problems.length);
  const countBefore = watchers.reduce((sum, watcher) => sum + watcher.problemCount, 0);
  const load = new RelayLoad({
    apiUrl: fleet.apiUrl,
    targets: fleet.agents.map(({ cname }) => ({ cname, port: fleet.upstreams.port })),
    seed,
    concurrency: 4,
    slowReaders: 1,
    // Past the relay timeout and a dead bolt's expiry, with room for a busy machine.
    stuckMs: (TIMING.relayTimeout + TIMING.beaconValidity) * 1000 + 12_000,
  });
  const random = mulberry32(seed + 1);
  const churn = phase.quiet
    ? undefined
    : setInterval(() => {
        const upstream = fleet.upstreams.all[Math.floor(random() * fleet.upstreams.all.length)];
        if (upstream) bumpStatus(upstream);
      }, CHURN_MS);
  if (!phase.quiet) load.start();
  const faultProblems: string[] = [];
  const faultNotes: string[] = [];
  // Evidence that the fault did something: how often each agent dialled again, what the feed sent.
  const dials = new Map(fleet.agents.map(({ cname }) => [cname, 0]));
  const unwatch = fleet.agents.map(({ cname, proxy }) =>
    proxy.onConnection(() => dials.set(cname, (dials.get(cname) ?? 0) + 1)),
  );
  const feedBefore = feedCounts(watchers);
  try {
    await phase.fault(fleet, { loadMs: plan.loadMs, problems: faultProblems, notes: faultNotes });
  } finally {
    clearInterval(churn);
  }
  const relays = await load.stop();
  const settled = await settle(fleet, watchers, SETTLE_MS);
  for (const stop of unwatch) stop();
  const feedAfter = feedCounts(watchers);
  faultNotes.push(
    `dials through the proxies: ${[...dials].map(([cname, n]) => `${cname} ${n}`).join(', ')}; feed: ` +
      `${feedAfter.connects - feedBefore.connects} connects, ${feedAfter.snapshots - feedBefore.snapshots} ` +
      `snapshots, ${feedAfter.events - feedBefore.events} events`,
  );
  const relayProblems = 'ms' in settled ? await verifyRelays(fleet) : ['not tried: the fleet did not settle'];
  const usage = await idleUsage(fleet.processes(), plan.idleMs);
  return {
    relays,
    faultProblems,
    faultNotes,
    settled,
    relayProblems,
    feedProblems: watchers.flatMap((watcher, i) => watcher.problems.slice(problemsBefore[i])),
    feedProblemCount: watchers.reduce((sum, watcher) => sum + watcher.problemCount, 0) - countBefore,
    usage,
    exits: fleet.processes().flatMap((proc) => (proc.unexpectedExit() ? [proc.describeExit()] : [])),
  };
}

function feedCounts(watchers: readonly FeedWatcher[]): {
  connects: number;
  snapshots: number;
  events: number;
} {
  return {
    connects: watchers.reduce((sum, w) => sum + w.connects, 0),
    snapshots: watchers.reduce((sum, w) => sum + w.snapshots, 0),
    events: watchers.reduce((sum, w) => sum + w.events, 0),
  };
}
