/** The fleet at a glance: counts per state, the global checksum, bolts by transport, poll failures, uptime. */
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import type { FleetState } from '../api/console/fleet-contract.js';
import type { FleetStore } from './fleet-store.js';
import { duration } from './format.js';

export interface FleetCounts {
  readonly states: Readonly<Record<FleetState, number>>;
  readonly transports: Readonly<Record<string, number>>;
  readonly failing: number;
}

export function countFleet(store: FleetStore): FleetCounts {
  const states: Record<FleetState, number> = {
    connecting: 0,
    monitoring: 0,
    ready: 0,
    changed: 0,
    removed: 0,
  };
  const transports: Record<string, number> = { ws: 0, legacy: 0 };
  let failing = 0;
  for (const row of store.rows.values()) {
    if (row.state === 'removed') continue;
    states[row.state] += 1;
    if (row.transport) transports[row.transport] = (transports[row.transport] ?? 0) + 1;
    if (row.lastError) failing += 1;
  }
  // Removed means removed within the last hour, as the tower remembers them.
  states.removed = store.removed.length;
  return { states, transports, failing };
}

export function useCounts(store: FleetStore, version: number): FleetCounts {
  return useMemo(() => countFleet(store), [store, version]);
}

interface SummaryProps {
  readonly store: FleetStore;
  readonly counts: FleetCounts;
  readonly live: boolean;
}

export function Summary({ store, counts, live }: SummaryProps) {
  const tile = (id: string, label: string, value: string | number) =>
    html`<div class="tile" id=${`count-${id}`}><span class="value">${value}</span><span class="label">${label}</span></div>`;
  return html`
    <section class="summary">
      ${(Object.keys(counts.states) as FleetState[]).map((state) =>
        tile(state, state === 'removed' ? 'removed (1 h)' : state, counts.states[state]),
      )}
      ${tile('ws', 'ws bolts', counts.transports.ws ?? 0)} ${tile('legacy', 'legacy bolts', counts.transports.legacy ?? 0)}
      ${tile('failing', 'poll failures', counts.failing)}
      ${tile('uptime', 'tower uptime', store.startedAt ? duration(Date.now() - store.startedAt) : '')}
      <div class="tile wide" id="global-checksum">
        <span class="value mono">${store.global}</span><span class="label">global checksum</span>
      </div>
      <div class=${`tile feed ${live ? 'live' : 'down'}`} id="feed-status">
        <span class="value">${live ? 'live' : 'reconnecting'}</span><span class="label">change feed</span>
      </div>
    </section>
  `;
}
