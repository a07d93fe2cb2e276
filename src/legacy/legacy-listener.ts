/**
 * The tower's legacy bolt listener: raw TLS (no WebSocket) for deployed stormbolt agents, which
 * connect unchanged and speak mux-demux over the socket.
 *
 * Same pre-auth guard and identity rule as the WebSocket listener (src/listen/): connections are capped
 * and must finish TLS in time, a certificate that does not chain to the CA is refused once TLS is done,
 * then the certificate must name a valid cname. Each refusal is one log line. Accepted
 * connections join the same bolt table: added at connect, announced when their capability arrives,
 * removed when they close (a replaced connection can never remove its replacement).
 */
import type { AddressInfo, Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { AgentCertificateRule } from '../certs/agent-certificate.js';
import type { BoltTable } from '../link/bolt-table.js';
import { CapabilityGate, CapabilityRules } from '../link/capability-gate.js';
import { endingLevel } from '../link/close-reason.js';
import { listenOn, peerIdentity } from '../link/peer-identity.js';
import { DEFAULT_PRE_AUTH_LIMITS, PreAuthGuard, type PreAuthLimits } from '../link/pre-auth-guard.js';
import type { RevocationGate } from '../link/revocation-gate.js';
import { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';
import type { HeldPort } from './held-port.js';
import { LegacyBolt } from './legacy-bolt.js';
import { LegacyConnection } from './legacy-connection.js';
import { DEFAULT_LEGACY_LIMITS, type LegacyLimits } from './legacy-limits.js';
import { KEEP_ALIVE_MS, LEGACY_TLS } from './legacy-tls.js';

export interface LegacyListenerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the CA agents' certificates must chain to (deployed agents: their original CA bundle). */
  readonly ca: string | readonly string[];
  /** PEM: one tower certificate and key, or several (e.g. ECDSA and RSA) for OpenSSL to choose from. */
  readonly cert: string | readonly string[];
  readonly key: string | readonly string[];
  /** Silence on the beacon channel after which a connection expires (the tower's beaconValidity). */
  readonly beaconValidityMs: number;
  /** How often a cloudflash-bolt 0.3 agent is asked for a heartbeat (the tower's beaconInterval). */
  readonly heartbeatIntervalMs?: number;
  /** How long a connection may go without sending its capability. */
  readonly capabilityTimeoutMs: number;
  /** Least time between two capability changes of one connection; lists in between are coalesced. */
  readonly capabilityIntervalMs: number;
  /** Our answer to an agent's capability; the original tower's was 5000,8000. */
  readonly towerPorts?: readonly number[];
  readonly limits?: Partial<LegacyLimits>;
  /** Caps and the TLS handshake deadline for connections not yet authenticated (no upgrade here). */
  readonly preAuth?: Partial<PreAuthLimits>;
  /** The port, already bound early in the start (`holdPort`); `host` and `port` are then unused. */
  readonly held?: HeldPort;
  /** Revoked certificates, refused at the handshake; their live connections are closed when revoked. */
  readonly revocations?: RevocationGate;
}

export interface LegacyListener {
  readonly address: AddressInfo;
  /** Stops listening and closes every legacy connection (WebSocket bolts are left alone). */
  close(): Promise<void>;
}

const DEFAULT_TOWER_PORTS = [5000, 8000];
// The tower's default beaconInterval: four chances to answer within the default 45 s validity.
const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

const list = (value: string | readonly string[]): string[] =>
  typeof value === 'string' ? [value] : [...value];

export async function listenForLegacyBolts(
  options: LegacyListenerOptions,
  table: BoltTable,
  log: Logger,
): Promise<LegacyListener> {
  const limits: LegacyLimits = { ...DEFAULT_LEGACY_LIMITS, ...options.limits };
  const connections = new Set<LegacyConnection>();
  const limitLog = new LimitLog(log);
  const rules = new CapabilityRules(table, options.capabilityIntervalMs, log, 'legacy bolt');
  // Every TCP socket, handshakes in progress included, so close() leaves nothing behind.
  const sockets = new Set<Socket>();
  const { revocations } = options;
  const context = { ca: list(options.ca), cert: list(options.cert), key: list(options.key), ...LEGACY_TLS };
  const server = tls.createServer({
    ...context,
    ...(revocations?.crl ? { crl: revocations.crl } : {}),
    requestCert: true,
    // The guard refuses a certificate that does not chain to the CA, saying who and why.
    rejectUnauthorized: false,
    keepAlive: true,
    keepAliveInitialDelay: KEEP_ALIVE_MS,
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const agents = new AgentCertificateRule(options.ca);
  revocations?.onChange((crl) => server.setSecureContext({ ...context, ...(crl ? { crl } : {}) }));
  const guard = new PreAuthGuard({ ...DEFAULT_PRE_AUTH_LIMITS, ...options.preAuth }, log, {
    listener: 'legacy',
    refused: 'legacy bolt refused during TLS',
  });
  guard.watch(server);

  server.on('secureConnection', (socket: TLSSocket) => {
    // No upgrade follows TLS here: the identity is checked right away, so the guard lets go.
    if (!guard.secured(socket)) return;
    const remote = socket.remoteAddress ?? 'unknown';
    const refuse = (reason: string, cname?: string, code?: string) => {
      guard.refused(remote, code ?? 'identity', { cname, reason }, 'legacy bolt refused');
      socket.destroy();
    };
    const identity = peerIdentity(socket, agents, revocations);
    if ('refused' in identity) return refuse(identity.refused, identity.cname, identity.code);
    const { cname, serial } = identity;
    socket.setKeepAlive(true, KEEP_ALIVE_MS);

    const connectionLog = log.child({ cname, transport: 'legacy' });
    let bolt: LegacyBolt | undefined;
    let capability: CapabilityGate | undefined;
    const connection = new LegacyConnection(
      socket,
      {
        towerPorts: options.towerPorts ?? DEFAULT_TOWER_PORTS,
        beaconValidityMs: options.beaconValidityMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
        capabilityTimeoutMs: options.capabilityTimeoutMs,
        limits,
      },
      {
        capability: (ports) => capability?.offer(ports),
        // An agent that redials and sends the same bad line again costs one line a window.
        rejected: (fields) =>
          limitLog.once(
            cname,
            `bad-input:${fields.error}`,
            { cname, remote, transport: 'legacy', ...fields },
            'legacy bolt closed: bad input',
          ),
        closed: (reason, detail) => {
          connections.delete(connection);
          capability?.stop();
          if (reason === 'backlog') {
            // An agent that keeps redialling and not reading costs one warning, not one per connection.
            const fields = { cname, remote, transport: 'legacy', reason: detail };
            limitLog.hit(
              cname,
              'outputBacklogLimit',
              fields,
              'legacy bolt closed: the agent does not read what it is sent',
            );
          }
          // Deployed agents cannot read a close code: a refused one is just closed, and logged as a conflict.
          if (bolt && table.removed(bolt, reason, detail))
            connectionLog[endingLevel(reason)]({ reason, detail }, 'legacy bolt closed');
        },
      },
      connectionLog,
    );
    connections.add(connection);
    bolt = new LegacyBolt(cname, remote, connection);
    capability = new CapabilityGate(rules, bolt);
    if (!table.add(bolt)) return;
    connectionLog.info({ remote }, 'legacy bolt connected');
    revocations?.follow(bolt, serial);
  });

  const { held } = options;
  held?.handTo(server);
  const address = held ? held.address : await listenOn(server, options.port, options.host);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        // The held port is the one listening; the TLS server only serves what it hands over.
        if (held) void held.close().then(resolve);
        else server.close(() => resolve());
        for (const connection of [...connections]) connection.close('shutdown', 'tower shutting down', true);
        for (const socket of sockets) socket.destroy();
      }),
  };
}
