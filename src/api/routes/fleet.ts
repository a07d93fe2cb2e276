/**
 * `GET /fleet`: every live minion with what the console's table shows (state, transport, address,
 * times, checksum, last error), the minions removed in the last hour, and the global checksum. In a
 * cluster, the minions other towers hold are listed too, from their records, with their `tower`.
 * `GET /fleet/machine`: the minion machine's graph, for the console's diagram. Both sit behind the
 * API token like the rest of the read API.
 */
import { Hono } from 'hono';
import { minionMachine } from '../../../machines/minion.machine.js';
import type { RecordSummary } from '../../cluster/minion-record.js';
import type { ApiEnv } from '../bindings.js';
import type { FleetBody, FleetDetail, FleetMinion } from '../console/fleet-contract.js';
import { machineGraph } from '../console/machine-graph.js';
import type { RegistrySource } from '../feed/registry-source.js';

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

export function fleetRoutes(options: FleetRouteOptions): Hono<ApiEnv> {
  // The machine is fixed for the life of the process: its graph is read once.
  const graph = machineGraph(minionMachine);
  return new Hono<ApiEnv>()
    .get('/fleet', (c) => {
      const body: FleetBody = {
        ...withRemote(options.detail(), options.remote?.()),
        at: Date.now(),
        startedAt: options.startedAt,
        global: options.registry.current().global,
      };
      c.header('Cache-Control', 'no-store');
      return c.json(body);
    })
    .get('/fleet/machine', (c) => c.json(graph));
}
