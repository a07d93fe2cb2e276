/**
 * OpenSSH's reverse tunnel as a contender: a loopback sshd with a throw-away host key and user key,
 * and an "agent" `ssh -N -R` that exposes the upstream on a port of the sshd side, the way a device
 * behind NAT would be reached without stormtower.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { isListening, waitForConnect } from '../procs/ports.js';
import { run, type Spawned, start } from '../procs/spawn.js';
import { waitFor } from '../procs/wait.js';
import { isAvailable, type Peers } from './find-peers.js';

export interface SshTools {
  readonly sshd: string;
  readonly ssh: string;
  readonly sshKeygen: string;
}

/** The three OpenSSH programs, or why one of them is missing. */
export function sshTools(peers: Peers): SshTools | { readonly skip: string } {
  const { sshd, ssh } = peers;
  const sshKeygen = peers['ssh-keygen'];
  if (!isAvailable(sshd)) return { skip: sshd.skip };
  if (!isAvailable(ssh)) return { skip: ssh.skip };
  if (!isAvailable(sshKeygen)) return { skip: sshKeygen.skip };
  return { sshd: sshd.path, ssh: ssh.path, sshKeygen: sshKeygen.path };
}

/** Keep-alive probing: sshd's ClientAlive* and the client's ServerAlive* set alike. */
export interface AliveSettings {
  readonly interval: number;
  readonly countMax: number;
}

export interface Sshd {
  readonly proc: Spawned;
  readonly port: number;
  readonly user: string;
  readonly userKey: string;
  readonly config: string;
}

async function keygen(tools: SshTools, file: string): Promise<void> {
  const out = await run(tools.sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  if (out.code !== 0) throw new Error(`ssh-keygen failed: ${out.stderr.trim()}`);
}

export async function startSshd(
  tools: SshTools,
  dir: string,
  port: number,
  alive?: AliveSettings,
): Promise<Sshd> {
  await mkdir(dir, { recursive: true });
  const hostKey = join(dir, 'host_key');
  const userKey = join(dir, 'user_key');
  await keygen(tools, hostKey);
  await keygen(tools, userKey);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${userKey}.pub`));
  const user = os.userInfo().username;
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp directory is not owned the way StrictModes wants a home directory to be.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'LogLevel ERROR',
    ...(alive ? [`ClientAliveInterval ${alive.interval}`, `ClientAliveCountMax ${alive.countMax}`] : []),
    '',
  ].join('\n');
  const file = join(dir, 'sshd_config');
  await writeFile(file, config);
  // As root, sshd insists on its privilege-separation directory.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const proc = start(tools.sshd, ['-f', file, '-D', '-e'], { group: true });
  try {
    await waitForConnect(port, 10_000);
  } catch (error) {
    await proc.stop();
    throw new Error(`sshd did not start: ${proc.output().trim() || String(error)}`);
  }
  return { proc, port, user, userKey, config };
}

/** `ssh -N -R 127.0.0.1:<tunnelPort>:127.0.0.1:<targetPort>`: resolves once the tunnel listens. */
export async function startTunnel(
  tools: SshTools,
  sshd: Sshd,
  tunnelPort: number,
  targetPort: number,
  alive?: AliveSettings,
): Promise<Spawned> {
  const proc = start(tools.ssh, [
    '-N',
    '-T',
    '-F',
    '/dev/null',
    '-p',
    String(sshd.port),
    '-i',
    sshd.userKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'LogLevel=ERROR',
    ...(alive
      ? ['-o', `ServerAliveInterval=${alive.interval}`, '-o', `ServerAliveCountMax=${alive.countMax}`]
      : []),
    '-R',
    `127.0.0.1:${tunnelPort}:127.0.0.1:${targetPort}`,
    `${sshd.user}@127.0.0.1`,
  ]);
  try {
    await waitFor(
      'the ssh -R tunnel to listen',
      async () => ((await isListening(tunnelPort)) ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`ssh -R did not come up: ${proc.output().trim() || String(error)}`);
  }
  return proc;
}
