/** The CPU goal rows of the relay scenarios: tower + agent against sshd + ssh, the upstream left out. */
import { describe, expect, it } from 'vitest';
import { cpuGoalRow, relayCpu } from '../../bench/scenarios/cpu-goal.js';

const goal = {
  key: 'relay-bulk.download.goal-cpu',
  scenario: 'Relay, bulk',
  label: 'download: stormtower CPU per 100 MB vs ssh -R',
  limit: 1.0,
  unit: 'ms per 100 MB',
};

describe('cpuGoalRow', () => {
  it('sums every relaying role and leaves the upstream out', () => {
    expect(relayCpu({ tower: 500, agent: 400, upstream: 30 })).toBe(900);
  });

  it('judges stormtower against OpenSSH by the ratio of their CPU', () => {
    const row = cpuGoalRow({
      ...goal,
      ours: { tower: 500, agent: 400, upstream: 30 },
      ssh: { sshd: 180, ssh: 120, upstream: 30 },
    });
    expect(row.result).toBe('3.000x (900 vs 300 ms per 100 MB)');
    expect(row.goal).toEqual({
      text: "stormtower (tower + agent) CPU <= 1.0x OpenSSH's (sshd + ssh)",
      met: false,
    });
    expect(row.values).toEqual({ ratio: 3, stormtower: 900, openssh: 300 });
  });

  it('is met at the limit', () => {
    const row = cpuGoalRow({
      ...goal,
      limit: 2.0,
      ours: { tower: 30, agent: 16 },
      ssh: { sshd: 12, ssh: 11 },
    });
    expect(row.goal?.met).toBe(true);
  });

  it('says why it was not judged when a side was not measured', () => {
    const row = cpuGoalRow({ ...goal, ours: { tower: 1, agent: 1 }, ssh: 'sshd is not installed' });
    expect(row.result).toBe('skipped: sshd is not installed');
    expect(row.goal?.met).toBeUndefined();
  });
});
