/**
 * In-process measure of what XState's delayed-event scheduler costs a fleet of minion actors, for
 * bench/PROFILES.md: steady-state CPU per status poll and the time to stop the fleet, on a
 * `SimulatedClock` with links that answer at once.
 *
 *   npm run -s build && node dist/bench/scheduler-cost.js [count ...] [--variant stock,indexed,roots]
 *
 * `stock` is the tower on XState's own scheduler, `indexed` the tower with `indexedScheduling`,
 * `roots` every minion as its own root actor (its own system and scheduler) kept in a plain `Map`.
 */
import { cpuUsage } from 'node:process';
import { type Actor, createActor, SimulatedClock } from 'xstate';
import { minionMachine, minionSettings } from '../machines/minion.machine.js';
import type { MinionLink, StatusObject } from '../machines/minion-link.js';
import { towerMachine } from '../machines/tower.machine.js';
import { indexedScheduling } from '../src/fleet/indexed-scheduler.js';

type Variant = 'stock' | 'indexed' | 'roots';
const INTERVAL = 15_000;
const STEP = 100;

interface Fleet {
  connect(cname: string, link: MinionLink): void;
  stopAll(): void;
}

const status = (cname: string, round: number): StatusObject => ({ id: cname, running: true, round });

function link(cname: string, counter: { polls: number; round: number }): MinionLink {
  return {
    cname,
    pollStatus: () => {
      counter.polls += 1;
      return Promise.resolve(status(cname, counter.round));
    },
    close: () => {},
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function towerFleet(clock: SimulatedClock, indexed: boolean, jitter: () => number): Fleet {
  const scheduling = indexed ? indexedScheduling(clock) : undefined;
  const tower = createActor(towerMachine, {
    clock: scheduling?.clock ?? clock,
    input: {
      monitorInterval: INTERVAL,
      capabilityTimeout: 5_000,
      pollTimeout: 3_000,
      jitter,
      now: () => clock.now(),
    },
  });
  scheduling?.install(tower.system);
  tower.subscribe({ error: (error) => console.error(error) });
  tower.start();
  return {
    connect(cname, minionLink) {
      tower.send({ type: 'bolt.connected', cname, boltId: `b-${cname}`, link: minionLink });
      tower.send({ type: 'bolt.capability', cname, boltId: `b-${cname}`, ports: [5000] });
    },
    stopAll() {
      tower.send({ type: 'tower.shutdown' });
      tower.stop();
    },
  };
}

function rootFleet(clock: SimulatedClock, jitter: () => number): Fleet {
  const settings = minionSettings({
    monitorInterval: INTERVAL,
    capabilityTimeout: 5_000,
    pollTimeout: 3_000,
    jitter,
    now: () => clock.now(),
  });
  const minions = new Map<string, Actor<typeof minionMachine>>();
  return {
    connect(cname, minionLink) {
      const actor = createActor(minionMachine, {
        clock,
        input: { cname, boltId: `b-${cname}`, link: minionLink, settings },
      });
      actor.subscribe({ error: (error) => console.error(error) });
      actor.start();
      actor.send({ type: 'bolt.capability', ports: [5000] });
      minions.set(cname, actor);
    },
    stopAll() {
      for (const actor of minions.values()) {
        actor.send({ type: 'bolt.closed', reason: 'shutdown' });
        actor.stop();
      }
      minions.clear();
    },
  };
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function measure(variant: Variant, count: number): Promise<void> {
  const clock = new SimulatedClock();
  clock.set(1_700_000_000_000);
  let k = 0;
  // Spread first polls evenly, as a real fleet's connections are.
  const jitter = () => ((k++ * 0.618) % 1) as number;
  const fleet =
    variant === 'roots' ? rootFleet(clock, jitter) : towerFleet(clock, variant === 'indexed', jitter);
  const counter = { polls: 0, round: 0 };

  let start = cpuUsage();
  for (let i = 0; i < count; i++) {
    const cname = `agent-${String(i).padStart(5, '0')}`;
    fleet.connect(cname, link(cname, counter));
  }
  const connectMs = cpuMs(start);

  const round = async () => {
    for (let t = 0; t < INTERVAL; t += STEP) {
      clock.increment(STEP);
      await turn();
      await turn();
    }
  };
  await round(); // warm-up: first polls and first documents
  counter.round += 1; // every document changes: the heaviest steady state
  const pollsBefore = counter.polls;
  start = cpuUsage();
  await round();
  const roundMs = cpuMs(start);
  const polls = counter.polls - pollsBefore;

  start = cpuUsage();
  fleet.stopAll();
  const stopMs = cpuMs(start);
  console.log(
    `${variant.padEnd(8)} n=${String(count).padStart(6)} connect ${connectMs.toFixed(0).padStart(6)} ms` +
      `  round ${roundMs.toFixed(0).padStart(6)} ms / ${polls} polls = ${((roundMs * 1000) / Math.max(1, polls)).toFixed(0).padStart(5)} µs/poll` +
      `  stop ${stopMs.toFixed(0).padStart(6)} ms`,
  );
}

const args = process.argv.slice(2);
const variantArg = args.indexOf('--variant');
const variants = (variantArg >= 0 ? (args[variantArg + 1] ?? '') : 'stock,indexed,roots').split(
  ',',
) as Variant[];
const counts = args.filter((arg) => /^\d+$/.test(arg)).map(Number);
for (const count of counts.length > 0 ? counts : [2_000, 10_000]) {
  for (const variant of variants) await measure(variant, count);
}
