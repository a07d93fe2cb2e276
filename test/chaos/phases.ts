/**
 * The faults, in the order the suite applies them, each while relays and status changes go on:
 * readers that stop reading (with nothing else running, so a spin shows), the network between an
 * agent and the tower (delay, stall either way, cut, reset), an agent that hangs, a second agent
 * with the same cname, an agent that dies, and the tower dying. A fault's waits are its duration,
 * not synchronisation: what follows it waits for the fleet to settle, with a bound.
 *
 * The quick form (inside `npm test`) runs a few of them with two agents; `CHAOS=full` runs all.
 */
import { activityOver, busyOver, describeActivity } from './activity.js';
import { PASS } from './fault-proxy.js';
import { type AgentSlot, type Fleet, TIMING } from './fleet.js';
import { stalledDownload } from './stalled-download.js';

export interface FaultRun {
  /** How long the phase lasts, around its fault. */
  readonly loadMs: number;
  /** What the fault itself found wrong while it lasted. */
  readonly problems: string[];
  /** What it measured, for the phase's report. */
  readonly notes: string[];
}

export interface Phase {
  readonly name: string;
  /** No relay load or status changes around the fault: it measures quiet processes itself. */
  readonly quiet?: boolean;
  /** Injects the fault and heals it, while the load runs. */
  fault(fleet: Fleet, run: FaultRun): Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const validityMs = TIMING.beaconValidity * 1000;

function agent(fleet: Fleet, index: number): AgentSlot {
  const slot = fleet.agents[Math.min(index, fleet.agents.length - 1)];
  if (!slot) throw new Error('the fleet has no agents');
  return slot;
}

export const PHASES = {
  baseline: {
    name: 'no fault (the baseline for memory)',
    fault: (_fleet, { loadMs }) => pause(loadMs),
  },
  stalledReaders: {
    name: 'stalled readers: four large downloads from one agent that nobody reads for a while',
    quiet: true,
    async fault(fleet, { loadMs, problems, notes }) {
      const slot = agent(fleet, 0);
      const target = { cname: slot.cname, port: fleet.upstreams.port };
      const downloads = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          stalledDownload(fleet.apiUrl, target, 6 * 1024 * 1024, {
            chunked: i % 2 === 1,
            readFirst: 256 * 1024,
            timeoutMs: loadMs + 30_000,
          }),
        ),
      );
      // Let the bytes already on their way fill the windows and socket buffers; then nothing moves.
      await pause(1000);
      const windowMs = loadMs / 2;
      const activity = await activityOver([fleet.tower, slot.proc], windowMs);
      notes.push(`over ${windowMs} ms with the readers stalled: ${describeActivity(activity)}`);
      for (const busy of busyOver(activity, windowMs)) problems.push(`with its readers stalled, ${busy}`);
      for (const outcome of await Promise.all(downloads.map((d) => d.finish())))
        if (outcome) problems.push(outcome);
    },
  },
  delay: {
    name: 'proxy delay: 150 ms each way on one agent',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 0);
      proxy.setMode({ kind: 'delay', ms: 150 });
      await pause(loadMs);
      proxy.setMode(PASS);
    },
  },
  shortStall: {
    name: 'proxy stall: both ways, half the beacon validity',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 0);
      await pause(loadMs / 4);
      proxy.setMode({ kind: 'stall', direction: 'both' });
      await pause(validityMs / 2);
      proxy.setMode(PASS);
      await pause(loadMs / 2);
    },
  },
  longStall: {
    name: 'proxy stall: agent to tower only, past the beacon validity',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 1);
      await pause(loadMs / 4);
      proxy.setMode({ kind: 'stall', direction: 'up' });
      await pause(validityMs + 2000);
      proxy.setMode(PASS);
      await pause(loadMs / 2);
    },
  },
  longStallDown: {
    name: 'proxy stall: tower to agent only, past the beacon validity (a peer that does not read)',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 2);
      await pause(loadMs / 4);
      proxy.setMode({ kind: 'stall', direction: 'down' });
      await pause(validityMs + 2000);
      proxy.setMode(PASS);
      await pause(loadMs / 2);
    },
  },
  cut: {
    name: 'proxy cut: clean close of one agent’s connections, twice',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 0);
      await pause(loadMs / 4);
      proxy.cutAll();
      await pause(loadMs / 4);
      proxy.cutAll();
      await pause(loadMs / 2);
    },
  },
  reset: {
    name: 'proxy reset: RST on one agent’s connections, twice',
    async fault(fleet, { loadMs }) {
      const { proxy } = agent(fleet, 1);
      await pause(loadMs / 4);
      proxy.resetAll();
      await pause(loadMs / 4);
      proxy.resetAll();
      await pause(loadMs / 2);
    },
  },
  agentStop: {
    name: 'agent SIGSTOP past the beacon validity, then SIGCONT',
    async fault(fleet, { loadMs }) {
      const slot = agent(fleet, 2);
      await pause(loadMs / 4);
      slot.proc.freeze();
      try {
        await pause(validityMs + 2000);
      } finally {
        slot.proc.thaw();
      }
      await pause(loadMs / 2);
    },
  },
  twinAgent: {
    name: 'a second agent with the same cname, dialling the tower directly, then SIGKILL',
    async fault(fleet, { loadMs, notes }) {
      const slot = agent(fleet, 0);
      await pause(loadMs / 4);
      const twin = fleet.startAgent(slot, `wss://127.0.0.1:${fleet.boltPort}`);
      try {
        // A process takes a while to start on a busy machine: the twin's time counts from its first
        // dial's outcome (admitted or refused, whichever the tower decides).
        await twin.cli.waitForLog(
          (line) => line.msg === 'bolt connected' || line.msg === 'bolt down, retrying',
        );
        await pause(loadMs / 2);
      } finally {
        await twin.kill();
      }
      const lines = twin.cli.logLines();
      const count = (msg: string) => lines.filter((line) => line.msg === msg).length;
      notes.push(
        `the twin's bolt connected ${count('bolt connected')} times, was lost ${count('bolt lost')}`,
      );
      await pause(loadMs / 4);
    },
  },
  agentKill: {
    name: 'agent SIGKILL, then a new agent process',
    async fault(fleet, { loadMs }) {
      const slot = agent(fleet, 1);
      await pause(loadMs / 4);
      await slot.proc.kill();
      await pause(loadMs / 4);
      slot.proc = fleet.startAgent(slot);
      await pause(loadMs / 2);
    },
  },
  towerKill: {
    name: 'tower SIGKILL, then a new tower on the same ports and data directory',
    async fault(fleet, { loadMs }) {
      await pause(loadMs / 4);
      await fleet.tower.kill();
      await pause(loadMs / 4);
      await fleet.restartTower();
      await pause(loadMs / 2);
    },
  },
} satisfies Record<string, Phase>;

export interface Plan {
  readonly agents: number;
  readonly watchers: number;
  /** How long load and status changes run in each phase, around its fault. */
  readonly loadMs: number;
  /** The quiet window over which idle CPU is measured. */
  readonly idleMs: number;
  readonly phases: readonly Phase[];
}

export const FULL_PLAN: Plan = {
  agents: 3,
  watchers: 3,
  loadMs: 6000,
  idleMs: 3000,
  phases: Object.values(PHASES),
};

export const QUICK_PLAN: Plan = {
  agents: 2,
  watchers: 2,
  loadMs: 2000,
  idleMs: 1500,
  phases: [PHASES.baseline, PHASES.stalledReaders, PHASES.reset, PHASES.agentKill, PHASES.towerKill],
};
