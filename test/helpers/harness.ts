/**
 * Real parts for end-to-end tests: a tower on loopback (ports chosen by the OS), agents with
 * certificates from the fixture PKI, and local HTTP services behind them. Everything started here
 * is stopped by `closeAll()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BoltClient, type BoltClientOptions, connectBolt } from '../../src/bolt/agent/connect-bolt.js';
import { silentLogger } from '../../src/log/logger.js';
import { type RunningTower, startTower, type TowerSettings } from '../../src/tower.js';
import { type CertKey, testPki } from './pki.js';

const closers: (() => Promise<void>)[] = [];

export async function closeAll(): Promise<void> {
  const pending = closers.splice(0).reverse();
  for (const close of pending) await close().catch(() => {});
}

export async function tower(settings: Partial<TowerSettings> = {}): Promise<RunningTower> {
  const pki = await testPki();
  const running = await startTower(
    {
      boltHost: '127.0.0.1',
      boltPort: 0,
      apiHost: '127.0.0.1',
      apiPort: 0,
      beaconInterval: 1,
      beaconValidity: 5,
      relayTimeout: 5,
      apiToken: undefined,
      ...settings,
    },
    { ca: pki.ca, cert: pki.cert, key: pki.key },
    silentLogger(),
  );
  closers.push(() => running.close());
  return running;
}

export async function agent(
  towerUrl: string,
  cname: string,
  allow: number[],
  options: Partial<BoltClientOptions> & { identity?: CertKey } = {},
): Promise<BoltClient> {
  const pki = await testPki();
  const identity = options.identity ?? (await pki.client(cname));
  const client = connectBolt({
    towers: [towerUrl],
    ca: pki.ca,
    cert: identity.cert,
    key: identity.key,
    allow,
    beaconInterval: 1,
    beaconValidity: 5,
    minBackoff: 0.05,
    maxBackoff: 0.5,
    ...options,
  });
  closers.push(() => client.close());
  return client;
}

/** A local HTTP service on loopback; returns its port. */
export async function service(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves when the tower lists `cname` with an announced capability. */
export function announced(running: RunningTower, cname: string) {
  return eventually(() => {
    const bolt = running.table.get(cname);
    return bolt?.ports ? bolt : undefined;
  });
}
