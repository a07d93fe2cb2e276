/**
 * A process's memory and CPU as the kernel counts them: VmRSS from /proc/<pid>/status, user +
 * system time from /proc/<pid>/stat. Read from outside, so measuring costs the process nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monotonicMs } from './clock.js';

let ticksPerSecond: number | undefined;

/** USER_HZ: almost always 100 on Linux, but asked rather than assumed. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Resident set size in bytes, or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds (user + system) one thread (`tid`, from /proc/<pid>/task) has used so far. */
export function threadCpuSeconds(pid: number, tid: string): number | undefined {
  return statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuSeconds(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

/** One RSS reading, at a time on the shared monotonic clock. */
export interface RssSample {
  readonly at: number;
  readonly rss: number;
}

export interface RssSampler {
  /** Stops sampling; every reading, per pid. */
  stop(): Map<number, RssSample[]>;
}

/** Samples the RSS of `pids` every `everyMs` (reading /proc costs microseconds). */
export function sampleRss(pids: readonly number[], everyMs = 10): RssSampler {
  const samples = new Map<number, RssSample[]>(pids.map((pid) => [pid, []]));
  const take = () => {
    const at = monotonicMs();
    for (const pid of pids) {
      const rss = rssBytes(pid);
      if (rss !== undefined) samples.get(pid)?.push({ at, rss });
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** The 1-minute load average, recorded before each scenario to show a busy machine. */
export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}
