/**
 * The outside programs the suite compares against or drives: found on PATH (and the sbin folders,
 * which a non-login root shell may lack), else installed with apt-get. A peer that cannot be had is
 * reported with the reason, and its rows say "skipped: <reason>": nothing is ever faked.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from '../procs/spawn.js';

export type PeerName = 'wrk' | 'nginx' | 'sshd' | 'ssh' | 'ssh-keygen';

export interface Available {
  readonly path: string;
  readonly version: string;
}

/** A usable program, or why there is none. */
export type Peer = Available | { readonly skip: string };

export type Peers = Readonly<Record<PeerName, Peer>>;

const PACKAGE: Record<PeerName, string> = {
  wrk: 'wrk',
  nginx: 'nginx-light',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
};

const VERSION_ARGS: Record<PeerName, readonly string[]> = {
  wrk: ['-v'],
  nginx: ['-v'],
  sshd: ['-V'],
  ssh: ['-V'],
  'ssh-keygen': [],
};

export const isAvailable = (peer: Peer): peer is Available => 'path' in peer;

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The version the program reports ("4.1.0-3+b2", "1.22.1", "9.2p1"), or "" when it has no flag for it. */
async function versionOf(name: PeerName, path: string): Promise<string> {
  if (VERSION_ARGS[name].length === 0) return '';
  const out = await run(path, VERSION_ARGS[name], { unlisted: true, timeoutMs: 5000 });
  // wrk, nginx and OpenSSH print it on their first line, to stdout or stderr, after a name and a "/" or "_".
  const text = `${out.stdout}\n${out.stderr}`;
  return /(?:wrk (?:\S+\/)?|nginx\/|OpenSSH_)(\d+\.\d+[\w.+~-]*)/.exec(text)?.[1] ?? '';
}

async function aptInstall(packages: readonly string[]): Promise<string | undefined> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', ...packages], { env, timeoutMs: 300_000 });
  let result = await install();
  if (result.code !== 0) {
    // A fresh machine may have no package lists yet: fetch them once and try again.
    await run('apt-get', ['update'], { env, timeoutMs: 300_000 });
    result = await install();
  }
  if (result.code === 0) return undefined;
  const last = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).pop() ?? '';
  return `apt-get install ${packages.join(' ')} failed (${last.slice(0, 160)})`;
}

/** Finds every peer, installing the missing ones with apt-get when that is possible. */
export async function findOrInstallPeers(log: (line: string) => void): Promise<Peers> {
  const names = Object.keys(PACKAGE) as PeerName[];
  const missing = names.filter((name) => which(name) === undefined);
  const reasons = new Map<PeerName, string>();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((name) => PACKAGE[name]))];
    if (which('apt-get') === undefined) {
      for (const name of missing) reasons.set(name, `${name} is not installed and apt-get is not available`);
    } else if (process.getuid?.() !== 0) {
      for (const name of missing)
        reasons.set(
          name,
          `${name} is not installed and this is not root (apt-get install -y ${PACKAGE[name]})`,
        );
    } else {
      log(`installing ${packages.join(' ')} with apt-get ...`);
      const failure = await aptInstall(packages);
      for (const name of missing) {
        if (which(name) === undefined)
          reasons.set(name, failure ?? `${name} still missing after installing ${PACKAGE[name]}`);
      }
    }
  }
  const peers = {} as Record<PeerName, Peer>;
  for (const name of names) {
    const path = which(name);
    peers[name] =
      path === undefined
        ? { skip: reasons.get(name) ?? `${name} not found` }
        : { path, version: await versionOf(name, path) };
  }
  return peers;
}
