/**
 * The benchmark suite checks itself: `dist/bench/run.js --quick` (built by `npm test` before vitest
 * runs) runs every scenario briefly against real towers, agents, nginx, sshd and wrk, and must finish,
 * print its table and write BENCHMARKS.md and the JSON into the given directory, with a row for every
 * measurement (a peer that could not be had gives "skipped: <reason>", never a number).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));
const REPO_RESULTS = fileURLToPath(new URL('../../bench/results', import.meta.url));

interface Row {
  readonly key: string;
  readonly result: string;
  readonly goal?: { readonly text: string; readonly met?: boolean };
}

interface Report {
  readonly quick: boolean;
  readonly machine: { readonly cores: number; readonly memoryBytes: number; readonly date: string };
  readonly scenarios: readonly { readonly name: string; readonly rows: readonly Row[] }[];
  readonly commands: readonly string[];
}

const RELAY_CASES = ['direct', 'nginx', 'ssh', 'stormtower'];
const EXPECTED = [
  ...['get', 'post'].flatMap((m) =>
    [...RELAY_CASES, 'cpu', 'goal-ssh', 'goal-nginx', 'goal-p99'].map((c) => `relay-small.${m}.${c}`),
  ),
  ...['download', 'upload'].flatMap((d) =>
    [...RELAY_CASES, 'cpu', 'goal-ssh', 'goal-memory'].map((c) => `relay-bulk.${d}.${c}`),
  ),
  'change-feed.single',
  'change-feed.fanout',
  'change-feed.goal',
  'dead-agent.ssh',
  'dead-agent.stormtower',
  ...['silent', 'ping-flood', 'hello-flood', 'flap', 'content-length', 'slow-upgrade'].map(
    (a) => `attacks.${a}`,
  ),
  'fleet.idle',
  'fleet.floor',
  'fleet.goal-memory',
  'fleet.goal-cold',
  'fleet.goal-restart',
  'fleet.goal-head',
];
const FLEET_METRICS = ['cold', 'memory', 'cpu', 'head', 'get-id', 'list', 'restart'];

function runQuick(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, '--quick', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const listResults = async (): Promise<string[]> => (existsSync(REPO_RESULTS) ? readdir(REPO_RESULTS) : []);

describe('npm run bench -- --quick', () => {
  // Generous: on a machine without nginx or OpenSSH the suite installs them with apt-get first.
  it('runs every scenario, prints one table and writes BENCHMARKS.md and the JSON to --out', async () => {
    if (!existsSync(RUN)) throw new Error(`${RUN} is missing: run \`npm run build\` first`);
    const out = await mkdtemp(join(os.tmpdir(), 'stormtower-bench-test-'));
    const committed = await listResults();
    try {
      const run = await runQuick(out);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(run.stdout).toMatch(/^Scenario\s+\| Case\s+\| Result/m);

      const [json] = (await readdir(join(out, 'results'))).filter((f) => f.endsWith('.json'));
      expect(json).toBeDefined();
      const report = JSON.parse(await readFile(join(out, 'results', json ?? ''), 'utf8')) as Report;
      expect(report.quick).toBe(true);
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(report.scenarios.map((s) => s.name)).toEqual([
        'relay-small',
        'relay-bulk',
        'change-feed',
        'dead-agent',
        'attacks',
        'fleet',
      ]);

      const rows = report.scenarios.flatMap((s) => s.rows);
      const keys = rows.map((r) => r.key);
      expect(keys).toEqual(expect.arrayContaining(EXPECTED));
      const sizes = keys.flatMap((k) => /^fleet\.(\d+)\.cold$/.exec(k)?.[1] ?? []);
      expect(sizes.length).toBeGreaterThan(0);
      for (const n of sizes)
        expect(keys).toEqual(expect.arrayContaining(FLEET_METRICS.map((m) => `fleet.${n}.${m}`)));
      for (const row of rows) {
        expect(row.result, row.key).not.toMatch(/^failed/);
        // A number or a reason: a skipped row must say why.
        expect(row.result, row.key).toMatch(/^skipped: \S|\d/);
      }
      // The stormtower rows are this project's own: they are never skipped.
      for (const key of [
        'relay-small.get.stormtower',
        'relay-bulk.download.stormtower',
        'change-feed.fanout',
      ]) {
        expect(rows.find((r) => r.key === key)?.result, key).not.toMatch(/^skipped/);
      }
      // Every attack measures the tower, whichever way it went.
      for (const row of rows.filter((r) => r.key.startsWith('attacks.'))) {
        expect(row.result, row.key).toMatch(
          /^RSS \d+ MiB -> peak \d+ MiB -> after \d+ MiB; \/health p99 .*; (up|DOWN);/,
        );
      }
      // What each relay costs is counted per process, the tower and the agent apart.
      for (const key of ['relay-small.get.cpu', 'relay-bulk.download.cpu']) {
        expect(rows.find((r) => r.key === key)?.result, key).toMatch(/stormtower: tower \d+ \+ agent \d+/);
      }
      expect(report.commands.some((c) => c.includes('dist/src/cli/main.js start'))).toBe(true);

      const markdown = await readFile(join(out, 'BENCHMARKS.md'), 'utf8');
      expect(markdown).toContain('| Scenario | Case | Result | vs baseline | Goal |');
      expect(markdown).toMatch(/Machine: \d+ cores/);
      expect(markdown).toContain('## Commands');
      // --out leaves the committed results alone.
      expect(await listResults()).toEqual(committed);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 420_000);
});
