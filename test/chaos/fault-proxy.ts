/**
 * A fault-injecting TCP proxy on loopback, put between an agent and the tower's bolt port. TLS goes
 * through it untouched (mutual TLS stays real); what it changes is the network underneath:
 *
 * - `delay`: every chunk leaves `ms` after it arrived (latency, order kept);
 * - `stall`: nothing is forwarded in one or both directions, and nothing more is read;
 * - `cut()`: both sides get a clean FIN, and whatever is still in flight is thrown away;
 * - `reset()`: both sides get a TCP RST.
 *
 * A mode applies per connection and can be changed at run time; the proxy's mode is what new
 * connections start with, and setting it changes the live ones too.
 */
import net, { type AddressInfo } from 'node:net';
import { FaultLeg, type ProxyClock, realClock } from './fault-leg.js';

/** `up` is client to target (agent to tower), `down` the answer. */
export type Direction = 'up' | 'down' | 'both';

export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'stall'; readonly direction: Direction };

export const PASS: FaultMode = { kind: 'pass' };

export class FaultConnection {
  readonly up: FaultLeg;
  readonly down: FaultLeg;
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;

  constructor(
    readonly client: net.Socket,
    readonly target: net.Socket,
    mode: FaultMode,
    clock: ProxyClock,
  ) {
    this.up = new FaultLeg(client, target, clock);
    this.down = new FaultLeg(target, client, clock);
    this.setMode(mode);
    // An error on one side (a reset, a refused connect) is passed on as a reset to the other.
    client.on('error', () => target.resetAndDestroy());
    target.on('error', () => client.resetAndDestroy());
    const gone = (socket: net.Socket) =>
      new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    this.closed = Promise.all([gone(client), gone(target)]).then(() => {
      this.up.stop();
      this.down.stop();
    });
  }

  setMode(mode: FaultMode): void {
    const delay = mode.kind === 'delay' ? mode.ms : 0;
    this.up.delayMs = delay;
    this.down.delayMs = delay;
    const stalled = mode.kind === 'stall' ? mode.direction : undefined;
    this.up.stall(stalled === 'up' || stalled === 'both');
    this.down.stall(stalled === 'down' || stalled === 'both');
  }

  /** A clean close of both sides, as a middlebox that gives up on the connection would do. */
  cut(): void {
    this.up.drop();
    this.down.drop();
    this.client.end();
    this.target.end();
    // A peer that never answers the FIN must not keep the connection (and this test) alive.
    const timer = setTimeout(() => {
      this.client.destroy();
      this.target.destroy();
    }, 5_000);
    timer.unref();
  }

  reset(): void {
    this.client.resetAndDestroy();
    this.target.resetAndDestroy();
  }
}

export interface FaultProxyOptions {
  readonly targetPort: number;
  readonly targetHost?: string;
  /** Where to listen: 0 (the default) asks the OS. */
  readonly port?: number;
  readonly clock?: ProxyClock;
}

export class FaultProxy {
  private current: FaultMode = PASS;
  private readonly live = new Set<FaultConnection>();
  private readonly listeners = new Set<(connection: FaultConnection) => void>();

  private constructor(
    private readonly server: net.Server,
    private readonly options: FaultProxyOptions,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    // Half-open on both sides, so each direction's FIN is forwarded when its bytes are.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    const proxy = new FaultProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get mode(): FaultMode {
    return this.current;
  }

  /** The connections open now. */
  connections(): readonly FaultConnection[] {
    return [...this.live];
  }

  /** Calls `listener` with every connection accepted from now on; returns the way to stop. */
  onConnection(listener: (connection: FaultConnection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** New connections start in `mode`, and every open one switches to it. */
  setMode(mode: FaultMode): void {
    this.current = mode;
    for (const connection of this.live) connection.setMode(mode);
  }

  cutAll(): void {
    for (const connection of this.live) connection.cut();
  }

  resetAll(): void {
    for (const connection of this.live) connection.reset();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.resetAll();
    await closed;
  }

  private accept(client: net.Socket): void {
    const target = net.connect({
      port: this.options.targetPort,
      host: this.options.targetHost ?? '127.0.0.1',
      allowHalfOpen: true,
      noDelay: true,
    });
    const connection = new FaultConnection(client, target, this.current, this.options.clock ?? realClock);
    this.live.add(connection);
    void connection.closed.then(() => this.live.delete(connection));
    for (const listener of [...this.listeners]) listener(connection);
  }
}
