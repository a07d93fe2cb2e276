/**
 * The tower's bolt listener: HTTPS that upgrades `/bolt` to a WebSocket only for agents presenting a
 * client certificate chained to the tower's CA, with a valid cname as its CN.
 *
 * A missing, foreign or expired certificate is refused as soon as TLS finishes; the upgrade handler
 * then applies the identity rule before any WebSocket exists. Every refusal is one log line, nothing
 * more. Until the upgrade, a connection is under the pre-auth guard: capped, and closed past deadlines.
 *
 * It is a TLS server handing its sockets to a plain HTTP server rather than `https.createServer`,
 * because HTTPS always offers ALPN, and Node's per-connection copy of the ALPN list pins a pooled
 * buffer slab for as long as the bolt lives. Bolts speak HTTP/1.1 only and need no ALPN.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { AgentCertificateRule } from '../../certs/agent-certificate.js';
import type { BoltTable } from '../../link/bolt-table.js';
import { CapabilityGate, CapabilityRules } from '../../link/capability-gate.js';
import { endingLevel } from '../../link/close-reason.js';
import { listenOn, peerIdentity } from '../../link/peer-identity.js';
import { PreAuthGuard, type PreAuthLimits } from '../../link/pre-auth-guard.js';
import type { RevocationGate } from '../../link/revocation-gate.js';
import { stopAccepting } from '../../link/stop-accepting.js';
import { LimitLog } from '../../log/limit-log.js';
import type { Logger } from '../../log/logger.js';
import { BoltSession } from '../mux/bolt-session.js';
import { ProtocolError } from '../protocol/codec.js';
import { decodeHello } from '../protocol/heads.js';
import { LinkAcceptor, type LinkListener, type OpenLink } from '../ws-link.js';
import { reasonForCloseCode } from './close-codes.js';
import { WsBolt } from './ws-bolt.js';

export interface BoltListenerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the CA agents' certificates must chain to, and the tower's own certificate and key. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly beaconIntervalMs: number;
  readonly beaconValidityMs: number;
  /** Bytes of output an agent may leave untaken before its bolt is closed with Backlog. */
  readonly maxOutputBacklog?: number;
  /** Caps and deadlines for connections that have not yet upgraded. */
  readonly preAuth: PreAuthLimits;
  /** Least time between two capability changes of one bolt; Hellos in between are coalesced. */
  readonly capabilityIntervalMs: number;
  /** Revoked certificates, refused at the handshake; their live bolts are closed when revoked. */
  readonly revocations?: RevocationGate;
}

export interface BoltListener {
  readonly address: AddressInfo;
  /** Takes no new connections; the bolts it has stay up (a draining tower still relays over them). */
  stopAccepting(): void;
  close(): Promise<void>;
}

/**
 * One accepted bolt's wiring: the session's callbacks and the link's listener as methods of one
 * object, rather than four closures (and their contexts) per bolt.
 */
class AcceptedBolt implements LinkListener {
  readonly bolt: WsBolt;
  private readonly session: BoltSession;
  private readonly capability: CapabilityGate;

  constructor(
    link: OpenLink,
    cname: string,
    remote: string,
    options: BoltListenerOptions,
    rules: CapabilityRules,
    private readonly table: BoltTable,
    private readonly log: Logger,
    private readonly limits: LimitLog,
  ) {
    this.session = new BoltSession(link, {
      role: 'tower',
      beaconIntervalMs: options.beaconIntervalMs,
      beaconValidityMs: options.beaconValidityMs,
      maxOutputBacklog: options.maxOutputBacklog,
      onHello: (payload) => this.hello(payload),
      onClose: (code, reason) => this.closed(code, reason),
    });
    this.bolt = new WsBolt(cname, remote, this.session);
    this.capability = new CapabilityGate(rules, this.bolt);
    link.listen(this);
  }

