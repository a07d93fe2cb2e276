/**
 * The minion registry in numbers: minions by state (read from the current view when scraped) and
 * checksum changes as the registry publishes them (`added`, `changed`, `removed`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MinionRegistry } from '../registry/minion-registry.js';

export function watchRegistry(minions: MinionRegistry, registry: Registry): () => void {
  new Gauge({
    name: 'stormtower_minions',
    help: 'Minions in the registry now, by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of minions.current().entries.values()) this.inc({ state: entry.state });
    },
  });
  const changes = new Counter({
    name: 'stormtower_checksum_changes_total',
    help: "Changes of a minion's checksum published by the registry, by kind (added, changed, removed)",
    labelNames: ['change'] as const,
    registers: [registry],
  });
  const subscription = minions.changes$.subscribe((change) => changes.inc({ change: change.type }));
  return () => subscription.unsubscribe();
}
