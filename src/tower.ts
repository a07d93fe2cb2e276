/**
 * The tower, assembled: the bolt listener feeds the bolt table; each bolt becomes a minion actor
 * under the tower supervisor; the registry folds their snapshots; the Hono API serves it all.
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { createApp } from './api/app.js';
import { auditTo } from './api/audit/relay-audit.js';
import { defaultAssetsDir } from './api/console/console-assets.js';
import { createChangeFeed } from './api/feed/change-feed.js';
import { listenForPeers } from './api/peer/peer-listener.js';
import { meteredTarget } from './api/relay-metering.js';
import { RelayTracker } from './api/relay-tracker.js';
import type { RemoteRelay } from './api/routes/proxy.js';
import type { TowerPhase } from './api/tower-phase.js';
import { redialReason } from './bolt/protocol/redial-hint.js';
import { listenForBolts } from './bolt/tower/bolt-listener.js';
import { assertPeerCertificate } from './certs/peer-certificate.js';
import { packageVersion } from './cli/package-version.js';
import { type Cluster, joinCluster } from './cluster/cluster.js';
import type { TowerConfig } from './config/tower-config.js';
import { startMinionFleet } from './fleet/minion-fleet.js';
import { startTowerInspector, type TowerInspector } from './inspect/tower-inspector.js';
import type { HeldPort } from './legacy/held-port.js';
import { listenForLegacyBolts } from './legacy/legacy-listener.js';
import { type LegacySeen, trackLegacySeen } from './legacy/legacy-seen.js';
import { BoltTable } from './link/bolt-table.js';
import { logConflicts } from './link/conflict-log.js';
import type { PreAuthLimits } from './link/pre-auth-guard.js';
import { stopAccepting } from './link/stop-accepting.js';
import { LimitLog } from './log/limit-log.js';
import type { Logger } from './log/logger.js';
import { listenForScrapes } from './metrics/metrics-listener.js';
import { createTowerMetrics, type TowerMetrics } from './metrics/tower-metrics.js';
import { createPeerClient } from './peer/peer-client.js';
import { createRegistry, type MinionRegistry } from './registry/minion-registry.js';
import { DrainCounters, type DrainSummary, drainTower } from './tower-drain.js';
import { startRevocations } from './tower-revocations.js';

/** PEM strings: the CA that signs agents, and the tower's own certificate and key. */
export interface TowerCredentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Extra certificate/key pairs offered on the legacy listener only (an RSA one for old OpenSSL). */
  readonly legacyExtra?: { readonly cert: string; readonly key: string };
}

export type TowerSettings = Pick<
  TowerConfig,
  | 'boltHost'
  | 'boltPort'
  | 'apiHost'
  | 'apiPort'
  | 'beaconInterval'
  | 'beaconValidity'
  | 'relayTimeout'
  | 'relayIdleTimeout'
  | 'trustProxy'
  | 'apiToken'
  | 'corsOrigin'
  | 'sessionLimit'
  | 'sessionIdleTimeout'
  | 'feedRetry'
  | 'monitorInterval'
  | 'statusPort'
  | 'statusPath'
  | 'statusBodyLimit'
  | 'pollConcurrency'
  | 'capabilityTimeout'
  | 'outputBacklogLimit'
  | 'tlsHandshakeTimeout'
  | 'upgradeTimeout'
  | 'handshakeLimit'
  | 'handshakeLimitPerAddress'
  | 'capabilityInterval'
  | 'onDuplicate'
  | 'inspect'
  | 'inspectUrl'
  | 'legacyPort'
  | 'legacyMissingAfter'
  | 'legacySeenLimit'
  | 'headerRelay'
  | 'feedBacklogLimit'
  | 'feedWriteShare'
  | 'feedDropGrace'
  | 'cluster'
  | 'clusterCreds'
  | 'clusterCa'
  | 'towerId'
  | 'clusterPresenceTimeout'
  | 'clusterHost'
  | 'clusterPort'
  | 'clusterAdvertise'
> &
  Partial<Pick<TowerConfig, 'metricsPort' | 'metricsHost'>> &
  Partial<Pick<TowerConfig, 'drainTimeout' | 'redialSpread' | 'publicHealth' | 'auditQuery' | 'ui'>> & {
    /** Where the audit lines go (the `--audit-log` file's logger); the tower's log when absent. */
    readonly auditLogger?: Logger;
    /** Who answers `/proxy` for a cname no local bolt holds; in a cluster, the tower holding it. */
    readonly remoteRelay?: RemoteRelay;
    /** Where the console's built files are; by default where the build puts them (dist/console/). */
    readonly consoleAssets?: string;
    /** The legacy port, bound early by the start command (see held-port.ts). */
    readonly legacyHeld?: HeldPort;
    /** Where `legacy-seen.json` is kept (the data dir); without it, legacy minions are not remembered. */
    readonly legacySeenDir?: string;
    /** Where `revoked.crl` is read and watched (the data dir); without it, nothing is revoked. */
    readonly revocationDir?: string;
  };

