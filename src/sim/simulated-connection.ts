/**
 * One simulated agent's bolt, kept up forever like a real agent's, but with every dial (the first
 * and each reconnect) passing through the simulator's handshake gate.
 *
 * The bolt client reconnects by itself on its own timer, which the gate cannot see. So each time a
 * client gives up (`retrying`, after a failed dial or a lost bolt), that client is closed and a new
 * one dials through the gate after the same jittered backoff the client would have used: exponential
 * from 0.5 s up to 30 s, reset by a successful connection. Like a real agent's next dial, the new
 * client leaves out the tower just lost or failed, when there is another: a fresh client would
 * otherwise pick among all of them, the dead tower too.
 */
import type { SecureContext } from 'node:tls';
import { backoffDelay } from '../bolt/agent/backoff.js';
import {
  type BoltClient,
  type BoltClientOptions,
  connectBolt,
  towerUrl,
} from '../bolt/agent/connect-bolt.js';
import type { HandshakeGate } from './handshake-gate.js';

/** The bolt client's own defaults (`minBackoff`, `maxBackoff`), so simulated agents back off alike. */
const BACKOFF = { baseMs: 500, capMs: 30_000 } as const;

export class SimulatedConnection {
  /** Resolves when the first bolt is up. */
  readonly firstConnected: Promise<void>;
  private client: BoltClient | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private markConnected: () => void = () => {};
  private secureContext: SecureContext | undefined;
  /** The tower of the last lost bolt or failed dial (`wss://host:port/bolt`). */
  private lastFailed: string | undefined;

  constructor(
    private readonly options: BoltClientOptions,
    private readonly gate: HandshakeGate,
  ) {
    this.firstConnected = new Promise((resolve) => {
      this.markConnected = resolve;
    });
  }

  /** The current bolt client, if a dial has started and not been given up. */
  get current(): BoltClient | undefined {
    return this.client;
  }

  /** Queues the first dial. */
  start(): void {
    void this.dial();
  }

  /** Stops reconnecting and closes the bolt. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.client?.close();
  }

  private async dial(): Promise<void> {
    const release = await this.gate.enter();
    if (this.stopped) return release();
    // The first client's parsed TLS context serves every later one: a restart re-dials thousands at once.
    const client = connectBolt({
      ...this.options,
      towers: this.towersToTry(),
      ...(this.secureContext ? { secureContext: this.secureContext } : {}),
    });
    this.client = client;
    client.once('connected', () => {
      release();
      this.attempt = 0;
      this.markConnected();
    });
    client.once('retrying', ({ url }) => {
      release();
      this.lastFailed = url;
      this.secureContext ??= client.tlsContext;
      this.client = undefined;
      // After the client's own `retry` has returned, so closing it also clears the timer it set.
      queueMicrotask(() => void client.close());
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => void this.dial(), backoffDelay(this.attempt++, BACKOFF));
    });
  }

  /** Every tower but the last one that failed, unless it is the only one. */
  private towersToTry(): readonly string[] {
    const others = this.options.towers.filter((tower) => towerUrl(tower) !== this.lastFailed);
    return others.length > 0 ? others : this.options.towers;
  }
}
