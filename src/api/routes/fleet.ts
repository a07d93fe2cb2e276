/**
 * `GET /fleet`: every live minion with what the console's table shows (state, transport, address,
 * times, checksum, last error), the minions removed in the last hour, and the global checksum.
 * `GET /fleet/machine`: the minion machine's graph, for the console's diagram. Both sit behind the
 * API token like the rest of the read API.
 */
import { Hono } from 'hono';
import { minionMachine } from '../../../machines/minion.machine.js';
import type { ApiEnv } from '../bindings.js';
import type { FleetBody, FleetDetail } from '../console/fleet-contract.js';
import { machineGraph } from '../console/machine-graph.js';
import type { RegistrySource } from '../feed/registry-source.js';

export interface FleetRouteOptions {
  readonly detail: () => FleetDetail;
  readonly registry: RegistrySource;
  readonly startedAt: number;
}

export function fleetRoutes(options: FleetRouteOptions): Hono<ApiEnv> {
  // The machine is fixed for the life of the process: its graph is read once.
  const graph = machineGraph(minionMachine);
  return new Hono<ApiEnv>()
    .get('/fleet', (c) => {
      const body: FleetBody = {
        ...options.detail(),
        at: Date.now(),
        startedAt: options.startedAt,
        global: options.registry.current().global,
      };
      c.header('Cache-Control', 'no-store');
      return c.json(body);
    })
    .get('/fleet/machine', (c) => c.json(graph));
}
