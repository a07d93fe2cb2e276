/**
 * The cluster scenario's NATS: the demo's throwaway `nats-server -js` (`startLocalNats()`), its
 * process found in /proc so its RSS and CPU can be read beside the towers', its command listed with
 * the others, and SIGKILLed by pid if the run ends before the scenario could close it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { findNatsServer, type LocalNats, startLocalNats } from '../../src/cluster/local-nats.js';
import { commandLog } from '../procs/command-log.js';

export interface BenchNats {
  readonly url: string;
  /** The nats-server process, when /proc shows it. */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

/** Why the cluster cannot be measured here, if it cannot. */
export const natsMissing = (): string | undefined =>
  findNatsServer() === undefined ? 'nats-server is not installed (Debian package nats-server)' : undefined;

/** The child of this process whose command line is nats-server's with `-p <port>`, and that command line. */
function findChild(port: number): { pid: number; argv: string[] } | undefined {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const at = argv.indexOf('-p');
      if (argv[0]?.endsWith('nats-server') && argv[at + 1] === String(port)) return { pid, argv };
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

export async function startNats(): Promise<BenchNats> {
  const nats: LocalNats = await startLocalNats();
  const found = findChild(nats.port);
  if (found) commandLog.record(found.argv);
  const killNow = () => {
    if (found === undefined) return;
    try {
      process.kill(found.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.on('exit', killNow);
  return {
    url: nats.url,
    pid: found?.pid,
    async close() {
      process.off('exit', killNow);
      await nats.close();
    },
  };
}
