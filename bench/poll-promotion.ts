/**
 * In-process measure of what a fleet's status polls leave to the garbage collector, for
 * bench/PROFILES.md: bytes promoted to the old generation per poll, and scavenge pauses, with the
 * real tower supervisor, minion actors, poll slots and registry, on the real clock. Each fake link
 * answers a real agent's document (the simulator's, about 3 KB) whose `os` moves on every poll, after
 * `--latency` ms, as bytes parsed the way `bolt-link.ts` parses them, and changes its packages as
 * often as the simulator does (`--change-every`, seconds; 0 for never). A probe reads the global
 * checksum 200 times a second, as the bench's HEAD probe does.
 *
 *   npm run -s build && node --trace-gc-nvp dist/bench/poll-promotion.js [count] [--seconds 20] \
 *     | node dist/bench/poll-promotion-summary.js
 *
 * The promoted bytes come from V8's own trace (`--trace-gc-nvp`, one line per GC on stdout), read
 * between the `#measure-start` and `#measure-end` lines this prints.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { Observable } from 'rxjs';
import { createActor } from 'xstate';
import type { MinionLink, StatusObject } from '../machines/minion-link.js';
import { type MinionRef, towerMachine } from '../machines/tower.machine.js';
import { indexedScheduling } from '../src/fleet/indexed-scheduler.js';
import { createRegistry } from '../src/registry/minion-registry.js';
import { SimulatedMinion } from '../src/sim/simulated-minion.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const seconds = option('seconds', 20);
const latency = option('latency', 2);
/** Seconds between two package changes of one agent, on average (the simulator's `--change-every`). */
const changeEvery = option('change-every', 30);
const INTERVAL = 15_000;
const sampleAt = args.indexOf('--sample');
/** Where to write a sampling heap profile of what outlived the young generation while measuring. */
const sampleFile = sampleAt === -1 ? undefined : args[sampleAt + 1];

let polls = 0;
let measuring = false;

function link(cname: string): MinionLink {
  const minion = new SimulatedMinion(cname);
  return {
    cname,
    pollStatus: () =>
      new Promise<StatusObject>((resolve) => {
        // The simulator's rate of real changes: about one poll in two at the defaults.
        if (changeEvery > 0 && Math.random() < INTERVAL / (changeEvery * 1000)) minion.mutate();
        const bytes = Buffer.from(JSON.stringify(minion.status()), 'utf8');
        setTimeout(() => {
          if (measuring) polls += 1;
          resolve(JSON.parse(bytes.toString('utf8')) as StatusObject);
        }, latency);
      }),
    close: () => {},
  };
}

const scheduling = indexedScheduling();
const tower = createActor(towerMachine, {
  clock: scheduling.clock,
  input: { monitorInterval: INTERVAL, capabilityTimeout: 10_000, pollTimeout: 10_000, pollConcurrency: 64 },
});
scheduling.install(tower.system);
tower.subscribe({ error: (error) => console.error(error) });
tower.start();
const minions$ = new Observable<MinionRef>((subscriber) => {
  const spawned = tower.on('minion.spawned', ({ ref }) => subscriber.next(ref));
  return () => spawned.unsubscribe();
});
const registry = createRegistry(minions$);
// What HEAD /minions reads, as often as the bench probes it: the lazy global checksum.
let globalLength = 0;
const probe = setInterval(() => {
  globalLength = registry.current().global.length;
}, 5);

const pauses: number[] = [];
let majors = 0;
const gcObserver = new PerformanceObserver((list) => {
  if (!measuring) return;
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    // kind 1: minor (scavenge); 4: incremental marking; 2: major.
    if (entry.detail?.kind === 1) pauses.push(entry.duration);
    else if (entry.detail?.kind === 2) majors += 1;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const delay = monitorEventLoopDelay({ resolution: 1 });

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

async function main(): Promise<void> {
  for (let i = 0; i < count; i++) {
    const cname = `sim-${String(i).padStart(6, '0')}`;
    tower.send({ type: 'bolt.connected', cname, boltId: `b${i}`, link: link(cname) });
    tower.send({ type: 'bolt.capability', cname, boltId: `b${i}`, ports: [5000] });
    // Spread over one interval, as a fleet that took a while to connect polls: evenly, not in bursts.
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, (INTERVAL * 100) / count));
  }
  // One interval for every minion to have a document and settle into its cadence.
  await new Promise((resolve) => setTimeout(resolve, INTERVAL + 2_000));
  const before = process.memoryUsage();
  process.stderr.write(
    `fleet of ${count}: ${registry.current().ids.length} served, heap ${(before.heapUsed / 2 ** 20).toFixed(0)} MiB; measuring ${seconds} s\n`,
  );
  process.stdout.write('#measure-start\n');
  const session = sampleFile === undefined ? undefined : new Session();
  if (session) {
    session.connect();
    // Objects a scavenge freed are left out: what remains outlived the young generation.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
  }
  measuring = true;
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  delay.disable();
  if (session && sampleFile !== undefined) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(sampleFile, JSON.stringify(profile));
    session.disconnect();
  }
  process.stdout.write('#measure-end\n');
  const sorted = [...pauses].sort((a, b) => a - b);
  const summary = {
    count,
    seconds,
    polls,
    pollsPerSecond: polls / seconds,
    scavenges: pauses.length,
    scavengeP50: pct(sorted, 50),
    scavengeP99: pct(sorted, 99),
    scavengeMax: sorted.at(-1) ?? 0,
    majors,
    loopP50: delay.percentile(50) / 1e6,
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
    globalLength,
  };
  process.stdout.write(`#summary ${JSON.stringify(summary)}\n`);
  clearInterval(probe);
  gcObserver.disconnect();
  registry.close();
  tower.stop();
  process.exit(0);
}

void main();
