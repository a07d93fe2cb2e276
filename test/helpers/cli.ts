/**
 * The real `stormtower` executable (`dist/src/cli/main.js`, built by `npm run build`) as child
 * processes: run one to completion, or start one, wait for its JSON log lines, and stop it with a
 * signal. Every wait is bounded; a process still running at `closeAll()` is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCloseAll } from './harness.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
}

/** The test's environment without `STORMTOWER_*` settings, which would leak into the commands. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STORMTOWER_')));
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** One pino line: `msg` plus whatever fields the command logged. */
export type LogLine = Record<string, unknown> & { msg?: string };

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private exit: Exit | undefined;

  constructor(
    readonly args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ) {
    this.child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      // 'close' rather than 'exit': by then stdout and stderr have been read to the end.
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        this.notify();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** stdout's complete lines that are JSON objects (pino's log lines). */
  logLines(): LogLine[] {
    return this.stdout.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return []; // a line still being written
      }
    });
  }

  /** The first log line matching `match`; fails if the process exits first or `timeoutMs` passes. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    return this.until(() => this.logLines().find(match), timeoutMs, 'log line');
  }

  /** The first match of `pattern` in stdout; fails if the process exits first or `timeoutMs` passes. */
  waitForText(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return this.until(() => pattern.exec(this.stdout) ?? undefined, timeoutMs, `output ${pattern}`);
  }

  /** Sends `signal` and waits (bounded) for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.until(() => this.exit, timeoutMs, `exit after ${signal}`, false);
  }

  /** Kills the process if it is still running; for clean-up. */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  private until<T>(
    check: () => T | undefined,
    timeoutMs: number,
    what: string,
    failOnExit = true,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(poke);
      };
      const poke = () => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (failOnExit && this.exit) {
          done();
          reject(new Error(`${this.describe()} exited (${JSON.stringify(this.exit)}) before the ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} from ${this.describe()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(poke);
      poke();
    });
  }

  private describe(): string {
    return `stormtower ${this.args.join(' ')}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Starts `stormtower <args>` with `env` on top of the test's environment (minus `STORMTOWER_*`); it
 * is killed by `closeAll()` if the test has not stopped it.
 */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): CliProcess {
  const cli = new CliProcess(args, env);
  onCloseAll(() => cli.kill());
  return cli;
}

/**
 * `stormtower start` on `dataDir` with both listeners on ports the OS picks, bolts on loopback only;
 * `extra` flags follow.
 */
export function towerArgs(dataDir: string, ...extra: readonly string[]): string[] {
  return [
    'start',
    '--data-dir',
    dataDir,
    '--bolt-host',
    '127.0.0.1',
    '--bolt-port',
    '0',
    '--api-port',
    '0',
    ...extra,
  ];
}

/** Runs `stormtower <args>` to the end (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], timeoutMs = 15_000): Promise<Finished> {
  const cli = startCli(args);
  const timer = setTimeout(() => void cli.kill(), timeoutMs);
  const exit = await cli.exited;
  clearTimeout(timer);
  return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
}

/** Where `stormtower agent` finds its certificate, key and the tower's CA. */
export interface AgentFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Writes an agent's certificate and key (`identity`) and the CA into `dir`, for the CLI. */
export async function writeAgentFiles(
  dir: string,
  identity: { readonly cert: string; readonly key: string },
  ca: string,
): Promise<AgentFiles> {
  const files = { cert: join(dir, 'agent.crt'), key: join(dir, 'agent.key'), ca: join(dir, 'ca.crt') };
  await Promise.all([
    writeFile(files.cert, identity.cert),
    writeFile(files.key, identity.key, { mode: 0o600 }),
    writeFile(files.ca, ca),
  ]);
  return files;
}

/** The arguments of `stormtower agent` dialling `tower` with `files` and allowing `allow`, then `extra`. */
export function agentArgs(
  tower: string,
  files: AgentFiles,
  allow: readonly number[],
  extra: readonly string[] = [],
): string[] {
  const { cert, key, ca } = files;
  return [
    'agent',
    '--tower',
    tower,
    '--cert',
    cert,
    '--key',
    key,
    '--ca',
    ca,
    '--allow',
    allow.join(','),
    ...extra,
  ];
}
