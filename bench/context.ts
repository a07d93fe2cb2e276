/**
 * What every scenario is handed: the mode, where things are, the peers found, and the clock the run
 * must finish by.
 */
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Peers } from './peers/find-peers.js';

export interface RunContext {
  /** Every scenario briefly, to check the suite itself works. */
  readonly quick: boolean;
  readonly root: string;
  /** The built `stormtower` executable. */
  readonly cli: string;
  /** The built worker scripts (upstream server, clients, agents). */
  readonly workers: string;
  /** A fresh temporary directory for this run's data dirs, configs and keys. */
  readonly tmp: string;
  readonly peers: Peers;
  /** Epoch ms by which the whole run should be over (the fleet scenario sizes itself to it). */
  readonly deadline: number;
  /** A progress line on stderr. */
  log(line: string): void;
}

/** The repository root, from the built `dist/bench/context.js`. */
export function repositoryRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
}

export function builtPaths(root: string): Pick<RunContext, 'cli' | 'workers'> {
  return { cli: join(root, 'dist/src/cli/main.js'), workers: join(root, 'dist/bench/workers') };
}

export const worker = (ctx: RunContext, name: string): string => join(ctx.workers, `${name}.js`);

/** A new directory under the run's temp dir: a retried scenario never meets the last attempt's keys. */
export const freshDir = (ctx: RunContext, name: string): Promise<string> =>
  mkdtemp(join(ctx.tmp, `${name}-`));
