/**
 * CPU time spent by named groups of processes over a measured stretch, counting every descendant
 * (nginx's workers, sshd's per-connection children). Divided by the requests or bytes served, it
 * says what each part of a relay costs, which is what bounds throughput on a machine whose cores
 * are all busy: the explanation a requests/s figure alone does not give.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './proc-stats.js';

export interface CpuRole {
  readonly role: string;
  readonly pid: number;
}

/** Every live pid under `root`, `root` included, found by scanning /proc for parent ids. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const siblings = children.get(parent) ?? [];
      siblings.push(pid);
      children.set(parent, siblings);
    } catch {
      // The process ended while we looked: it has nothing left to count.
    }
  }
  const tree: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

const treeSeconds = (pids: readonly number[]): Map<number, number> =>
  new Map(pids.map((pid) => [pid, cpuSeconds(pid) ?? 0]));

export interface CpuMeter {
  /** CPU seconds per role since the meter started. */
  stop(): Map<string, number>;
}

/**
 * Starts counting. The process trees are taken at the start, so processes must already exist
 * (a relay's workers are up once its first request has been answered).
 */
export function meterCpu(roles: readonly CpuRole[]): CpuMeter {
  const trees = roles.map(({ role, pid }) => ({ role, pids: processTree(pid) }));
  const before = trees.map(({ pids }) => treeSeconds(pids));
  return {
    stop() {
      const spent = new Map<string, number>();
      trees.forEach(({ role, pids }, i) => {
        const start = before[i] ?? new Map<number, number>();
        let total = 0;
        for (const pid of pids) total += Math.max(0, (cpuSeconds(pid) ?? 0) - (start.get(pid) ?? 0));
        spent.set(role, (spent.get(role) ?? 0) + total);
      });
      return spent;
    },
  };
}

/**
 * "tower 56 + agent 40 = 96 µs; upstream 14 µs": the relay's own processes first, then the shared
 * upstream's, so each contender reads the same way.
 */
export function describeCpu(costs: Readonly<Record<string, number>>, unit: string): string {
  const whole = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : 'n/a');
  const relay = Object.entries(costs).filter(([role]) => role !== 'upstream');
  const total = relay.reduce((sum, [, value]) => sum + value, 0);
  const parts = relay.map(([role, value]) => `${role} ${whole(value)}`).join(' + ');
  const upstream = `upstream ${whole(costs.upstream ?? Number.NaN)} ${unit}`;
  if (relay.length === 0) return upstream;
  return `${parts}${relay.length > 1 ? ` = ${whole(total)}` : ''} ${unit}; ${upstream}`;
}
