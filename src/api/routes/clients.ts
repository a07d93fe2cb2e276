/**
 * `/clients`: the connected bolts, as the old stormbolt API listed them (plus transport and time).
 *
 * `HEAD /clients` carries `Content-MD5`: the MD5 hex of the sorted cnames, each followed by "\n",
 * so a poller learns of a connect or disconnect with one cheap request.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { BoltTable } from '../../bolt/tower/bolt-table.js';
import type { TowerBolt } from '../../bolt/tower/tower-bolt.js';
import { apiError } from '../errors.js';

export interface ClientView {
  readonly cname: string;
  readonly ports: readonly number[];
  readonly address: string;
  readonly connectedAt: string;
  readonly transport: string;
}

export const clientView = (bolt: TowerBolt): ClientView => ({
  cname: bolt.cname,
  ports: bolt.ports ?? [],
  address: bolt.address,
  connectedAt: bolt.connectedAt.toISOString(),
  transport: bolt.transport,
});

export function clientsChecksum(bolts: readonly TowerBolt[]): string {
  const hash = createHash('md5');
  for (const bolt of bolts) hash.update(`${bolt.cname}\n`);
  return hash.digest('hex');
}

export function clientRoutes(table: BoltTable): Hono {
  return new Hono()
    .get('/clients', (c) => {
      // Hono answers HEAD through this GET handler and drops the body, so the digest is set here.
      const bolts = table.list();
      c.header('Content-MD5', clientsChecksum(bolts));
      return c.json(bolts.map(clientView));
    })
    .get('/clients/:id', (c) => {
      const bolt = table.get(c.req.param('id'));
      if (!bolt) throw apiError(404, 'unknown-client', `no bolt is connected as "${c.req.param('id')}"`);
      return c.json(clientView(bolt));
    });
}