export interface RunningTower {
  readonly table: BoltTable;
  readonly registry: MinionRegistry;
  readonly boltAddress: AddressInfo;
  readonly apiAddress: AddressInfo;
  /** `http://host:port` of the API, for logs and tests. */
  readonly apiUrl: string;
  /** `wss://host:port` agents dial. */
  readonly boltUrl: string;
  /** The legacy stormbolt listener's address, when `legacyPort` is set. */
  readonly legacyAddress: AddressInfo | undefined;
  /** `http://host:port/ui/`: the fleet console, when `ui` is on (the default). */
  readonly consoleUrl: string | undefined;
  /** The page an operator opens to watch the minions, when `inspect` is set. */
  readonly inspectorUrl: string | undefined;
  /** This tower's place in a cluster, when it joined one. */
  readonly cluster: (Cluster & { readonly relayUrl: string }) | undefined;
  /** The tower's Prometheus metrics (also served as `GET /metrics`). */
  readonly metrics: TowerMetrics;
  /** `http://host:port/metrics` of the token-less listener, when `metricsPort` is set. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
  /**
   * Drains, then closes (see `tower-drain.ts`): relays in flight finish within `drainTimeout`
   * (default 30 s), agents are told to redial within `redialSpread` (default 10 s).
   */
  drain(): Promise<DrainSummary>;
  /**
   * Re-reads the revocation list (SIGHUP; a watch on the data dir does it too) and closes the live
   * bolts it revokes; true when a new list was taken.
   */
  reloadRevocations(): Promise<boolean>;
}

/** The host other towers dial: the listener's own address, or this host's name for a wildcard. */
function advertisedHost(listenHost: string): string {
  if (listenHost === '0.0.0.0' || listenHost === '::') return hostname();
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

/** A stable name for a tower that was given none: the host it runs on and the port agents dial. */
export function defaultTowerId(boltPort: number): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 100) || 'tower';
  return `${host}-${boltPort === 0 ? `pid${process.pid}` : boltPort}`;
}

const urlHost = (address: AddressInfo, fallback: string): string => {
  const host = address.address === '0.0.0.0' || address.address === '::' ? fallback : address.address;
  return host.includes(':') ? `[${host}]` : host;
};

