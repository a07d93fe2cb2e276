/**
 * wrk, the load generator for every small-request contender: one thread, the same connections, the
 * same duration and the same payloads whatever sits behind the URL.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../procs/spawn.js';

export interface WrkResult {
  readonly requestsPerSec: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** Socket errors and non-2xx answers; a clean run has none. */
  readonly errors: string | undefined;
}

export interface WrkOptions {
  readonly wrk: string;
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** A Lua script (the POST body), from `postScript`. */
  readonly script?: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!match) return Number.NaN;
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
}

export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => toMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output)?.[1]);
  const requestsPerSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1]);
  const problems: string[] = [];
  const socket = /Socket errors: (.*)/.exec(output)?.[1];
  if (socket) problems.push(`socket errors: ${socket}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1];
  if (non2xx) problems.push(`${non2xx} non-2xx answers`);
  if (Number.isNaN(requestsPerSec)) throw new Error(`could not read wrk's output:\n${output}`);
  return {
    requestsPerSec,
    requests,
    p50Ms: percentile('50'),
    p90Ms: percentile('90'),
    p99Ms: percentile('99'),
    errors: problems.length > 0 ? problems.join(', ') : undefined,
  };
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...(options.script ? ['-s', options.script] : []),
    options.url,
  ];
  const out = await run(options.wrk, args, { timeoutMs: (options.seconds + 30) * 1000 });
  if (out.code !== 0) throw new Error(`wrk exited with ${out.code ?? out.signal}: ${out.stderr.trim()}`);
  return parseWrk(out.stdout);
}

/** Writes the Lua script that turns wrk's requests into POSTs of `bytes` bytes. */
export async function postScript(dir: string, bytes: number): Promise<string> {
  const path = join(dir, `post-${bytes}.lua`);
  await writeFile(
    path,
    [
      'wrk.method = "POST"',
      `wrk.body = string.rep("x", ${bytes})`,
      'wrk.headers["Content-Type"] = "application/octet-stream"',
      '',
    ].join('\n'),
  );
  return path;
}
