/**
 * The agent's bolt client: dials out to its towers, announces its capability, answers the heartbeat
 * and serves relay streams, and reconnects after any loss to another of its towers at random, forever.
 *
 * Usable as a library (`connectBolt`), which the CLI's `agent` command and the fleet simulator use.
 */
import { EventEmitter } from 'node:events';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Agent } from 'undici';
import { BoltSession } from '../mux/bolt-session.js';
import { closeCodeFor, ErrorCode } from '../protocol/frames.js';
import { encodeJson } from '../protocol/heads.js';
import { parseRedialHint, redialDelay } from '../protocol/redial-hint.js';
import { dialLink } from '../ws-link.js';
import { backoffDelay } from './backoff.js';
import { type LocalResponder, serveFromMemory } from './local-responder.js';
import type { RelayRecorder } from './relay-record.js';
import { localAgent, serveRelayStream } from './relay-server.js';

export interface BoltClientOptions {
  /**
   * Tower bolt URLs, `wss://host:port` (the `/bolt` path is added when missing): a random one first,
   * then after each loss or failed dial any other one at random.
   */
  readonly towers: readonly string[];
  /** PEM client certificate, key and the CA that signed the tower's certificate. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer;
  /**
   * The three above, already parsed (`tls.createSecureContext({ ca, cert, key })`): one who makes a
   * new client per dial, as the fleet simulator does, shares one instead of parsing per client.
   */
  readonly secureContext?: SecureContext;
  /** Local ports the tower may reach. */
  readonly allow: readonly number[];
  /** Seconds between heartbeats and of silence before the bolt is dropped. */
  readonly beaconInterval?: number;
  readonly beaconValidity?: number;
  /** Bytes of output the tower may leave untaken before the bolt is dropped and redialled (4 MiB). */
  readonly outputBacklogLimit?: number;
  /** Seconds: the cap on reconnect delay (default 30) and the first delay (default 0.5). */
  readonly maxBackoff?: number;
  readonly minBackoff?: number;
  /** Seconds allowed for TCP + TLS + upgrade. */
  readonly handshakeTimeout?: number;
  /** Host that relayed requests go to (default 127.0.0.1). */
  readonly localHost?: string;
  readonly agentName?: string;
  /** Told about each relayed request served from a local port, once it is over (the agent's log). */
  readonly onRelayed?: RelayRecorder;
  /** Answer relayed requests from memory instead of 127.0.0.1 (the fleet simulator). */
  readonly respond?: LocalResponder;
  /** Where tower choices draw from (tests make them repeatable); Math.random by default. */
  readonly random?: () => number;
}

export interface BoltClientEvents {
  connected: [{ url: string }];
  disconnected: [{ url: string; code: number; reason: string }];
  /** The bolt is down (a failed dial or a lost bolt); the next dial is scheduled. */
  retrying: [{ url: string; error: Error; retryInMs: number }];
  /**
   * The tower refused the bolt (4015): another agent with this certificate's cname is connected to
   * it and alive. The next dial waits the longest backoff, `retryInMs`.
   */
  conflict: [{ url: string; retryInMs: number }];
  /**
   * The tower revoked this agent's certificate (4017): every redial with it is refused at the
   * handshake until the agent has a new one, so the next dial waits the longest backoff, `retryInMs`.
   */
  revoked: [{ url: string; retryInMs: number }];
  /**
   * The tower is draining (4014 with a redial hint): the next dial waits `retryInMs`, a random delay
   * within the `spreadMs` the tower asked for, instead of the usual backoff.
   */
  redial: [{ url: string; spreadMs: number; retryInMs: number }];
}

const CONFLICT_CLOSE = closeCodeFor(ErrorCode.Conflict);
const GOING_AWAY_CLOSE = closeCodeFor(ErrorCode.GoingAway);
const REVOKED_CLOSE = closeCodeFor(ErrorCode.Revoked);

export class BoltClient extends EventEmitter<BoltClientEvents> {
  private session: BoltSession | undefined;
  private stopped = false;
  private attempt = 0;
  /** Index of the tower dialled next: a random one first, so a fleet spreads over its towers. */
  private next: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly localPool: Agent = localAgent();
  private readonly allowed: ReadonlySet<number>;
  /** Parsed on the first dial: a bad certificate then fails that dial, like any other dial error. */
  private secureContext: SecureContext | undefined;

