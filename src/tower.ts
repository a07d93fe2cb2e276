/**
 * The tower, assembled: the bolt listener feeds the bolt table; each bolt becomes a minion actor
 * under the tower supervisor; the registry folds their snapshots; the Hono API serves it all.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './api/app.js';
import { createChangeFeed } from './api/feed/change-feed.js';
import type { RemoteRelay } from './api/routes/proxy.js';
import { listenForBolts } from './bolt/tower/bolt-listener.js';
import type { TowerConfig } from './config/tower-config.js';
import { startMinionFleet } from './fleet/minion-fleet.js';
import { startTowerInspector, type TowerInspector } from './inspect/tower-inspector.js';
import { listenForLegacyBolts } from './legacy/legacy-listener.js';
import { BoltTable } from './link/bolt-table.js';
import { logConflicts } from './link/conflict-log.js';
import type { PreAuthLimits } from './link/pre-auth-guard.js';
import type { Logger } from './log/logger.js';
import { createRegistry, type MinionRegistry } from './registry/minion-registry.js';

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
  | 'legacyPort'
  | 'headerRelay'
  | 'feedBacklogLimit'
  | 'feedWriteShare'
  | 'feedDropGrace'
> & {
  /** Who answers `/proxy` for a cname no local bolt holds (a peer tower); none when absent. */
  readonly remoteRelay?: RemoteRelay;
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
  /** The page an operator opens to watch the minions, when `inspect` is set. */
  readonly inspectorUrl: string | undefined;
  close(): Promise<void>;
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
  const inspector: TowerInspector | undefined =
    settings.inspect === undefined ? undefined : await startTowerInspector({ port: settings.inspect });
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
    },
    log,
  );
  const registry = createRegistry(fleet.minions$);
  // Ids keep increasing across restarts (1/100 ms resolution), so a subscriber resuming with an id
  // from an earlier process gets a fresh snapshot rather than this process's unrelated events.
  const feed = createChangeFeed(registry, {
    firstId: Date.now() * 100,
    onError: (error) => log.error({ err: error }, 'registry change stream failed'),
  });
  const preAuth: PreAuthLimits = {
    handshakeTimeoutMs: settings.tlsHandshakeTimeout * 1000,
    upgradeTimeoutMs: settings.upgradeTimeout * 1000,
    limit: settings.handshakeLimit,
    limitPerAddress: settings.handshakeLimitPerAddress,
  };
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
    },
    table,
    log,
  );
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
            capabilityTimeoutMs: settings.capabilityTimeout * 1000,
            limits: { maxWriteBacklogBytes: settings.outputBacklogLimit },
            preAuth,
            capabilityIntervalMs: settings.capabilityInterval * 1000,
          },
          table,
          log,
        );
  const app = createApp({
    table,
    log,
    relayTimeoutMs: settings.relayTimeout * 1000,
    relayIdleTimeoutMs: settings.relayIdleTimeout * 1000,
    trustProxy: settings.trustProxy,
    apiToken: settings.apiToken,
    registry,
    feed,
    minionStatus: fleet.status,
    headerRelay: settings.headerRelay,
    remoteRelay: settings.remoteRelay,
    events: {
      backlogLimit: settings.feedBacklogLimit,
      writeShare: settings.feedWriteShare,
      dropGraceMs: settings.feedDropGrace * 1000,
    },
  });
  const api = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: settings.apiHost, port: settings.apiPort }, () =>
      resolve(server),
    );
    server.once('error', reject);
  });
  const apiAddress = api.address() as AddressInfo;
  return {
    table,
    registry,
    boltAddress: bolts.address,
    apiAddress,
    apiUrl: `http://${urlHost(apiAddress, '127.0.0.1')}:${apiAddress.port}`,
    boltUrl: `wss://${urlHost(bolts.address, 'localhost')}:${bolts.address.port}`,
    inspectorUrl: inspector?.url,
    legacyAddress: legacy?.address,
    async close() {
      feed.close();
      await Promise.all([
        bolts.close(),
        legacy?.close(),
        new Promise<void>((resolve) => {
          api.close(() => resolve());
          if ('closeAllConnections' in api) api.closeAllConnections();
        }),
      ]);
      fleet.stop();
      registry.close();
      await inspector?.close();
    },
  };
}
