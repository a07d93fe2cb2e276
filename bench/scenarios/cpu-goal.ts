/**
 * The CPU goals of issue 16: what stormtower's two relaying processes (tower + agent) spend per
 * request or per 100 MB against what OpenSSH's two (sshd + ssh) spend for the same work, measured
 * in the same run. CPU, unlike requests/s or MB/s, does not move with what else shares the cores.
 */
import { preciseRatio } from '../format.js';
import type { Row } from '../types.js';

/** CPU per unit of work, by role (`tower`, `agent`, `sshd`, `ssh`, `upstream`...). */
export type CpuCosts = Readonly<Record<string, number>>;

/** The relay's own share: every role but the upstream, which every contender shares. */
export const relayCpu = (costs: CpuCosts): number =>
  Object.entries(costs)
    .filter(([role]) => role !== 'upstream')
    .reduce((sum, [, value]) => sum + value, 0);

export interface CpuGoal {
  readonly key: string;
  readonly scenario: string;
  readonly label: string;
  /** stormtower may spend at most this many times OpenSSH's CPU. */
  readonly limit: number;
  /** The unit the costs are in, for the result text ("µs per request", "ms per 100 MB"). */
  readonly unit: string;
  /** The costs measured, or why they were not. */
  readonly ours: CpuCosts | string;
  readonly ssh: CpuCosts | string;
}

export function cpuGoalRow(goal: CpuGoal): Row {
  const text = `stormtower (tower + agent) CPU <= ${goal.limit.toFixed(1)}x OpenSSH's (sshd + ssh)`;
  const { key, scenario, label } = goal;
  if (typeof goal.ours === 'string' || typeof goal.ssh === 'string') {
    const reason = typeof goal.ours === 'string' ? goal.ours : String(goal.ssh);
    return { key, scenario, label, result: `skipped: ${reason}`, goal: { text, met: undefined } };
  }
  const ours = relayCpu(goal.ours);
  const ssh = relayCpu(goal.ssh);
  const times = ours / ssh;
  return {
    key,
    scenario,
    label,
    result: `${preciseRatio(times)} (${Math.round(ours)} vs ${Math.round(ssh)} ${goal.unit})`,
    goal: { text, met: Number.isFinite(times) ? times <= goal.limit : undefined },
    values: { ratio: times, stormtower: ours, openssh: ssh },
  };
}
