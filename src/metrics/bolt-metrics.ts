/**
 * The bolt table in numbers: bolts held now by transport and state (read from the table when
 * scraped, so it can never drift), and connects, closes by reason and conflicts as they happen.
 * No label names a cname: a fleet of thousands stays a handful of series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BoltTable } from '../link/bolt-table.js';

/** `announcing` until the agent has said which ports it offers, `ready` after. */
export type BoltState = 'announcing' | 'ready';

export function watchBolts(table: BoltTable, registry: Registry): () => void {
  new Gauge({
    name: 'stormtower_bolts',
    help: 'Bolts held by this tower now, by transport and state',
    labelNames: ['transport', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const bolt of table.list()) {
        this.inc({ transport: bolt.transport, state: bolt.ports === null ? 'announcing' : 'ready' });
      }
    },
  });
  const connects = new Counter({
    name: 'stormtower_bolt_connects_total',
    help: 'Bolts listed in the bolt table, by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const closes = new Counter({
    name: 'stormtower_bolt_closes_total',
    help: 'Listed bolts that ended, by transport and close reason',
    labelNames: ['transport', 'reason'] as const,
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'stormtower_bolt_conflicts_total',
    help: 'Bolts that arrived for a cname a live bolt held, by which one kept it (refused or replaced)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const onConnected: Parameters<typeof table.on<'connected'>>[1] = (bolt) =>
    connects.inc({ transport: bolt.transport });
  const onClosed: Parameters<typeof table.on<'closed'>>[1] = (bolt, { reason }) =>
    closes.inc({ transport: bolt.transport, reason });
  const onConflict: Parameters<typeof table.on<'conflict'>>[1] = ({ outcome }) => conflicts.inc({ outcome });
  table.on('connected', onConnected);
  table.on('closed', onClosed);
  table.on('conflict', onConflict);
  return () => {
    table.off('connected', onConnected);
    table.off('closed', onClosed);
    table.off('conflict', onConflict);
  };
}
