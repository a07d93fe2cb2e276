/**
 * Real parts for end-to-end tests: a tower on loopback (ports chosen by the OS), agents with
 * certificates from the fixture PKI, and local HTTP services behind them. Everything started here
 * is stopped by `closeAll()`.
 */
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  type BoltClient,
  type BoltClientEvents,
  type BoltClientOptions,
  connectBolt,
} from '../../src/bolt/agent/connect-bolt.js';
import { encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import { FrameType } from '../../src/bolt/protocol/frames.js';
import { towerConfigSchema } from '../../src/config/tower-config.js';
import { type Logger, silentLogger } from '../../src/log/logger.js';
import { type RunningTower, startTower, type TowerSettings } from '../../src/tower.js';
import { type CertKey, testPki } from './pki.js';

const closers: (() => Promise<void>)[] = [];

export async function closeAll(): Promise<void> {
  const pending = closers.splice(0).reverse();
  for (const close of pending) await close().catch(() => {});
}

/** A tower on loopback; `log` receives its log lines (silent by default, see `log-capture.ts`). */
export async function tower(
  settings: Partial<TowerSettings> = {},
  log: Logger = silentLogger(),
): Promise<RunningTower> {
  const pki = await testPki();
  const running = await startTower(
    {
      ...towerConfigSchema.parse({}),
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
    log,
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
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
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

/** A loopback port with nothing listening on it (bound once by the OS, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Resolves with the first `event` the client emits after this call. */
export function nextEvent<E extends keyof BoltClientEvents>(
  client: BoltClient,
  event: E,
): Promise<BoltClientEvents[E][0]> {
  return new Promise((resolve) => {
    (client as EventEmitter).once(event, (value: BoltClientEvents[E][0]) => resolve(value));
  });
}

/** Every `event` the client emits from now on, in order. */
export function collect<E extends keyof BoltClientEvents>(
  client: BoltClient,
  event: E,
): BoltClientEvents[E][0][] {
  const seen: BoltClientEvents[E][0][] = [];
  (client as EventEmitter).on(event, (value: BoltClientEvents[E][0]) => seen.push(value));
  return seen;
}

/** One Hello frame as a whole WebSocket message, the first thing an agent sends. */
export const helloMessage = (ports: readonly number[]): Buffer =>
  joinFrames([encodeFrame(FrameType.Hello, 0, 0, Buffer.from(JSON.stringify({ v: 1, ports })))]);

export interface RawSocketOptions {
  /** The client certificate to present; `null` presents none. Defaults to a fresh one for `cname`. */
  identity?: CertKey | null;
  cname?: string;
  /** Request path on the bolt port (default `/bolt`). */
  path?: string;
}

/**
 * A bare `ws` client on the bolt port, for peers `connectBolt` cannot play: no certificate, a wrong
 * path, a peer that never answers, or one that sends garbage. Not yet open when returned.
 */
export async function rawSocket(running: RunningTower, options: RawSocketOptions = {}): Promise<WebSocket> {
  const pki = await testPki();
  const identity =
    options.identity === undefined ? await pki.client(options.cname ?? 'raw-peer') : options.identity;
  const socket = new WebSocket(`${running.boltUrl}${options.path ?? '/bolt'}`, {
    ca: pki.ca,
    ...(identity ? { cert: identity.cert, key: identity.key } : {}),
    perMessageDeflate: false,
    handshakeTimeout: 5_000,
  });
  // A refused or broken socket reports through 'error'; the tests look at how it ended instead.
  socket.on('error', () => {});
  closers.push(async () => socket.terminate());
  return socket;
}

export type RawOutcome = { open: true } | { status: number } | { error: string };

/** How a raw socket's opening ended: open, refused with an HTTP status, or failed (TLS, reset). */
export function rawOutcome(socket: WebSocket): Promise<RawOutcome> {
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ open: true }));
    socket.once('unexpected-response', (request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      request.destroy();
    });
    socket.once('error', (error) => resolve({ error: error.message }));
    socket.once('close', (code) => resolve({ error: `closed with ${code}` }));
  });
}

/** Resolves with the close code and reason once the socket has closed. */
export function rawClosed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: 'already closed' });
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
}

/** A raw peer with a valid certificate that has sent its Hello and is listed by the tower. */
export async function rawBolt(running: RunningTower, cname: string, ports: readonly number[] = [1234]) {
  const socket = await rawSocket(running, { cname });
  const outcome = await rawOutcome(socket);
  if (!('open' in outcome)) throw new Error(`raw bolt did not open: ${JSON.stringify(outcome)}`);
  socket.send(helloMessage(ports));
  await announced(running, cname);
  return socket;
}

/** `fetch` against the tower's API. */
export const api = (running: RunningTower, path: string, init?: RequestInit): Promise<Response> =>
  fetch(`${running.apiUrl}${path}`, init);

/** The API's error body, checked for shape. */
export interface ApiErrorBody {
  error: string;
  message: string;
}

/** Registers `close` to run in `closeAll()`, in reverse order with everything else started here. */
export function onCloseAll(close: () => Promise<void>): void {
  closers.push(close);
}

/** A fresh directory under the system's temp dir, removed in `closeAll()`. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onCloseAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
