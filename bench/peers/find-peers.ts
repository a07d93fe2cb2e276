/**
 * The outside programs the suite compares against or drives, found on PATH (and the sbin folders,
 * which a non-login root shell may lack). The bench never installs anything: a missing peer is
 * reported with the Debian package that provides it, and its rows say "skipped: <reason>".
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

/** The Debian package of each peer; `.ci/run` installs these before the quick bench. */
export const PEER_PACKAGE: Readonly<Record<PeerName, string>> = {
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

/** Why a peer is skipped: names the package so the reader knows what to install. */
export const notInstalled = (name: PeerName): string =>
  `${name} is not installed (Debian package ${PEER_PACKAGE[name]})`;

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

/** Finds every peer; a missing one is logged once and comes back as a skip reason. */
export async function findPeers(log: (line: string) => void): Promise<Peers> {
  const peers = {} as Record<PeerName, Peer>;
  for (const name of Object.keys(PEER_PACKAGE) as PeerName[]) {
    const path = which(name);
    if (path === undefined) {
      peers[name] = { skip: notInstalled(name) };
      log(`skipping what needs ${name}: ${notInstalled(name)}`);
    } else peers[name] = { path, version: await versionOf(name, path) };
  }
  return peers;
}
