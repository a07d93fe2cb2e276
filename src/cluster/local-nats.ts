/**
 * A throwaway `nats-server -js` on loopback, for the demo and the bench: a free port, its JetStream
 * store in a fresh temporary folder, stoppable and restartable on the same port and store. Production
 * towers join a NATS deployment of their own (docs/cluster.md); nothing here installs anything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface LocalNats {
  readonly url: string;
  readonly port: number;
  /** Stops the server, keeping its store (a NATS outage). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  close(): Promise<void>;
}

/** The nats-server binary: on PATH, or where Debian puts it (/usr/sbin, off a non-root PATH). */
export function findNatsServer(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/usr/local/bin',
  ];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next folder
    }
  }
  return undefined;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function launch(
  binary: string,
  port: number,
  store: string,
  extra: readonly string[],
): Promise<ChildProcess> {
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      // Logged once the client port accepts connections and JetStream is up.
      if (seen.includes('Server is ready')) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        child.off('exit', onEarlyExit);
        resolve(child);
      }
    };
    const onEarlyExit = (code: number | null) =>
      reject(new Error(`nats-server exited (${code}) before it was ready:\n${seen}`));
    child.stderr?.on('data', onData);
    child.once('exit', onEarlyExit);
    child.once('error', reject);
  });
}

function stopped(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `args` go to nats-server as they are (e.g. `--user`, `--pass`, `--tls` and its files). */
export async function startLocalNats(args: readonly string[] = []): Promise<LocalNats> {
  const binary = findNatsServer();
  if (binary === undefined)
    throw new Error('nats-server is not installed: apt-get install nats-server (.ci/run does it)');
  const store = await mkdtemp(join(tmpdir(), 'stormtower-nats-'));
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined = await launch(binary, port, store, args);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopped(child);
      child = undefined;
    },
    async restart() {
      await stopped(child);
      child = await launch(binary, port, store, args);
    },
    async close() {
      await stopped(child);
      child = undefined;
      await rm(store, { recursive: true, force: true });
    },
  };
}
