/**
 * Every process the suite starts goes through here: its exact command line is recorded (for
 * BENCHMARKS.md), it is tracked, and it is ended by its own pid when the run finishes or is
 * interrupted, so a failed scenario never leaves a tower, an sshd or an nginx behind.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { commandLog } from './command-log.js';
import { recordInterruption } from './interruptions.js';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** The last few KB the process wrote to stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<Exit>;
  /** SIGKILL at once, as a crash would: an ending the scenario asked for, not an interruption. */
  kill(): Promise<Exit>;
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Own process group, so `stop` reaches the children too (sshd forks one per session). */
  readonly group?: boolean;
  /** Node module to run with an IPC channel instead of a plain command. */
  readonly ipc?: boolean;
  /** Keep this out of the command list (helpers whose command says nothing, like `kill`). */
  readonly unlisted?: boolean;
  /** Ends by itself (a command, a one-transfer client): its exit is not an interruption. */
  readonly oneShot?: boolean;
}

const running = new Set<Spawned>();

/**
 * The environment without `STORMTOWER_*` settings: a developer's own token or ports would otherwise
 * leak into the towers and agents started here and change what is measured.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STORMTOWER_')));
}
const TAIL = 8192;

/** Starts `command args`; with `ipc`, `command` is a Node module run with `fork`. */
export function start(command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
  if (!options.unlisted) commandLog.record(options.ipc ? ['node', command, ...args] : [command, ...args]);
  const env = { ...cleanEnv(), ...options.env };
  const child = options.ipc
    ? fork(command, [...args], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    : spawn(command, [...args], {
        env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: options.group,
      });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(options.group ? -pid : pid, name);
    } catch {
      // Already gone.
    }
  };
  let gone = false;
  let asked = false;
  const spawned: Spawned = {
    child,
    pid,
    exited,
    output: () => tail,
    async stop(graceMs = 3000) {
      asked = true;
      if (!gone) {
        signal('SIGCONT'); // a frozen process (the dead-agent scenario) cannot act on SIGTERM
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        if (options.group) signal('SIGKILL'); // the group's other members, if any outlived the leader
      }
      return exited;
    },
    kill() {
      asked = true;
      if (!gone) signal('SIGKILL');
      return exited;
    },
  };
  void exited.then(({ code, signal: by }) => {
    gone = true;
    running.delete(spawned);
    if (asked || options.oneShot) return;
    const shown = [command, ...args]
      .map((word) => word.split('/').pop() ?? word)
      .slice(0, 4)
      .join(' ');
    recordInterruption({ command: shown, pid, code, signal: by });
  });
  running.add(spawned);
  return spawned;
}

/** Runs a command to completion and returns what it printed. */
export async function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = start(command, args, { ...options, oneShot: true });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => void proc.stop(), options.timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}

/** Ends every process still running (in reverse start order), each by its pid. */
export async function stopAll(): Promise<void> {
  for (const proc of [...running].reverse()) await proc.stop(2000);
}

/** Last resort on an abrupt exit: no awaiting possible, so SIGKILL what is left. */
export function killAllNow(): void {
  for (const proc of running) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
