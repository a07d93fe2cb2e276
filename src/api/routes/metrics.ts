/**
 * `GET /metrics`: the tower's metrics in the Prometheus text format, behind the API token like every
 * other route (a separate listener without the token is `--metrics-port`).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { MetricsExposition } from '../api-observer.js';
import { describedRoutes } from '../openapi/described-routes.js';
import { preEncodedText } from '../openapi/pre-encoded.js';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  summary: 'The tower’s metrics in the Prometheus text format (only when the tower keeps metrics)',
  responses: {
    200: {
      description: 'Prometheus text exposition format 0.0.4',
      content: { 'text/plain': { schema: z.string().openapi({ example: 'stormtower_bolts 3' }) } },
    },
  },
});

export function metricsRoutes(scrape: () => Promise<MetricsExposition>) {
  return describedRoutes().openapi(metricsRoute, async (c) => {
    const { contentType, body } = await scrape();
    return preEncodedText(c, body, contentType);
  });
}
