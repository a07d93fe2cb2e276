/**
 * The fault suite (issue 10): a real tower and real agents as processes, a fault proxy between
 * each agent and the tower, and faults one after another while relays and status changes go on.
 * After each it checks that
 *
 * - no relay returned a corrupt body (each answer is byte-identical or an error), and none hung;
 * - the fleet settles: every agent back on one connection, `GET /minions` serving every current
 *   status, and every subscriber's view equal to it, with no event skipped on the way;
 * - no process exited unasked, none spins when idle, and each one's memory and descriptors are
 *   back near their baseline.
 *
 * `npm test` runs the quick form; `npm run chaos` (CHAOS=full) runs every fault, and also holds
 * peers that never finish connecting from the start until just before the tower is killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { closeAll } from '../helpers/harness.js';
import { busyOver, describeActivity } from './activity.js';
import { FD_MARGIN, RSS_MARGIN_BYTES, settle, type Usage } from './checks.js';
import { FeedWatcher } from './feed-watcher.js';
import { Fleet } from './fleet.js';
import { type LingeringPeer, openLingeringPeers } from './lingering-peers.js';
import { FULL_PLAN, PHASES, type Phase, QUICK_PLAN } from './phases.js';
import { describeTally, FAULT_STATUSES } from './relay-load.js';
import { type PhaseResult, runPhase } from './run-phase.js';

const FULL = process.env.CHAOS === 'full';
const plan = FULL ? FULL_PLAN : QUICK_PLAN;
const MB = 1024 * 1024;

/** Values above `baseline` + `margin`, shown with both. */
function grownPast(now: Map<string, number>, baseline: Map<string, number>, margin: number, unit = 1) {
  return [...now]
    .filter(([role, value]) => value > (baseline.get(role) ?? 0) + margin)
    .map(
      ([role, value]) =>
        `${role} ${(value / unit).toFixed(0)} (was ${((baseline.get(role) ?? 0) / unit).toFixed(0)})`,
    );
}

function report(phase: Phase, result: PhaseResult): void {
  const { usage } = result;
  const show = (map: Map<string, number>, format: (n: number) => string) =>
    [...map].map(([role, n]) => `${role} ${format(n)}`).join(', ');
  const settled = 'ms' in result.settled ? `${result.settled.ms} ms` : 'never';
  console.log(
    `[chaos] ${phase.name}\n  relays: ${describeTally(result.relays)}\n  settled in ${settled}; quiet for ` +
      `${plan.idleMs} ms: ${describeActivity(usage.activity)}\n  RSS: ` +
      `${show(usage.rss, (b) => `${(b / MB).toFixed(0)} MB`)}; descriptors: ${show(usage.fds, String)}` +
      result.faultNotes.map((note) => `\n  ${note}`).join(''),
  );
}

describe.sequential(`chaos, ${FULL ? 'full' : 'quick'}`, () => {
  let fleet: Fleet;
  let watchers: FeedWatcher[] = [];
  let lingering: LingeringPeer[] = [];
  let lingeringSince = 0;
  let baseline: Usage | undefined;

  beforeAll(async () => {
    assertBuilt();
    fleet = await Fleet.start(plan.agents);
    const url = `${fleet.apiUrl}/minions/events`;
    // One subscriber stays on; the others also drop and resume now and then on their own.
    watchers = Array.from(
      { length: plan.watchers },
      (_, i) => new FeedWatcher(`subscriber ${i + 1}`, url, i === 0 ? {} : { dropEveryMs: 1500 * i }),
    );
    const ready = await settle(fleet, watchers, 60_000);
    if ('failure' in ready) throw new Error(`the fleet never came up: ${ready.failure}`);
    if (FULL) {
      lingering = await openLingeringPeers(fleet.boltPort, await fleet.issue('chaos-lurker'));
      lingeringSince = Date.now();
    }
  }, 90_000);

  afterAll(async () => {
    for (const watcher of watchers) watcher.close();
    await closeAll();
  });

  for (const phase of plan.phases) {
    // The tower's death would close them too: look at the lingering peers just before it.
    if (FULL && phase === PHASES.towerKill)
      it('peers that never finish connecting are closed by the tower', () => {
        const open = lingering.filter((peer) => !peer.closedByTower).map((peer) => peer.kind);
        const seconds = Math.round((Date.now() - lingeringSince) / 1000);
        expect(open, `still open ${seconds} s after they connected`).toEqual([]);
      });

    it(phase.name, async () => {
      const result = await runPhase(fleet, watchers, plan, phase, 1000 + plan.phases.indexOf(phase));
      report(phase, result);
      const { relays, usage } = result;

      expect.soft(relays.corrupt, 'relays that answered 2xx, complete, with other bytes').toEqual([]);
      expect.soft(relays.stuck, 'relays that made no progress and never ended').toEqual([]);
      const odd = [...relays.statuses.keys()].filter((status) => !FAULT_STATUSES.has(status));
      expect.soft(odd, `error statuses other than ${[...FAULT_STATUSES].join('/')}`).toEqual([]);
      if (!phase.quiet) expect.soft(relays.ok, 'relays answered exactly during the phase').toBeGreaterThan(0);
      expect.soft(result.faultProblems, 'what the fault itself measured').toEqual([]);
      expect.soft(result.exits, 'processes that ended unasked').toEqual([]);
      const settled = 'ms' in result.settled ? 'settled' : result.settled.failure;
      expect.soft(settled, 'the fleet settles').toBe('settled');
      expect.soft(result.relayProblems, 'a small and a large relay to each agent, after').toEqual([]);
      expect
        .soft(result.feedProblems, `problems in the change feed (${result.feedProblemCount} in all)`)
        .toEqual([]);

      expect
        .soft(busyOver(usage.activity, plan.idleMs), `processes not quiet over ${plan.idleMs} ms`)
        .toEqual([]);
      for (const proc of fleet.processes())
        expect.soft(usage.rss.has(proc.role), `${proc.role} is running to be measured`).toBe(true);

      if (!baseline) {
        baseline = usage;
        return;
      }
      const rss = grownPast(usage.rss, baseline.rss, RSS_MARGIN_BYTES, MB);
      expect.soft(rss, `RSS (MB) more than ${RSS_MARGIN_BYTES / MB} MB above the baseline`).toEqual([]);
      const fds = grownPast(usage.fds, baseline.fds, FD_MARGIN);
      expect.soft(fds, `descriptors more than ${FD_MARGIN} above the baseline`).toEqual([]);
    }, 120_000);
  }
});
