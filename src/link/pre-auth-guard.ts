/**
 * The door of a TLS listener, for peers that have not yet proven who they are: it caps the
 * connections still authenticating (per listener and per remote address) and closes each one that
 * has not authenticated in time: the TLS handshake, then, where identity is checked in HTTP (the bolt
 * port), the upgrade request.
 *
 * Node does not do this for us: its `handshakeTimeout` (120 s by default) only emits `tlsClientError`
 * and leaves the socket open, so a silent peer would hold its descriptor for as long as it liked.
 * A connection over a cap is dropped at once; every limit hit is logged once per address.
 */
import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';

export interface PreAuthLimits {
  /** Milliseconds from accepting a connection to the end of its TLS handshake. */
  readonly handshakeTimeoutMs: number;
  /** Milliseconds from the TLS handshake to an accepted upgrade; absent where TLS alone authenticates. */
  readonly upgradeTimeoutMs?: number;
  /** Connections still authenticating on this listener. */
  readonly limit: number;
  /** Connections still authenticating from one remote address (many agents may share a NAT address). */
  readonly limitPerAddress: number;
}

/** The tower's defaults (its settings repeat them); no upgrade deadline: that is the bolt port's own. */
export const DEFAULT_PRE_AUTH_LIMITS: PreAuthLimits = {
  handshakeTimeoutMs: 10_000,
  limit: 256,
  limitPerAddress: 128,
};

/** One connection not yet authenticated: its phase picks the deadline that is running. */
interface Pending {
  readonly raw: Socket;
  readonly address: string;
  phase: 'handshake' | 'upgrade';
  timer: NodeJS.Timeout;
  secure?: TLSSocket;
}

type Endpoints = Pick<Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>;

// The raw socket a TLS server accepts and the TLSSocket it wraps it in are different objects, and Node
// links them only privately; their four endpoints are the same and name one live connection.
const connectionKey = (s: Endpoints): string =>
  `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;

export class PreAuthGuard {
  private readonly pending = new Map<string, Pending>();
  private readonly perAddress = new Map<string, number>();
  private readonly limitLog: LimitLog;

  constructor(
    private readonly limits: PreAuthLimits,
    log: Logger,
    private readonly names: {
      /** The listener, as log lines name it: `bolt` or `legacy`. */
      readonly listener: string;
      /** The message of a line about a peer refused during TLS. */
      readonly refused: string;
    },
  ) {
    this.limitLog = new LimitLog(log);
  }

  /**
   * Guards `server` (created with `rejectUnauthorized: false`, see `secured`): admits or drops each
   * connection, and closes one that fails during TLS with a line naming it.
   */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      // Closed before TLS finished: the peer left, or this guard closed it and said so once per address.
      // Node no longer knows the address then, so a line would name no one.
      if (error.code === 'ECONNRESET') return;
      this.refused(socket.remoteAddress, error.code ?? 'tls', { reason: error.message }, this.names.refused);
      // Node leaves some of these sockets open (a handshake timeout, for one) when this event has a listener.
      socket.destroy();
    });
  }

  /**
   * The TLS handshake is done. Returns false, having closed the socket with a line, when the certificate
   * does not chain to the CA: Node's `rejectUnauthorized` would also close it only now, after the
   * handshake, but silently, leaving a bare "socket hang up". Otherwise the upgrade deadline starts
   * or, with none, the connection leaves the guard.
   */
  secured(socket: TLSSocket): boolean {
    if (!socket.authorized) {
      this.refused(socket.remoteAddress, String(socket.authorizationError), {}, this.names.refused);
      socket.destroy();
      return false;
    }
    const upgradeMs = this.limits.upgradeTimeoutMs;
    const key = connectionKey(socket);
    const entry = this.pending.get(key);
    if (upgradeMs === undefined || !entry) {
      this.authenticated(socket);
      return true;
    }
    clearTimeout(entry.timer);
    entry.phase = 'upgrade';
    entry.secure = socket;
    entry.timer = this.deadline(key, upgradeMs);
    return true;
  }

  /** The peer has shown its identity (accepted or refused): it no longer counts, and no deadline runs. */
  authenticated(socket: TLSSocket): void {
    const key = connectionKey(socket);
    const entry = this.pending.get(key);
    if (entry) this.release(key, entry);
  }

  /**
   * Logs a refused peer (bad TLS, a certificate that is not an agent's, a wrong path): once per address
   * and reason in a window, so a peer that keeps redialling cannot grow the log faster than that.
   */
  refused(remote: string | undefined, code: string, fields: Record<string, unknown>, message: string): void {
    const address = remote ?? 'unknown';
    this.limitLog.once(address, `refused:${code}`, { remote: address, code, ...fields }, message);
  }

  /** Closes every connection still authenticating (the listener is shutting down). */
  close(): void {
    for (const entry of [...this.pending.values()]) entry.raw.destroy();
  }

  private admit(raw: Socket): void {
    const address = raw.remoteAddress;
    if (address === undefined) {
      raw.destroy(); // reset before we saw it
      return;
    }
    const fromAddress = this.perAddress.get(address) ?? 0;
    const full = this.pending.size >= this.limits.limit;
    if (full || fromAddress >= this.limits.limitPerAddress) {
      const [limit, message] = full
        ? ['handshakeLimit', 'connection dropped: too many handshakes in progress on this listener']
        : [
            'handshakeLimitPerAddress',
            'connection dropped: too many handshakes in progress from this address',
          ];
      this.limitLog.hit(address, limit, { remote: address, listener: this.names.listener }, message);
      raw.destroy();
      return;
    }
    const key = connectionKey(raw);
    const timer = this.deadline(key, this.limits.handshakeTimeoutMs);
    const entry: Pending = { raw, address, phase: 'handshake', timer };
    this.pending.set(key, entry);
    this.perAddress.set(address, fromAddress + 1);
    raw.once('close', () => {
      if (this.pending.get(key) === entry) this.release(key, entry);
    });
  }

  /** Closes the connection `key` names if it is still authenticating after `ms`. */
  private deadline(key: string, ms: number): NodeJS.Timeout {
    // A deadline is no reason to keep the process alive.
    return setTimeout(() => this.expire(key), ms).unref();
  }

  private expire(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    const [limit, message] =
      entry.phase === 'handshake'
        ? ['tlsHandshakeTimeout', 'connection closed: TLS handshake not finished in time']
        : ['upgradeTimeout', 'connection closed: upgrade request not finished in time'];
    this.limitLog.hit(
      entry.address,
      limit,
      { remote: entry.address, listener: this.names.listener },
      message,
    );
    (entry.secure ?? entry.raw).destroy();
  }

  private release(key: string, entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(key);
    const left = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(entry.address, left);
    else this.perAddress.delete(entry.address);
  }
}
