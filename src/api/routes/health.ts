/**
 * `GET /health`: liveness for load balancers and operators. `GET /ready`: whether this tower can
 * answer for the whole fleet: not before its listeners are up, not once it is draining (SIGTERM:
 * 503 `draining` until it exits), and in a cluster, not before it has read the cluster's minions
 * once, nor while it is cut off from NATS (it still serves and relays to its own bolts then, so
 * `/health` stays 200 and says `degraded`).
 *
 * `/health` stays 200 while draining (the process is alive and finishing its relays; a liveness
 * probe that failed now would only have it killed sooner) and says so with `draining: true`.
 */
import { createRoute } from '@hono/zod-openapi';
import type { ClusterStatus } from '../../cluster/cluster.js';
import type { BoltTable } from '../../link/bolt-table.js';
import { describedRoutes } from '../openapi/described-routes.js';
import { HealthSchema, ReadySchema } from '../openapi/schemas.js';
import type { TowerPhase } from '../tower-phase.js';

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  summary: 'Liveness: 200 while the process lives (`degraded` when cut off from the cluster)',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: HealthSchema } } },
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  operationId: 'getReady',
  summary: 'Readiness: whether this tower can answer for the whole fleet',
  responses: {
    200: { description: '`ready`', content: { 'application/json': { schema: ReadySchema } } },
    503: {
      description:
        'Not ready: `starting` (listeners opening, or the cluster not read yet), `degraded` (cut off from the ' +
        'cluster) or `draining` (after SIGTERM; sent with `Connection: close`)',
      content: { 'application/json': { schema: ReadySchema } },
    },
  },
});

export function healthRoutes(
  table: BoltTable,
  startedAt: number,
  cluster?: () => ClusterStatus,
  phase: () => TowerPhase = () => 'serving',
) {
  return describedRoutes()
    .openapi(healthRoute, (c) => {
      const status = cluster?.();
      return c.json(
        {
          status: status === undefined || status.connected ? 'ok' : 'degraded',
          uptime: Math.round((Date.now() - startedAt) / 1000),
          bolts: table.size,
          ...(phase() === 'draining' ? { draining: true } : {}),
          ...(status ? { cluster: status } : {}),
        },
        200,
      );
    })
    .openapi(readyRoute, (c) => {
      const now = phase();
      if (now === 'draining')
        return c.json({ status: 'draining', reason: 'this tower is shutting down: use another' }, 503);
      if (now === 'starting') return c.json({ status: 'starting', reason: 'its listeners are opening' }, 503);
      const status = cluster?.();
      if (status === undefined || (status.connected && status.synced))
        return c.json({ status: 'ready' }, 200);
      if (!status.connected)
        return c.json(
          { status: 'degraded', reason: 'cut off from the cluster: only this tower’s minions are current' },
          503,
        );
      return c.json({ status: 'starting', reason: 'still reading the cluster’s minions' }, 503);
    });
}
