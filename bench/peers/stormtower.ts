/**
 * stormtower's own processes, each started from the built executable exactly as an operator would:
 * `stormtower start`, `agent`, `simulate` and `certs`, with a temporary data dir and chosen ports.
 */
import { join } from 'node:path';
import { freshDir, type RunContext } from '../context.js';
import { monotonicMs } from '../procs/clock.js';
import { freePort } from '../procs/ports.js';
import { run, type Spawned, start } from '../procs/spawn.js';
import { getJson, waitFor } from '../procs/wait.js';

export interface Tower {
  readonly proc: Spawned;
  readonly apiUrl: string;
  readonly boltUrl: string;
  /** Monotonic ms when the process was started. */
  readonly startedAt: number;
}

export interface TowerOptions {
  readonly dataDir: string;
  readonly apiPort: number;
  readonly boltPort: number;
  /** Further `stormtower start` flags (beacon, monitor interval, status port...). */
  readonly flags?: readonly string[];
  /** The tower may exit on its own (an attack took it down): a result, not an interruption. */
  readonly mayExit?: boolean;
}

async function stormtower(ctx: RunContext, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const out = await run(process.execPath, [ctx.cli, ...args], { timeoutMs });
  if (out.code !== 0)
    throw new Error(
      `stormtower ${args.join(' ')} failed (${out.signal ?? `exit ${out.code}`}): ${out.stderr.trim()}`,
    );
  return out.stdout;
}

export async function certsInit(ctx: RunContext, dataDir: string): Promise<void> {
  await stormtower(ctx, ['certs', 'init', '--data-dir', dataDir]);
}

export interface AgentFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export async function issueAgent(ctx: RunContext, dataDir: string, cname: string): Promise<AgentFiles> {
  const out = join(dataDir, 'agents');
  await stormtower(ctx, ['certs', 'issue', cname, '--data-dir', dataDir, '--out', out]);
  return { cert: join(out, `${cname}.crt`), key: join(out, `${cname}.key`), ca: join(out, 'ca.crt') };
}

/** Starts `stormtower start` and resolves once its API answers `/health`. */
export async function startTower(ctx: RunContext, options: TowerOptions): Promise<Tower> {
  const startedAt = monotonicMs();
  const proc = start(
    process.execPath,
    [
      ctx.cli,
      'start',
      '--data-dir',
      options.dataDir,
      '--bolt-host',
      '127.0.0.1',
      '--bolt-port',
      String(options.boltPort),
      '--api-port',
      String(options.apiPort),
      '--log-level',
      'warn',
      ...(options.flags ?? []),
    ],
    { oneShot: options.mayExit === true },
  );
  const apiUrl = `http://127.0.0.1:${options.apiPort}`;
  try {
    await waitFor(
      'the tower API',
      () => (proc.child.exitCode === null ? getJson(`${apiUrl}/health`, 2000) : 'exited'),
      {
        timeoutMs: 30_000,
        everyMs: 50,
      },
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`the tower did not start: ${proc.output().trim() || String(error)}`);
  }
  if (proc.child.exitCode !== null) throw new Error(`the tower exited: ${proc.output().trim()}`);
  return { proc, apiUrl, boltUrl: `wss://127.0.0.1:${options.boltPort}`, startedAt };
}

export interface AgentOptions {
  readonly boltUrl: string;
  readonly files: AgentFiles;
  readonly allow: readonly number[];
  readonly flags?: readonly string[];
}

/**
 * A fresh data dir with its CA, one agent's certificate for `cname`, and a tower started on free
 * ports that polls minions' status on `statusPort`: the setup of every one-agent scenario.
 */
export async function towerForOneAgent(
  ctx: RunContext,
  options: { dirName: string; cname: string; statusPort: number; flags?: readonly string[] },
): Promise<{ tower: Tower; files: AgentFiles }> {
  const dataDir = await freshDir(ctx, options.dirName);
  await certsInit(ctx, dataDir);
  const files = await issueAgent(ctx, dataDir, options.cname);
  const tower = await startTower(ctx, {
    dataDir,
    apiPort: await freePort(),
    boltPort: await freePort(),
    flags: ['--status-port', String(options.statusPort), ...(options.flags ?? [])],
  });
  return { tower, files };
}

/** `stormtower agent`: the real agent executable, relaying to local ports. */
export function startAgent(ctx: RunContext, options: AgentOptions): Spawned {
  return start(process.execPath, [
    ctx.cli,
    'agent',
    '--tower',
    options.boltUrl,
    '--allow',
    options.allow.join(','),
    '--cert',
    options.files.cert,
    '--key',
    options.files.key,
    '--ca',
    options.files.ca,
    '--log-level',
    'warn',
    ...(options.flags ?? []),
  ]);
}

export interface SimulatorOptions {
  readonly count: number;
  readonly boltUrl: string;
  readonly dataDir: string;
  readonly prefix: string;
  readonly flags?: readonly string[];
}

/** The flags every `stormtower simulate` here shares: which agents, whose CA, and quiet logs. */
const fleetFlags = (options: Pick<SimulatorOptions, 'count' | 'dataDir' | 'prefix'>): string[] => [
  '--count',
  String(options.count),
  '--data-dir',
  options.dataDir,
  '--prefix',
  options.prefix,
  '--log-level',
  'warn',
];

/** `stormtower simulate`: N simulated agents in one process, library defaults otherwise. */
export function startSimulator(ctx: RunContext, options: SimulatorOptions): Spawned {
  return start(process.execPath, [
    ctx.cli,
    'simulate',
    '--tower',
    options.boltUrl,
    ...fleetFlags(options),
    ...(options.flags ?? []),
  ]);
}

/**
 * `stormtower simulate --issue-only`: the simulator's certificates for `count` agents, issued into
 * its cache before any tower starts, so a simulator started later dials at once. Seconds taken.
 */
export async function issueSimulatorIdentities(
  ctx: RunContext,
  options: Omit<SimulatorOptions, 'boltUrl' | 'flags'>,
): Promise<number> {
  const startedAt = monotonicMs();
  // A few ms a certificate on a slow machine, and nothing to wait for once they are all cached.
  const timeoutMs = 60_000 + options.count * 20;
  await stormtower(ctx, ['simulate', '--issue-only', ...fleetFlags(options)], timeoutMs);
  return (monotonicMs() - startedAt) / 1000;
}

interface ClientState {
  readonly cname: string;
  readonly state: string;
}

/** How many bolts the tower holds and how many of their minions are ready (or just changed). */
export async function readiness(apiUrl: string): Promise<{ bolts: number; ready: number } | undefined> {
  const clients = await getJson<ClientState[]>(`${apiUrl}/clients`, 60_000);
  if (clients === undefined) return undefined;
  const ready = clients.filter((c) => c.state === 'ready' || c.state === 'changed').length;
  return { bolts: clients.length, ready };
}

/** Bolts currently held, from the cheap `/health`. */
export async function boltCount(apiUrl: string): Promise<number | undefined> {
  return (await getJson<{ bolts: number }>(`${apiUrl}/health`, 10_000))?.bolts;
}
