/**
 * One legacy agent's TLS connection, start to end: line framing and the multiplex over the socket,
 * the capability exchange, the beacon once ready, relays, and every way the connection ends.
 *
 * Fixes the original's quirks: an agent that never sends its capability is closed after
 * `capabilityTimeoutMs` instead of lingering unmonitored, and a bad line or a broken limit closes
 * this connection only, with one log line naming the agent. An agent that stops reading is closed
 * with Backlog, as a WebSocket bolt is: past `maxWriteBacklogBytes` queued, or once the queue has
 * not moved for the validity window.
 */
import type { Socket } from 'node:net';
import type { CloseReason } from '../link/close-reason.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../link/relay.js';
import type { Logger } from '../log/logger.js';
import { BeaconChannel } from './beacon-channel.js';
import { answerCapability, askCapability, CAPABILITY, type LegacyDialect } from './capability-channel.js';
import { HeartbeatChannel } from './heartbeat-channel.js';
import { LegacyProtocolError } from './legacy-error.js';
import type { LegacyLimits } from './legacy-limits.js';
import type { LegacyStream } from './legacy-stream.js';
import { encodeLine, LineDecoder } from './line-codec.js';
import { MuxDemuxSession } from './mux-demux-session.js';
import { RELAY_PREFIX, relayOverMux } from './relay-channel.js';

export interface LegacyConnectionOptions {
  /** The list the tower answers an agent's capability with; agents store it and never use it. */
  readonly towerPorts: readonly number[];
  readonly beaconValidityMs: number;
  /** How often a cloudflash-bolt 0.3 agent is asked for a heartbeat (the tower's beaconInterval). */
  readonly heartbeatIntervalMs: number;
  readonly capabilityTimeoutMs: number;
  readonly limits: LegacyLimits;
}

export interface LegacyConnectionHooks {
  /** Every port list the agent sends; the first one makes the connection ready. */
  capability(ports: readonly number[]): void;
  /** Called once, whoever ended the connection; Backlog when the agent stopped reading. */
  closed(reason: CloseReason, detail: string): void;
  /** The agent broke the protocol (the connection is closing): for a log line, throttled per agent. */
  rejected(fields: { readonly error: string; readonly reason: string }): void;
}

// How long a graceful close waits for the agent to take our FIN before the socket is destroyed.
const END_GRACE_MS = 1000;