  message(data: Buffer): void {
    try {
      this.session.receive(data);
    } catch (error) {
      const code = error instanceof ProtocolError ? error.code : 'Internal';
      const { cname, address } = this.bolt;
      // An agent that redials and sends the same bad frame again costs one line a window, not one a bolt.
      this.limits.once(
        cname,
        `bad-input:${code}`,
        { cname, remote: address, code, reason: error instanceof Error ? error.message : String(error) },
        'bolt closed: bad input',
      );
      if (!(error instanceof ProtocolError)) this.bolt.close('internal', 'internal error');
    }
  }

  close(code: number, reason: string): void {
    this.session.linkClosed(code, reason);
  }

  private hello(payload: Uint8Array): void {
    const hello = decodeHello(payload);
    this.capability.offer(hello.ports, hello.agent);
  }

  private closed(code: number, detail: string): void {
    const { cname, address } = this.bolt;
    const reason = this.bolt.closedAs ?? reasonForCloseCode(code);
    this.capability.stop();
    if (reason === 'backlog') {
      // A peer that keeps reconnecting and not reading costs one warning, not one per bolt.
      this.limits.hit(
        cname,
        'outputBacklogLimit',
        { cname, remote: address, reason: detail },
        'bolt closed: the agent does not read what it is sent',
      );
    }
    // A bolt the table refused (its cname held by a live bolt) was logged as a conflict already.
    if (this.table.removed(this.bolt, reason, detail))
      this.log[endingLevel(reason)]({ cname, code, reason, detail }, 'bolt closed');
  }
}

export async function listenForBolts(
  options: BoltListenerOptions,
  table: BoltTable,
  log: Logger,
): Promise<BoltListener> {
  const http = createHttpServer();
  const { revocations } = options;
  const context = { ca: options.ca, cert: options.cert, key: options.key };
  const server = createTlsServer(
    {
      ...context,
      ...(revocations?.crl ? { crl: revocations.crl } : {}),
      requestCert: true,
      // The guard refuses a certificate that does not chain to the CA, or is revoked, saying who and why.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      if (guard.secured(socket)) http.emit('connection', socket);
    },
  );
  const limits = new LimitLog(log);
  const guard = new PreAuthGuard(options.preAuth, log, {
    listener: 'bolt',
    refused: 'bolt refused during TLS',
  });
  const rules = new CapabilityRules(table, options.capabilityIntervalMs, log, 'bolt');
  guard.watch(server);
  const acceptor = new LinkAcceptor();
  const agents = new AgentCertificateRule(options.ca);
  // Connections made from now on see the new list; established ones are the gate's to close.
  revocations?.onChange((crl) => server.setSecureContext({ ...context, ...(crl ? { crl } : {}) }));

  http.on('request', (_request, response) => {
    response
      .writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' })
      .end('bolts connect to /bolt\n');
  });
  http.on('upgrade', (request, rawSocket, head) => {
    const socket = rawSocket as TLSSocket;
    guard.authenticated(socket);
    const remote = socket.remoteAddress ?? 'unknown';
    const refuse = (status: 403 | 404, reason: string, cname?: string, code?: string) => {
      guard.refused(remote, code ?? String(status), { cname, reason }, 'bolt refused');
      const text = status === 403 ? 'Forbidden' : 'Not Found';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroySoon();
    };
    if (new URL(request.url ?? '/', 'https://tower').pathname !== '/bolt') return refuse(404, 'not /bolt');
    const identity = peerIdentity(socket, agents, revocations);
    if ('refused' in identity) return refuse(403, identity.refused, identity.cname, identity.code);
    const { cname, serial } = identity;

    acceptor.accept(request, socket, head, (link) => {
      const { bolt } = new AcceptedBolt(link, cname, remote, options, rules, table, log, limits);
      if (!table.add(bolt)) return;
      log.info({ cname, remote }, 'bolt connected');
      revocations?.follow(bolt, serial);
    });
  });

  const address = await listenOn(server, options.port, options.host);
  return {
    address,
    stopAccepting: () => stopAccepting(server),
    close: () =>
      new Promise<void>((resolve) => {
        table.closeAll('shutdown', 'tower shutting down');
        server.close(() => resolve());
        guard.close();
        http.closeAllConnections();
      }),
  };
}
