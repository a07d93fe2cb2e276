/**
 * `GET /health`: liveness for load balancers and operators.
 */
import { Hono } from 'hono';
import type { BoltTable } from '../../link/bolt-table.js';
import type { ApiEnv } from '../bindings.js';

export function healthRoutes(table: BoltTable, startedAt: number): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get('/health', (c) =>
    c.json({ status: 'ok', uptime: Math.round((Date.now() - startedAt) / 1000), bolts: table.size }),
  );
}
