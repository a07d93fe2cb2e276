/**
 * The bench's own check (`bench/check-report.ts`), which makes `npm run bench -- --quick` exit
 * non-zero when a scenario crashed or lost a row. The bench itself runs in CI, not in `npm test`.
 */
import { describe, expect, it } from 'vitest';
import { checkReport } from '../../bench/check-report.js';
import type { RunReport } from '../../bench/report.js';
import { type Row, SCENARIOS, type ScenarioName, type ScenarioReport } from '../../bench/types.js';

const ATTACK = 'RSS 60 MiB -> peak 70 MiB -> after 61 MiB; /health p99 2 ms; up; 0 errors';
const CPU = 'stormtower: tower 120 + agent 80 µs/req';
const RELAY = ['direct', 'nginx', 'ssh', 'stormtower', 'cpu'];
const ATTACKS = ['silent', 'ping-flood', 'hello-flood', 'flap', 'content-length', 'slow-upgrade'];

const KEYS: Record<ScenarioName, readonly string[]> = {
  'relay-small': ['get', 'post'].flatMap((m) =>
    [...RELAY, 'goal-ssh', 'goal-nginx', 'goal-p99', 'goal-cpu'].map((c) => `relay-small.${m}.${c}`),
  ),
  'relay-bulk': ['download', 'upload'].flatMap((d) =>
    [...RELAY, 'goal-ssh', 'goal-memory', 'goal-cpu'].map((c) => `relay-bulk.${d}.${c}`),
  ),
  'change-feed': ['single', 'fanout', 'goal'].map((c) => `change-feed.${c}`),
  'dead-agent': ['dead-agent.ssh', 'dead-agent.stormtower'],
  attacks: ATTACKS.map((a) => `attacks.${a}`),
  fleet: [
    ...['idle', 'floor', 'goal-memory', 'goal-cold', 'goal-restart', 'goal-head'].map((c) => `fleet.${c}`),
    ...['cold', 'memory', 'cpu', 'head', 'get-id', 'list', 'restart'].map((m) => `fleet.100.${m}`),
  ],
  cluster: [
    ...['cold-single', 'cold', 'towers', 'lag-local', 'lag-remote', 'recovery'],
    ...['get', 'download'].flatMap((what) => [`relay-${what}-local`, `relay-${what}-remote`]),
  ].map((c) => `cluster.${c}`),
};

const row = (key: string): Row => ({
  key,
  scenario: key.split('.')[0] ?? '',
  label: key,
  result: key.startsWith('attacks.') ? ATTACK : key.endsWith('.cpu') ? CPU : '12.5 ms',
});

function wholeRun(change: (rows: Row[]) => Row[] = (rows) => rows): RunReport {
  const scenarios: ScenarioReport[] = SCENARIOS.map((name) => ({
    name,
    title: name,
    rows: change(KEYS[name].map(row)),
    notes: [],
    loadBefore: 1,
    seconds: 1,
  }));
  return {
    quick: true,
    command: 'npm run bench -- --quick',
    machine: { cores: 2, cpu: 'x', memoryBytes: 1, node: 'v20', kernel: 'Linux', date: '', loadAtStart: [] },
    peers: {},
    scenarios,
    commands: ['node ./dist/src/cli/main.js start --data-dir $TMP/tower'],
    seconds: 1,
    raw: {},
  };
}

const MARKDOWN = '| Scenario | Case | Result | vs baseline | Goal |\n\nMachine: 2 cores\n\n## Commands\n';

describe('checkReport', () => {
  it('passes a whole run, skipped peers included', () => {
    const run = wholeRun((rows) =>
      rows.map((r) => (r.key.endsWith('.nginx') ? { ...r, result: 'skipped: nginx is not installed' } : r)),
    );
    expect(checkReport(run, SCENARIOS, MARKDOWN)).toEqual([]);
  });

  it('names a missing row, a crashed scenario and a skipped stormtower row', () => {
    const run = wholeRun((rows) =>
      rows
        .filter((r) => r.key !== 'dead-agent.ssh')
        .map((r) => (r.key === 'relay-small.get.stormtower' ? { ...r, result: 'skipped: no agent' } : r))
        .map((r) => (r.key === 'fleet.idle' ? { ...r, result: 'failed: tower exited' } : r)),
    );
    expect(checkReport(run, SCENARIOS, MARKDOWN)).toEqual([
      'row dead-agent.ssh is missing',
      'fleet.idle: failed: tower exited',
      'relay-small.get.stormtower was skipped: skipped: no agent',
    ]);
  });

  it('expects only the scenarios that ran, and a complete BENCHMARKS.md', () => {
    const fleetOnly = { ...wholeRun(), scenarios: wholeRun().scenarios.filter((s) => s.name === 'fleet') };
    expect(checkReport(fleetOnly, ['fleet'], MARKDOWN)).toEqual([]);
    expect(checkReport(fleetOnly, ['attacks', 'fleet'], '')).toEqual([
      'scenarios ran: fleet, expected attacks,fleet',
      ...ATTACKS.map((a) => `row attacks.${a} is missing`),
      'BENCHMARKS.md has no table',
      'BENCHMARKS.md does not describe the machine',
      'BENCHMARKS.md lists no commands',
    ]);
  });
});