export async function startTower(
  settings: TowerSettings,
  credentials: TowerCredentials,
  log: Logger,
): Promise<RunningTower> {
  // Alive means heard within two beacon intervals: a live agent answers every Ping the tower sends.
  const table = new BoltTable({
    onDuplicate: settings.onDuplicate,
    liveWindowMs: 2 * settings.beaconInterval * 1000,
  });
  logConflicts(table, log);
  // Before any listener: they start with the list in their TLS contexts.
  const revocations = await startRevocations(settings.revocationDir, credentials.ca, table, log);
  const metrics = createTowerMetrics();
  // Set to `serving` once every listener is up; `/ready` and the drain gate read it.
  let phase: TowerPhase = 'starting';
  const relays = new RelayTracker();
  const drainCounters = new DrainCounters();
  // Set once the API listens; the inspector page links its console as the view that works offline.
  let consoleUrl: string | undefined;
  const inspector: TowerInspector | undefined =
    settings.inspect === undefined
      ? undefined
      : await startTowerInspector({
          port: settings.inspect,
          ...(settings.inspectUrl === undefined ? {} : { inspectorUrl: settings.inspectUrl }),
          consoleUrl: () => consoleUrl,
        });
  const fleet = startMinionFleet(
    table,
    {
      monitorInterval: settings.monitorInterval,
      capabilityTimeoutMs: settings.capabilityTimeout * 1000,
      pollConcurrency: settings.pollConcurrency,
      status: {
        port: settings.statusPort,
        path: settings.statusPath,
        bodyLimit: settings.statusBodyLimit,
        timeoutMs: settings.relayTimeout * 1000,
      },
      ...(inspector ? { inspect: inspector.inspect } : {}),
      onPoll: metrics.onPoll,
    },
    log,
  );
  // Who was connected, read before the legacy listener opens so no capability goes unrecorded.
  const seen: LegacySeen | undefined =
    settings.legacyPort === undefined || settings.legacySeenDir === undefined
      ? undefined
      : await trackLegacySeen(
          table,
          {
            dataDir: settings.legacySeenDir,
            missingAfterMs: settings.legacyMissingAfter * 1000,
            limit: settings.legacySeenLimit,
          },
          log,
        );
  // Right after the fleet (which must see every bolt) and before anything slower: a 0.4.3 agent
  // that finds the port closed never dials again, so the legacy port's restart gap is kept short.
  const preAuth: PreAuthLimits = {
    handshakeTimeoutMs: settings.tlsHandshakeTimeout * 1000,
    upgradeTimeoutMs: settings.upgradeTimeout * 1000,
    limit: settings.handshakeLimit,
    limitPerAddress: settings.handshakeLimitPerAddress,
  };
  const legacy =
    settings.legacyPort === undefined
      ? undefined
      : await listenForLegacyBolts(
          {
            host: settings.boltHost,
            port: settings.legacyPort,
            ca: credentials.ca,
            cert: [credentials.cert, ...(credentials.legacyExtra ? [credentials.legacyExtra.cert] : [])],
            key: [credentials.key, ...(credentials.legacyExtra ? [credentials.legacyExtra.key] : [])],
            beaconValidityMs: settings.beaconValidity * 1000,
            heartbeatIntervalMs: settings.beaconInterval * 1000,
            capabilityTimeoutMs: settings.capabilityTimeout * 1000,
            limits: { maxWriteBacklogBytes: settings.outputBacklogLimit },
            preAuth,
            capabilityIntervalMs: settings.capabilityInterval * 1000,
            ...(settings.legacyHeld ? { held: settings.legacyHeld } : {}),
            revocations: revocations.gate,
          },
          table,
          log,
        );
  if (settings.cluster.length > 0) assertPeerCertificate(credentials.cert);
  const cluster =
    settings.cluster.length === 0
      ? undefined
      : joinCluster(
          {
            servers: settings.cluster,
            credsFile: settings.clusterCreds,
            caFile: settings.clusterCa,
            towerId: settings.towerId ?? defaultTowerId(settings.boltPort),
            presenceTimeoutMs: settings.clusterPresenceTimeout * 1000,
          },
          log,
          new LimitLog(log),
        );
  const registry = createRegistry(fleet.minions$, cluster?.remote$);
  metrics.watch(table, registry);
  // Ids keep increasing across restarts (1/100 ms resolution), so a subscriber resuming with an id
  // from an earlier process gets a fresh snapshot rather than this process's unrelated events.
  const feed = createChangeFeed(registry, {
    firstId: Date.now() * 100,
    onError: (error) => log.error({ err: error }, 'registry change stream failed'),
  });
  const bolts = await listenForBolts(
    {
      host: settings.boltHost,
      port: settings.boltPort,
      ...credentials,
      beaconIntervalMs: settings.beaconInterval * 1000,
      beaconValidityMs: settings.beaconValidity * 1000,
      maxOutputBacklog: settings.outputBacklogLimit,
      preAuth,
      capabilityIntervalMs: settings.capabilityInterval * 1000,
      revocations: revocations.gate,
    },
    table,
    log,
  );
  // In a cluster: other towers relay here to the bolts this tower holds, and this tower to theirs.
  const peerListener = cluster
    ? await listenForPeers(
        {
          host: settings.clusterHost,
          port: settings.clusterPort,
          ca: credentials.ca,
          cert: credentials.cert,
          key: credentials.key,
          relayTimeoutMs: settings.relayTimeout * 1000,
          relayIdleTimeoutMs: settings.relayIdleTimeout * 1000,
          preAuth,
          observer: metrics.peers['from-peer'],
        },
        table,
        log,
      )
    : undefined;
  const peers = cluster ? createPeerClient(credentials) : undefined;
  const peerRelay: RemoteRelay | undefined =
    settings.remoteRelay ??
    (cluster && peers
      ? (cname) => {
          const owner = cluster.ownerOf(cname);
          return owner ? peers.target(cname, owner.relayUrl) : undefined;
        }
      : undefined);
  // Counted on top of the API's own relay count: which relays left for a peer, and how they fared.
  const remoteRelay: RemoteRelay | undefined =
    peerRelay &&
    ((cname) => {
      const target = peerRelay(cname);
      return target && meteredTarget(target, metrics.peers['to-peer']);
    });
  const app = createApp({
    table,
    log,
    relayTimeoutMs: settings.relayTimeout * 1000,
    relayIdleTimeoutMs: settings.relayIdleTimeout * 1000,
    trustProxy: settings.trustProxy,
    apiToken: settings.apiToken,
    corsOrigins: settings.corsOrigin,
    sessions: { limit: settings.sessionLimit, idleMs: settings.sessionIdleTimeout * 1000 },
    registry,
    feed,
    minionStatus: fleet.status,
    ...(seen ? { missingClients: () => seen.missing() } : {}),
    headerRelay: settings.headerRelay,
    ...(cluster ? { cluster } : {}),
    ...(remoteRelay ? { remoteRelay } : {}),
    events: {
      backlogLimit: settings.feedBacklogLimit,
      writeShare: settings.feedWriteShare,
      dropGraceMs: settings.feedDropGrace * 1000,
      retryMs: settings.feedRetry,
      onShutdownTold: () => {
        drainCounters.subscribersTold += 1;
      },
    },
    observer: metrics.api,
    phase: () => phase,
    relays,
    onRelayRefused: () => {
      drainCounters.relaysRefused += 1;
    },
    publicHealth: settings.publicHealth ?? false,
    audit: auditTo(settings.auditLogger ?? log, settings.auditQuery ?? false),
    fleetDetail: () => fleet.detail(),
    ...(settings.ui === false ? {} : { consoleAssets: settings.consoleAssets ?? defaultAssetsDir() }),
    version: packageVersion(),
  });
  const api = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: settings.apiHost, port: settings.apiPort }, () =>
      resolve(server),
    );
    server.once('error', reject);
  });
  const scrapes =
    settings.metricsPort === undefined
      ? undefined
      : await listenForScrapes(
          { host: settings.metricsHost ?? '127.0.0.1', port: settings.metricsPort },
          metrics.api.scrape,
        );
  const apiAddress = api.address() as AddressInfo;
  const apiUrl = `http://${urlHost(apiAddress, '127.0.0.1')}:${apiAddress.port}`;
  if (settings.ui !== false) consoleUrl = `${apiUrl}/ui/`;
  const boltUrl = `wss://${urlHost(bolts.address, 'localhost')}:${bolts.address.port}`;
  const relayUrl =
    settings.clusterAdvertise ??
    `https://${advertisedHost(settings.clusterHost)}:${peerListener?.address.port ?? settings.clusterPort}`;
  cluster?.start({ registry, table, endpoints: { relayUrl, apiUrl, boltUrl } });
  phase = 'serving';
  // `farewell`: what the bolts are told once the cluster is left; a plain close just closes them.
  // Once only: a drain closes the tower, and whoever started it may call `close` again.
  let closing: Promise<void> | undefined;
  const close = (farewell?: string): Promise<void> => {
    closing ??= closeOnce(farewell);
    return closing;
  };
  const closeOnce = async (farewell?: string) => {
    revocations.close();
    feed.close();
    // First: a stopping tower leaves its minions' keys for their agents' next towers to take over.
    await cluster?.close();
    if (farewell !== undefined) table.closeAll('shutdown', farewell);
    await peers?.close();
    await Promise.all([
      bolts.close(),
      peerListener?.close(),
      legacy?.close(),
      scrapes?.close(),
      new Promise<void>((resolve) => {
        api.close(() => resolve());
        if ('closeAllConnections' in api) api.closeAllConnections();
      }),
    ]);
    // After the legacy connections closed, so their last sighting is saved.
    await seen?.close();
    fleet.stop();
    registry.close();
    metrics.close();
    await inspector?.close();
  };
  return {
    table,
    registry,
    boltAddress: bolts.address,
    apiAddress,
    apiUrl,
    boltUrl,
    cluster: cluster && Object.assign(cluster, { relayUrl }),
    inspectorUrl: inspector?.url,
    consoleUrl,
    legacyAddress: legacy?.address,
    metrics,
    metricsUrl: scrapes && `http://${urlHost(scrapes.address, '127.0.0.1')}:${scrapes.address.port}/metrics`,
    close: () => close(),
    reloadRevocations: () => revocations.reload(),
    drain: () =>
      drainTower({
        log,
        relays,
        counters: drainCounters,
        timeoutMs: (settings.drainTimeout ?? 30) * 1000,
        setPhase: (next) => {
          phase = next;
        },
        stopAccepting() {
          // The legacy port keeps accepting until the stop: a 0.4.3 agent refused once never redials.
          bolts.stopAccepting();
          stopAccepting(api);
        },
        endEventStreams: () => feed.close('shutdown'),
        boltCount: () => table.size,
        close: () => close(redialReason((settings.redialSpread ?? 10) * 1000)),
      }),
  };
}
