/**
 * A route module's app: an `OpenAPIHono` whose routes carry their description, with request checks
 * answered in the API's error shape (`validation-hook.ts`).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from '../bindings.js';
import { validationHook } from './validation-hook.js';

export const describedRoutes = (): OpenAPIHono<ApiEnv> =>
  new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