export class LegacyConnection {
  private readonly decoder: LineDecoder;
  private readonly session: MuxDemuxSession;
  /** The agent's liveness channel, chosen by the dialect of its first capability. */
  private liveness: BeaconChannel | HeartbeatChannel | undefined;
  private readonly capabilityTimer: NodeJS.Timeout;
  private ready = false;
  private ports: readonly number[] = [];
  private closed = false;
  /** When the socket's write queue last moved (a write confirmed, or the queue filling anew). */
  private outputMovedAt = 0;
  private readonly outputMoved = () => {
    this.outputMovedAt = Date.now();
  };
  /** When the agent last sent anything (ms since the epoch), as the WebSocket heartbeat counts life. */
  private heardAt = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly options: LegacyConnectionOptions,
    private readonly hooks: LegacyConnectionHooks,
    private readonly log: Logger,
  ) {
    this.decoder = new LineDecoder(options.limits.maxLineBytes);
    this.session = new MuxDemuxSession({
      maxOpenStreams: options.limits.maxOpenStreams,
      maxPeerStreams: options.limits.maxPeerStreams,
      send: (frame) => this.send(encodeLine(frame)),
      accept: (stream) => this.accept(stream),
    });
    this.capabilityTimer = setTimeout(
      () => this.close('capability-timeout', `no capability within ${options.capabilityTimeoutMs} ms`, true),
      options.capabilityTimeoutMs,
    );

    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => log.debug({ err: error }, 'legacy bolt socket error'));
    socket.on('close', () => this.finish('closed', 'connection lost'));

    askCapability(this.session, (ports, dialect) => this.announce(ports, dialect));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get lastHeardAt(): number {
    return this.heardAt;
  }

  /** Relays in flight, body streaming included; 0 when idle. */
  get relaysInFlight(): number {
    return this.session.countOpen(RELAY_PREFIX);
  }

  /** Bytes written to the socket that the kernel has not taken yet: the agent is behind by at least that. */
  get outputBacklog(): number {
    return this.socket.writableLength;
  }

  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    return relayOverMux(this.session, this.options.limits, port, request, options);
  }

  /**
   * Closes the connection (idempotent). `force` drops the socket at once, for a peer presumed gone
   * or misbehaving; otherwise it is ended and given a moment to flush.
   */
  close(reason: CloseReason, detail: string, force = false): void {
    if (this.closed) return;
    this.finish(reason, detail);
    if (force) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  private receive(chunk: Buffer): void {
    this.heardAt = Date.now();
    try {
      for (const value of this.decoder.push(chunk)) {
        if (this.closed) return;
        this.session.receive(value);
      }
    } catch (error) {
      if (error instanceof LegacyProtocolError) {
        this.reject(error);
        return;
      }
      // A bug of ours, not the agent's; still this connection only.
      this.log.error({ err: error }, 'legacy bolt: internal error');
      this.close('internal', 'internal error', true);
    }
  }

  private reject(error: LegacyProtocolError): void {
    this.hooks.rejected({ error: error.code, reason: error.message });
    this.close('protocol', error.message, true);
  }

  private send(line: string): void {
    if (this.closed) return;
    if (this.socket.writableLength === 0) this.outputMovedAt = Date.now();
    this.socket.write(line, this.outputMoved);
    const limit = this.options.limits.maxWriteBacklogBytes;
    // Not `reject`: the listener logs a backlog once per agent, not once per connection.
    if (this.socket.writableLength > limit) {
      this.close('backlog', `over ${limit} bytes of output wait for the agent to read them`, true);
    }
  }

  private accept(stream: LegacyStream): void {
    if (stream.meta === CAPABILITY) {
      answerCapability(stream, this.options.towerPorts);
      return;
    }
    // Agents open only `capability`; an agent-opened beacon or relay (which the original tower
    // would have served, even relaying into its own localhost) is ended at once, like any unknown label.
    this.log.debug({ meta: stream.meta }, 'legacy bolt: ended a stream the agent opened');
    stream.end();
  }

  private announce(ports: readonly number[], dialect: LegacyDialect): void {
    if (this.closed) return;
    if (this.ready) {
      // Each data frame replaces the list; one repeating its list changes nothing worth announcing.
      if (ports.length === this.ports.length && ports.every((port, i) => port === this.ports[i])) return;
    } else {
      this.ready = true;
      clearTimeout(this.capabilityTimer);
      this.startLiveness(dialect);
    }
    this.ports = ports;
    this.hooks.capability(ports);
  }

  private startLiveness(dialect: LegacyDialect): void {
    const silence = dialect === 'cloudflash' ? 'heartbeat' : 'beacon';
    const watch = {
      expire: (silentMs: number) => this.close('expired', `expired: no ${silence} for ${silentMs} ms`, true),
      outputStuckSince: () => (this.socket.writableLength > 0 ? this.outputMovedAt : undefined),
      stalled: (stuckMs: number) =>
        this.close('backlog', `the agent took none of its output for ${stuckMs} ms`, true),
    };
    const { beaconValidityMs, heartbeatIntervalMs } = this.options;
    if (dialect === 'cloudflash') {
      this.log.info(
        { dialect: 'cloudflash-bolt 0.3' },
        'legacy bolt speaks cloudflash-bolt 0.3: forwardingPorts capability, heartbeats instead of beacons',
      );
      this.liveness = new HeartbeatChannel(heartbeatIntervalMs, beaconValidityMs, watch);
    } else {
      this.liveness = new BeaconChannel(beaconValidityMs, watch);
    }
    this.liveness.start(this.session);
  }

  private finish(reason: CloseReason, detail: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.capabilityTimer);
    this.liveness?.stop();
    this.session.lost();
    this.hooks.closed(reason, detail);
  }
}