  constructor(private readonly options: BoltClientOptions) {
    super();
    if (options.towers.length === 0) throw new Error('connectBolt needs at least one tower URL');
    // The tower refuses a longer name and would close every bolt this client opens.
    if ((options.agentName?.length ?? 0) > 256) throw new Error('agentName must be at most 256 characters');
    this.allowed = new Set(options.allow);
    this.next = Math.floor(this.random() * options.towers.length);
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /**
   * After a dial to tower `index`, the next one: any other tower, at random. Agents that lost the
   * same tower then spread over the survivors instead of all moving to the one listed after it.
   */
  private advance(index: number): void {
    const count = this.options.towers.length;
    this.next = count === 1 ? 0 : (index + 1 + Math.floor(this.random() * (count - 1))) % count;
  }

  /** The parsed certificate, key and CA, once the first dial has built them. */
  get tlsContext(): SecureContext | undefined {
    return this.secureContext;
  }

  get connected(): boolean {
    return this.session !== undefined && !this.session.isClosed;
  }

  /** Bytes sent to the tower that it has not taken yet; 0 while no bolt is up. */
  get outputBacklog(): number {
    return this.session?.outputBacklog ?? 0;
  }

  /** Starts dialling; called by `connectBolt`. */
  start(): void {
    void this.dial();
  }

  /** Stops reconnecting and closes the bolt. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const session = this.session;
    if (session && !session.isClosed) {
      const closed = new Promise<void>((resolve) => this.once('disconnected', () => resolve()));
      session.close(ErrorCode.GoingAway, 'agent shutting down');
      await closed;
    }
    await this.localPool.destroy();
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    const index = this.next % this.options.towers.length;
    const url = towerUrl(this.options.towers[index] ?? '');
    this.advance(index);
    try {
      const { ca, cert, key } = this.options;
      this.secureContext ??= this.options.secureContext ?? createSecureContext({ ca, cert, key });
      const link = await dialLink(url, {
        secureContext: this.secureContext,
        handshakeTimeoutMs: (this.options.handshakeTimeout ?? 10) * 1000,
      });
      if (this.stopped) {
        link.close(closeCodeFor(ErrorCode.GoingAway), 'agent shutting down', false);
        return;
      }
      this.attach(url, link);
    } catch (error) {
      this.retry(url, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private attach(url: string, link: Awaited<ReturnType<typeof dialLink>>): void {
    this.attempt = 0;
    const session = new BoltSession(link, {
      role: 'agent',
      beaconIntervalMs: (this.options.beaconInterval ?? 10) * 1000,
      beaconValidityMs: (this.options.beaconValidity ?? 45) * 1000,
      maxOutputBacklog: this.options.outputBacklogLimit,
      onRequest: (stream, head, endStream) =>
        this.options.respond
          ? serveFromMemory(stream, head, this.allowed, this.options.respond)
          : serveRelayStream(stream, head, endStream, {
              allowedPorts: this.allowed,
              agent: this.localPool,
              ...(this.options.localHost ? { host: this.options.localHost } : {}),
              ...(this.options.onRelayed ? { onRelayed: this.options.onRelayed } : {}),
            }),
      onClose: (code, reason) => {
        if (this.session === session) this.session = undefined;
        this.emit('disconnected', { url, code, reason });
        if (this.stopped) return;
        const error = new Error(`bolt closed (${code}): ${reason}`);
        const spreadMs = code === GOING_AWAY_CLOSE ? parseRedialHint(reason) : undefined;
        if (spreadMs !== undefined) {
          // A draining tower: spread the fleet's redials over what it asked, not the first backoff step.
          const retryInMs = redialDelay(spreadMs, this.minBackoffMs, () => this.random());
          this.emit('redial', { url, spreadMs, retryInMs });
          return this.retry(url, error, retryInMs);
        }
        if (code !== CONFLICT_CLOSE && code !== REVOKED_CLOSE) return this.retry(url, error);
        // Redialling sooner would only be refused again: the other agent is alive and beaconing, or
        // the certificate stays revoked.
        const retryInMs = this.maxBackoffMs;
        this.emit(code === CONFLICT_CLOSE ? 'conflict' : 'revoked', { url, retryInMs });
        this.retry(url, error, retryInMs);
      },
    });
    link.listen({
      message: (data) => {
        try {
          session.receive(data);
        } catch {
          // The session already closed the bolt with a coded reason; the reconnect loop takes over.
        }
      },
      close: (code, reason) => session.linkClosed(code, reason),
    });
    this.session = session;
    session.hello(
      encodeJson({ v: 1, ports: [...this.allowed], agent: this.options.agentName ?? 'stormtower-agent' }),
    );
    this.emit('connected', { url });
  }

  private get maxBackoffMs(): number {
    return (this.options.maxBackoff ?? 30) * 1000;
  }

  private get minBackoffMs(): number {
    return (this.options.minBackoff ?? 0.5) * 1000;
  }

  /** Schedules the next dial after `delayMs`, or after the next backoff step. */
  private retry(url: string, error: Error, delayMs?: number): void {
    if (this.stopped) return;
    const retryInMs =
      delayMs ??
      backoffDelay(this.attempt++, {
        baseMs: this.minBackoffMs,
        capMs: this.maxBackoffMs,
      });
    this.emit('retrying', { url, error, retryInMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.dial(), retryInMs);
  }
}

/** Accepts `wss://host:port` and `wss://host:port/bolt` alike. */
export function towerUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/bolt';
  return parsed.toString();
}

export function connectBolt(options: BoltClientOptions): BoltClient {
  const client = new BoltClient(options);
  client.start();
  return client;
}
