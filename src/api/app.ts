/**
 * The north-bound API as one Hono app: health, the bolt API (`/clients`, `/proxy`), the minion
 * registry (`/minions`) and its change feed (`/minions/events`), and the one error shape.
 */
import { Hono } from 'hono';
import type { BoltTable } from '../bolt/tower/bolt-table.js';
import type { Logger } from '../log/logger.js';
import { bearerAuth } from './auth.js';
import { apiError, errorHandler } from './errors.js';
import type { ChangeFeed } from './feed/change-feed.js';
import type { RegistrySource } from './feed/registry-source.js';
import { headerRelay } from './header-relay.js';
import { clientRoutes, type MinionStatusLookup } from './routes/clients.js';
import { healthRoutes } from './routes/health.js';
import { type MinionEventOptions, minionEventRoutes } from './routes/minion-events.js';
import { minionRoutes } from './routes/minions.js';
import { proxyRoutes } from './routes/proxy.js';

export interface ApiOptions {
  readonly table: BoltTable;
  readonly log: Logger;
  readonly relayTimeoutMs: number;
  readonly apiToken?: string | undefined;
  readonly startedAt?: number;
  readonly registry: RegistrySource;
  readonly feed: ChangeFeed;
  readonly minionStatus?: MinionStatusLookup;
  readonly events?: MinionEventOptions;
  /** Relay requests carrying `stormbolt-target: <cname>:<port>` (the old stormbolt header relay). */
  readonly headerRelay?: boolean;
}

export function createApp(options: ApiOptions): Hono {
  const app = new Hono();
  app.onError(errorHandler(options.log));
  app.notFound(() => {
    throw apiError(404, 'not-found', 'no such route');
  });
  if (options.apiToken) app.use('*', bearerAuth(options.apiToken));
  const dropHeaders = new Set(options.apiToken ? ['host', 'authorization'] : ['host']);
  if (options.headerRelay) {
    app.use('*', headerRelay(options.table, { relayTimeoutMs: options.relayTimeoutMs, dropHeaders }));
  }
  app.route('/', healthRoutes(options.table, options.startedAt ?? Date.now()));
  app.route('/', clientRoutes(options.table, options.minionStatus));
  app.route('/', minionEventRoutes(options.feed, { log: options.log, ...options.events }));
  app.route('/', minionRoutes(options.registry));
  app.route(
    '/',
    proxyRoutes(options.table, {
      relayTimeoutMs: options.relayTimeoutMs,
      dropHeaders,
    }),
  );
  return app;
}
