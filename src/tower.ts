/**
 * The tower, assembled: the bolt listener feeding the bolt table, and the Hono API on top of it.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './api/app.js';
import { BoltTable } from './bolt/tower/bolt-table.js';
import { listenForBolts } from './bolt/tower/bolt-listener.js';
import type { TowerConfig } from './config/tower-config.js';
import type { Logger } from './log/logger.js';

/** PEM strings: the CA that signs agents, and the tower's own certificate and key. */
export interface TowerCredentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export type TowerSettings = Pick<
  TowerConfig,
  'boltHost' | 'boltPort' | 'apiHost' | 'apiPort' | 'beaconInterval' | 'beaconValidity' | 'relayTimeout' | 'apiToken'
>;

export interface RunningTower {
  readonly table: BoltTable;
  readonly boltAddress: AddressInfo;
  readonly apiAddress: AddressInfo;
  /** `http://host:port` of the API, for logs and tests. */
  readonly apiUrl: string;
  /** `wss://host:port` agents dial. */
  readonly boltUrl: string;
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
  const table = new BoltTable();
  const bolts = await listenForBolts(
    {
      host: settings.boltHost,
      port: settings.boltPort,
      ...credentials,
      beaconIntervalMs: settings.beaconInterval * 1000,
      beaconValidityMs: settings.beaconValidity * 1000,
    },
    table,
    log,
  );
  const app = createApp({ table, log, relayTimeoutMs: settings.relayTimeout * 1000, apiToken: settings.apiToken });
  const api = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: settings.apiHost, port: settings.apiPort }, () =>
      resolve(server),
    );
    server.once('error', reject);
  });
  const apiAddress = api.address() as AddressInfo;
  return {
    table,
    boltAddress: bolts.address,
    apiAddress,
    apiUrl: `http://${urlHost(apiAddress, '127.0.0.1')}:${apiAddress.port}`,
    boltUrl: `wss://${urlHost(bolts.address, 'localhost')}:${bolts.address.port}`,
    async close() {
      await Promise.all([
        bolts.close(),
        new Promise<void>((resolve) => {
          api.close(() => resolve());
          if ('closeAllConnections' in api) api.closeAllConnections();
        }),
      ]);
    },
  };
}
