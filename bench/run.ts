/**
 * `npm run bench`: finds the peers (nginx, OpenSSH, wrk; a missing one is skipped, never installed),
 * runs every scenario on loopback, prints one table, writes BENCHMARKS.md plus the raw JSON, and
 * exits non-zero when a scenario crashed or a row is missing (`check-report.ts`).
 *
 *   node dist/bench/run.js [--quick] [--out DIR] [--only relay-small,relay-bulk,change-feed,dead-agent,attacks,fleet,cluster]
 *
 * `--quick` runs every scenario briefly, to check the suite itself; `--out DIR` writes
 * DIR/BENCHMARKS.md and DIR/results/ instead of the repository's BENCHMARKS.md and bench/results/.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { checkReport } from './check-report.js';
import { builtPaths, type RunContext, repositoryRoot } from './context.js';
import { findPeers } from './peers/find-peers.js';
import { commandLog } from './procs/command-log.js';
import { killAllNow, stopAll } from './procs/spawn.js';
import { describeMachine, describePeers, goalsLine, textTable, writeReport } from './report.js';
import { type Runner, runScenario } from './scenario-runner.js';
import { attacks } from './scenarios/attacks.js';
import { changeFeed } from './scenarios/change-feed.js';
import { cluster } from './scenarios/cluster.js';
import { type Contenders, startContenders } from './scenarios/contenders.js';
import { deadAgent } from './scenarios/dead-agent.js';
import { fleet } from './scenarios/fleet.js';
import { relayBulk } from './scenarios/relay-bulk.js';
import { relaySmall } from './scenarios/relay-small.js';
import { SCENARIOS, type ScenarioName, type ScenarioReport } from './types.js';

interface Options {
  readonly quick: boolean;
  readonly out: string | undefined;
  readonly only: readonly ScenarioName[];
}

const USAGE = `usage: npm run bench -- [--quick] [--out DIR] [--only ${SCENARIOS.join(',')}]`;

function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let out: string | undefined;
  const only: ScenarioName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--only') {
      for (const name of (argv[++i] ?? '').split(',').filter(Boolean)) {
        if (!(SCENARIOS as readonly string[]).includes(name))
          throw new Error(`unknown scenario "${name}"\n${USAGE}`);
        only.push(name as ScenarioName);
      }
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  if (out === '') throw new Error(`--out needs a directory\n${USAGE}`);
  return { quick, out, only: only.length > 0 ? only : SCENARIOS };
}

const TITLES: Record<ScenarioName, string> = {
  'relay-small': 'Relay, small requests',
  'relay-bulk': 'Relay, bulk',
  'change-feed': 'Change feed',
  'dead-agent': 'Dead agent',
  attacks: 'Attacks',
  fleet: 'Fleet',
  cluster: 'Cluster',
};

/**
 * The whole run fits in 20 minutes (less a margin for stopping and writing the report); the fleet,
 * run last, sizes its waits to what is left and skips a size that would not fit.
 */
const BUDGET_MS = { quick: 90_000, full: 20 * 60_000 - 20_000 };

/**
 * The cluster scenario runs after the fleet, on time of its own (3 towers x 5,000 minions need about
 * ten minutes on 2 cores), so the fleet keeps its 10,000; with less left it measures a smaller size.
 */
const CLUSTER_MS = { quick: 25_000, full: 11 * 60_000 };

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const began = Date.now();
  const root = repositoryRoot();
  const machine = describeMachine();
  const tmp = await mkdtemp(join(os.tmpdir(), 'stormtower-bench-'));
  commandLog.alias(tmp, '$TMP');
  commandLog.alias(root, '.');
  commandLog.alias(process.execPath, 'node');
  const log = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const peers = await findPeers(log);
  const ctx: RunContext = {
    quick: options.quick,
    root,
    ...builtPaths(root),
    tmp,
    peers,
    deadline: began + (options.quick ? BUDGET_MS.quick : BUDGET_MS.full),
    log,
  };

  let contenders: Contenders | undefined;
  const relay = async () => {
    contenders ??= await startContenders(ctx);
    return contenders;
  };
  const runners: Record<ScenarioName, Runner> = {
    'relay-small': async () => ({
      ...(await relaySmall(ctx, await relay())),
      configs: (await relay()).configs,
    }),
    'relay-bulk': async () => relayBulk(ctx, await relay()),
    'change-feed': () => changeFeed(ctx),
    'dead-agent': () => deadAgent(ctx),
    attacks: () => attacks(ctx),
    fleet: () => fleet(ctx),
    cluster: () => cluster({ ...ctx, deadline: ctx.deadline + CLUSTER_MS[options.quick ? 'quick' : 'full'] }),
  };

  const scenarios: ScenarioReport[] = [];
  const raw: Record<string, unknown> = {};
  let failed = false;
  const closeContenders = async () => {
    await contenders?.close();
    contenders = undefined;
  };
  for (const name of SCENARIOS.filter((s) => options.only.includes(s))) {
    const ran = await runScenario(name, TITLES[name], runners[name], {
      log,
      reset: closeContenders,
      // A second attempt needs about as long as the first; the fleet sizes itself to what is left.
      canRetry: () => name === 'fleet' || ctx.deadline - Date.now() > (options.quick ? 20_000 : 120_000),
    });
    const { configs } = ran.report;
    scenarios.push(
      configs
        ? {
            ...ran.report,
            configs: Object.fromEntries(
              Object.entries(configs).map(([file, text]) => [file, commandLog.redact(text)]),
            ),
          }
        : ran.report,
    );
    raw[name] = ran.raw;
    failed ||= ran.failed;
    // The relay contenders serve both relay scenarios, then make room for the others.
    if (name === 'relay-bulk' || (name === 'relay-small' && !options.only.includes('relay-bulk'))) {
      await closeContenders();
    }
  }
  await contenders?.close();
  await stopAll();

  const outDir = resolve(options.out ?? root);
  const resultsDir = options.out ? join(outDir, 'results') : join(root, 'bench/results');
  const report = {
    quick: options.quick,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine,
    peers: describePeers(peers),
    scenarios,
    commands: commandLog.list(),
    seconds: (Date.now() - began) / 1000,
    raw,
  };
  const written = await writeReport(report, outDir, resultsDir);
  const rows = scenarios.flatMap((s) => s.rows);
  process.stdout.write(`\n${textTable(rows)}\n\n${goalsLine(rows)}\n\n`);
  for (const path of written) log(`wrote ${path}`);
  await rm(tmp, { recursive: true, force: true });
  const ran = SCENARIOS.filter((s) => options.only.includes(s));
  const problems = [...checkReport(report, ran, await readFile(join(outDir, 'BENCHMARKS.md'), 'utf8'))];
  // --out must leave the committed BENCHMARKS.md and bench/results/ alone.
  if (options.out && written.some((path) => !path.startsWith(outDir)))
    problems.push(`--out ${outDir} but wrote ${written.join(', ')}`);
  for (const problem of problems) log(`CHECK FAILED: ${problem}`);
  return failed || problems.length > 0 ? 1 : 0;
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    void stopAll().finally(() => process.exit(2));
  },
);
