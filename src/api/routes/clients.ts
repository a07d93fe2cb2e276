/**
 * `/clients`: the connected bolts, as the old stormbolt API listed them (plus transport and time).
 *
 * `HEAD /clients` carries `Content-MD5`: the MD5 hex of the sorted cnames, each followed by "\n",
 * so a poller learns of a connect or disconnect with one cheap request.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { Bolt } from '../../link/bolt.js';
import type { BoltTable } from '../../link/bolt-table.js';
import type { ApiEnv } from '../bindings.js';
import { apiError } from '../errors.js';

/** The minion actor's side of a bolt: its lifecycle state and last poll error, when it has one. */
export type MinionStatusLookup = (
  cname: string,
  boltId: string,
) => { readonly state: string; readonly lastError: unknown } | undefined;

export interface ClientView {
  readonly cname: string;
  readonly ports: readonly number[];
  readonly address: string;
  readonly connectedAt: string;
  readonly transport: string;
  readonly state: string;
  readonly lastError: unknown;
  /** Agents that contended for this cname while it was held without a gap; see `BoltTable`. */
  readonly conflicts: number;
  readonly lastConflictAddress: string | null;
}

export const clientView = (bolt: Bolt, minionStatus?: MinionStatusLookup): ClientView => {
  const minion = minionStatus?.(bolt.cname, bolt.boltId);
  return {
    cname: bolt.cname,
    ports: bolt.ports ?? [],
    address: bolt.address,
    connectedAt: bolt.connectedAt.toISOString(),
    transport: bolt.transport,
    state: minion?.state ?? (bolt.ports ? 'connected' : 'connecting'),
    lastError: minion?.lastError ?? null,
    conflicts: bolt.conflicts,
    lastConflictAddress: bolt.lastConflictAddress,
  };
};

export function clientsChecksum(bolts: readonly Bolt[]): string {
  const hash = createHash('md5');
  for (const bolt of bolts) hash.update(`${bolt.cname}\n`);
  return hash.digest('hex');
}

export function clientRoutes(table: BoltTable, minionStatus?: MinionStatusLookup): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get('/clients', (c) => {
      // Hono answers HEAD through this GET handler and drops the body, so the digest is set here.
      const bolts = table.list();
      c.header('Content-MD5', clientsChecksum(bolts));
      return c.json(bolts.map((bolt) => clientView(bolt, minionStatus)));
    })
    .get('/clients/:id', (c) => {
      const bolt = table.get(c.req.param('id'));
      if (!bolt) throw apiError(404, 'unknown-client', `no bolt is connected as "${c.req.param('id')}"`);
      return c.json(clientView(bolt, minionStatus));
    });
}
