/**
 * The API's routes as a type, for the typed client (`client.ts`): the JSON routes described with
 * `createRoute`, each with its parameters and answers. Routes whose bodies are not JSON documents
 * (the relay, the event stream, `/session`, the console's files) are described in the OpenAPI document only.
 */
import type { Hono } from 'hono';
import type { ExtractSchema } from 'hono/types';
import type { ApiEnv } from './bindings.js';
import type { clientRoutes } from './routes/clients.js';
import type { fleetRoutes } from './routes/fleet.js';
import type { healthRoutes } from './routes/health.js';
import type { metricsRoutes } from './routes/metrics.js';
import type { minionRoutes } from './routes/minions.js';

type TypedRoutes =
  | ReturnType<typeof minionRoutes>
  | ReturnType<typeof clientRoutes>
  | ReturnType<typeof healthRoutes>
  | ReturnType<typeof metricsRoutes>
  | ReturnType<typeof fleetRoutes>;

export type StormtowerApi = Hono<ApiEnv, ExtractSchema<TypedRoutes>>;
