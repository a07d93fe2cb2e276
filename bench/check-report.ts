/**
 * What every run of the bench must produce, checked by the bench itself so that
 * `npm run bench -- --quick` fails (non-zero exit) when a scenario crashed or lost a row: a row for
 * every measurement, each a number or "skipped: <reason>", and the stormtower rows never skipped.
 */
import type { RunReport } from './report.js';
import { CLUSTER_KEYS } from './scenarios/cluster-rows.js';
import type { ScenarioName } from './types.js';

const RELAY_CASES = ['direct', 'nginx', 'ssh', 'stormtower'];

/** Every row key a scenario must report, whatever the peers or the mode. */
const EXPECTED: Readonly<Record<ScenarioName, readonly string[]>> = {
  'relay-small': ['get', 'post'].flatMap((m) =>
    [...RELAY_CASES, 'cpu', 'goal-ssh', 'goal-nginx', 'goal-p99', 'goal-cpu'].map(
      (c) => `relay-small.${m}.${c}`,
    ),
  ),
  'relay-bulk': ['download', 'upload'].flatMap((d) =>
    [...RELAY_CASES, 'cpu', 'goal-ssh', 'goal-memory', 'goal-cpu'].map((c) => `relay-bulk.${d}.${c}`),
  ),
  'change-feed': ['change-feed.single', 'change-feed.fanout', 'change-feed.goal'],
  'dead-agent': ['dead-agent.ssh', 'dead-agent.stormtower'],
  attacks: ['silent', 'ping-flood', 'hello-flood', 'flap', 'content-length', 'slow-upgrade'].map(
    (a) => `attacks.${a}`,
  ),
  fleet: [
    'fleet.idle',
    'fleet.floor',
    'fleet.goal-memory',
    'fleet.goal-cold',
    'fleet.goal-restart',
    'fleet.goal-head',
  ],
  cluster: CLUSTER_KEYS,
};
const FLEET_METRICS = ['cold', 'memory', 'cpu', 'head', 'get-id', 'list', 'restart'];

/** This project's own rows: a peer may be missing, stormtower never is. */
const NEVER_SKIPPED = ['relay-small.get.stormtower', 'relay-bulk.download.stormtower', 'change-feed.fanout'];
const ATTACK_RESULT = /^RSS \d+ MiB -> peak \d+ MiB -> after \d+ MiB; \/health p99 .*; (up|DOWN);/;
const CPU_RESULT = /stormtower: tower \d+ \+ agent \d+/;

/** The problems with a finished run, one line each; empty when the run is whole. */
export function checkReport(
  report: RunReport,
  ran: readonly ScenarioName[],
  markdown: string,
): readonly string[] {
  const problems: string[] = [];
  const names = report.scenarios.map((s) => s.name);
  if (names.join() !== ran.join()) problems.push(`scenarios ran: ${names.join()}, expected ${ran.join()}`);
  const rows = report.scenarios.flatMap((s) => s.rows);
  const result = new Map(rows.map((r) => [r.key, r.result]));
  for (const key of ran.flatMap((name) => EXPECTED[name]))
    if (!result.has(key)) problems.push(`row ${key} is missing`);
  if (ran.includes('fleet')) {
    const sizes = rows.flatMap((r) => /^fleet\.(\d+)\.cold$/.exec(r.key)?.[1] ?? []);
    if (sizes.length === 0) problems.push('the fleet measured no size');
    for (const n of sizes)
      for (const metric of FLEET_METRICS)
        if (!result.has(`fleet.${n}.${metric}`)) problems.push(`row fleet.${n}.${metric} is missing`);
  }
  for (const row of rows) {
    if (/^failed/.test(row.result)) problems.push(`${row.key}: ${row.result}`);
    else if (!/^skipped: \S|\d/.test(row.result)) problems.push(`${row.key}: neither a number nor a reason`);
  }
  for (const key of NEVER_SKIPPED) {
    const text = result.get(key);
    if (text?.startsWith('skipped')) problems.push(`${key} was skipped: ${text}`);
  }
  for (const row of rows.filter((r) => r.key.startsWith('attacks.')))
    if (!ATTACK_RESULT.test(row.result)) problems.push(`${row.key}: no tower reading (${row.result})`);
  for (const key of ['relay-small.get.cpu', 'relay-bulk.download.cpu']) {
    const text = result.get(key);
    if (text !== undefined && !CPU_RESULT.test(text)) problems.push(`${key}: no per-process CPU (${text})`);
  }
  if (!report.commands.some((c) => c.includes('dist/src/cli/main.js start')))
    problems.push('the command list has no tower start');
  if (!markdown.includes('| Scenario | Case | Result | vs baseline | Goal |'))
    problems.push('BENCHMARKS.md has no table');
  if (!/Machine: \d+ cores/.test(markdown)) problems.push('BENCHMARKS.md does not describe the machine');
  if (!markdown.includes('## Commands')) problems.push('BENCHMARKS.md lists no commands');
  return problems;
}
