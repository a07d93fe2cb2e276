/**
 * `GET /metrics`: the tower's metrics in the Prometheus text format, behind the API token like every
 * other route (a separate listener without the token is `--metrics-port`).
 */
import { Hono } from 'hono';
import type { MetricsExposition } from '../api-observer.js';
import type { ApiEnv } from '../bindings.js';

export function metricsRoutes(scrape: () => Promise<MetricsExposition>): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get('/metrics', async (c) => {
    const { contentType, body } = await scrape();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
}
