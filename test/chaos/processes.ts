/**
 * The chaos suite's processes: the tower and the agents, each the real `stormtower` executable
 * (`dist/src/cli/main.js`), tracked with its role and pid. Signals sent through here are expected;
 * an exit nobody asked for is kept, with the output before it, for the phase's checks. CPU, RSS and
 * open descriptors are read from /proc from outside, so measuring costs the processes nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, rssBytes } from '../../bench/procs/proc-stats.js';
import { type CliProcess, type Exit, startCli } from '../helpers/cli.js';

/** The last part of what a process wrote, enough to see why it ended. */
const TAIL = 4000;

export class ChaosProcess {
  private asked = false;
  private exit: Exit | undefined;

  constructor(
    readonly role: string,
    readonly cli: CliProcess,
  ) {
    void cli.exited.then((exit) => {
      this.exit = exit;
    });
  }

  static start(role: string, args: readonly string[]): ChaosProcess {
    return new ChaosProcess(role, startCli(args));
  }

  get pid(): number {
    const { pid } = this.cli;
    if (pid === undefined) throw new Error(`${this.role} has no pid: it did not start`);
    return pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How it ended, if it ended without being signalled from here. */
  unexpectedExit(): Exit | undefined {
    return this.asked ? undefined : this.exit;
  }

  /** SIGSTOP: the process keeps its sockets open and says nothing, like a hung host. */
  freeze(): void {
    process.kill(this.pid, 'SIGSTOP');
  }

  thaw(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /** SIGKILL, and waits (bounded) for the process to be gone. */
  async kill(): Promise<Exit> {
    this.asked = true;
    return this.cli.stop('SIGKILL');
  }

  /** CPU seconds (user + system) used so far; undefined once it is gone. */
  cpu(): number | undefined {
    return this.running ? cpuSeconds(this.pid) : undefined;
  }

  /**
   * Seconds the main thread has been runnable: on a CPU or waiting in the run queue for one
   * (/proc/<pid>/schedstat). A thread that spins is runnable all the time, however busy the
   * machine is, while its CPU time shrinks with the share it gets.
   */
  runnable(): number | undefined {
    try {
      if (!this.running) return undefined;
      const [onCpu, waiting] = readFileSync(`/proc/${this.pid}/schedstat`, 'utf8').split(' ').map(Number);
      return ((onCpu ?? 0) + (waiting ?? 0)) / 1e9;
    } catch {
      return undefined;
    }
  }

  /**
   * Times the main thread has blocked of its own accord (voluntary context switches): an event loop
   * that waits in epoll adds one each wake-up, a spinning thread none.
   */
  sleeps(): number | undefined {
    try {
      if (!this.running) return undefined;
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const count = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1];
      return count === undefined ? undefined : Number(count);
    } catch {
      return undefined;
    }
  }

  rss(): number | undefined {
    return this.running ? rssBytes(this.pid) : undefined;
  }

  /** Open file descriptors (sockets included); undefined once it is gone. */
  fds(): number | undefined {
    try {
      return this.running ? readdirSync(`/proc/${this.pid}/fd`).length : undefined;
    } catch {
      return undefined;
    }
  }

  tail(): string {
    return `${this.cli.stdout.slice(-TAIL)}${this.cli.stderr.slice(-TAIL)}`;
  }

  describeExit(): string {
    return `${this.role} (pid ${this.cli.pid}) ended unasked with ${JSON.stringify(this.exit)}:\n${this.tail()}`;
  }
}
