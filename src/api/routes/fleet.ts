/**
 * `GET /fleet`: every live minion with what the console's table shows (state, transport, address,
 * times, checksum, last error), the minions removed in the last hour, and the global checksum. In a
 * cluster, the minions other towers hold are listed too, from their records, with their `tower`.
 * `GET /fleet/machine`: the minion machine's graph, for the console's diagram. Both sit behind the
 * API token like the rest of the read API; `/fleet` is compressed like `/minions` (`compression.ts`).
 */
import { createRoute } from '@hono/zod-openapi';
import { minionMachine } from '../../../machines/minion.machine.js';
import type { RecordSummary } from '../../cluster/minion-record.js';
import type { FleetBody, FleetDetail, FleetMinion } from '../console/fleet-contract.js';
import { machineGraph } from '../console/machine-graph.js';
import type { RegistrySource } from '../feed/registry-source.js';
import { describedRoutes } from '../openapi/described-routes.js';
import { FleetBodySchema, MachineGraphSchema } from '../openapi/fleet-schemas.js';

const fleetRoute = createRoute({
  method: 'get',
  path: '/fleet',
  operationId: 'getFleet',
  tags: ['console'],
  summary: 'Every live minion in detail, the removals of the last hour and the global checksum',
  description:
    "What the console's table shows. In a cluster, the minions other towers hold are listed after this " +
    "tower's own, from their records, with the `tower` holding them. Compressed (br or gzip, per " +
    '`Accept-Encoding`) from 1 KiB.',
  responses: {
    200: {
      description: 'The fleet',
      headers: { 'Cache-Control': { description: 'Always `no-store`', schema: { type: 'string' } } },
      content: { 'application/json': { schema: FleetBodySchema } },
    },
  },
});

const machineRoute = createRoute({
  method: 'get',
  path: '/fleet/machine',
  operationId: 'getMinionMachine',
  tags: ['console'],
  summary: "The minion machine's states and transitions, read off the machine that runs",
  responses: {
    200: { description: 'The graph', content: { 'application/json': { schema: MachineGraphSchema } } },
  },
});

export interface FleetRouteOptions {
  readonly detail: () => FleetDetail;
  readonly registry: RegistrySource;
  readonly startedAt: number;
  /** In a cluster: the records of the minions other towers hold. */
  readonly remote?: () => Iterable<RecordSummary>;
}

function remoteMinion(record: RecordSummary): FleetMinion {
  return {
    cname: record.cname,
    state: record.state,
    transport: record.link?.transport ?? '',
    address: record.link?.address ?? '',
    ports: record.link?.ports ?? [],
    connectedAt: record.connectedAt,
    lastPollAt: record.lastPollAt,
    lastChangeAt: record.lastChangeAt,
    checksum: record.checksum,
    lastError: record.lastError,
    consecutiveFailures: record.consecutiveFailures,
    tower: record.owner,
  };
}

/** This tower's minions, then the ones other towers hold (a cname being taken over shows once). */
function withRemote(detail: FleetDetail, remote: Iterable<RecordSummary> | undefined): FleetDetail {
  if (remote === undefined) return detail;
  const local = new Set(detail.minions.map((minion) => minion.cname));
  const others: FleetMinion[] = [];
  for (const record of remote) if (!local.has(record.cname)) others.push(remoteMinion(record));
  return others.length === 0 ? detail : { ...detail, minions: [...detail.minions, ...others] };
}

export function fleetRoutes(options: FleetRouteOptions) {
  // The machine is fixed for the life of the process: its graph is read once.
  const graph = machineGraph(minionMachine);
  return describedRoutes()
    .openapi(fleetRoute, (c) => {
      const body: FleetBody = {
        ...withRemote(options.detail(), options.remote?.()),
        at: Date.now(),
        startedAt: options.startedAt,
        global: options.registry.current().global,
      };
      c.header('Cache-Control', 'no-store');
      return c.json(body, 200);
    })
    .openapi(machineRoute, (c) => c.json(graph, 200));
}
