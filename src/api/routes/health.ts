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
import { Hono } from 'hono';
import type { ClusterStatus } from '../../cluster/cluster.js';
import type { BoltTable } from '../../link/bolt-table.js';
import type { ApiEnv } from '../bindings.js';
import type { TowerPhase } from '../tower-phase.js';

export function healthRoutes(
  table: BoltTable,
  startedAt: number,
  cluster?: () => ClusterStatus,
  phase: () => TowerPhase = () => 'serving',
): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get('/health', (c) => {
      const status = cluster?.();
      return c.json({
        status: status === undefined || status.connected ? 'ok' : 'degraded',
        uptime: Math.round((Date.now() - startedAt) / 1000),
        bolts: table.size,
        ...(phase() === 'draining' ? { draining: true } : {}),
        ...(status ? { cluster: status } : {}),
      });
    })
    .get('/ready', (c) => {
      const now = phase();
      if (now === 'draining')
        return c.json({ status: 'draining', reason: 'this tower is shutting down: use another' }, 503);
      if (now === 'starting') return c.json({ status: 'starting', reason: 'its listeners are opening' }, 503);
      const status = cluster?.();
      if (status === undefined || (status.connected && status.synced)) return c.json({ status: 'ready' });
      if (!status.connected)
        return c.json(
          { status: 'degraded', reason: 'cut off from the cluster: only this tower’s minions are current' },
          503,
        );
      return c.json({ status: 'starting', reason: 'still reading the cluster’s minions' }, 503);
    });
}
