/**
 * The shapes the API answers with, as zod schemas: one description serves the route types, the
 * request checks and the OpenAPI document (`document.ts`). Bodies the tower passes through from its
 * minions (status documents, poll errors, cluster status) are described as open objects: the tower
 * promises their frame, not what the minions put in them.
 */
import { z } from '@hono/zod-openapi';

/** The API's one error shape (`errors.ts`): a stable code and a sentence for people. */
export const ApiErrorSchema = z
  .object({
    error: z
      .string()
      .openapi({ description: 'A stable code, e.g. `unknown-minion`', example: 'unknown-minion' }),
    message: z.string().openapi({ example: 'no minion is registered as "web-9"' }),
  })
  .openapi('ApiError');

/** A minion's status document as its agent served it, `id` added by the tower. */
export const MinionDocumentSchema = z
  .looseObject({ id: z.string().openapi({ example: 'web-1' }) })
  .openapi('MinionDocument', {
    description: "The minion's last status document; other fields are the agent's.",
  });

export const MinionListSchema = z.array(MinionDocumentSchema).openapi('MinionList');

export const MinionIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: 'The minion id (its cname)',
      example: 'web-1',
    }),
});

/** A connected bolt, as the old stormbolt API listed it, plus transport, state and conflicts. */
export const ClientSchema = z
  .object({
    cname: z.string().openapi({ example: 'web-1' }),
    ports: z
      .array(z.number().int())
      .readonly()
      .openapi({ example: [8080] }),
    address: z.string().openapi({ example: '203.0.113.7' }),
    connectedAt: z.string().openapi({ format: 'date-time' }),
    transport: z.string().openapi({ description: '`ws`, `legacy`, or `unknown` for another tower’s bolt' }),
    state: z.string().openapi({ description: "The minion actor's lifecycle state", example: 'ready' }),
    lastError: z.unknown().openapi({ description: 'The last poll failure, or null' }),
    conflicts: z.number().int().openapi({ description: 'Agents that contended for this cname' }),
    lastConflictAddress: z.string().nullable(),
    tower: z.string().optional().openapi({ description: 'In a cluster: the tower holding this bolt' }),
  })
  .openapi('Client');

export const ClientListSchema = z.array(ClientSchema).openapi('ClientList');

/** A legacy minion connected before the last restart that has not come back. */
export const MissingClientSchema = z
  .object({ cname: z.string(), lastSeen: z.string().openapi({ format: 'date-time' }) })
  .openapi('MissingClient');

export const ClientsQuerySchema = z.object({
  missing: z
    .enum(['0', '1'])
    .optional()
    .openapi({
      param: { name: 'missing', in: 'query' },
      description: '`1`: list the legacy minions connected before the last restart that have not come back',
    }),
});

export const ClientIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'The bolt cname', example: 'web-1' }),
});

const ClusterStatusSchema = z
  .object({
    towerId: z.string(),
    connected: z.boolean(),
    synced: z.boolean(),
    towers: z.number().int(),
    pendingWrites: z.number().int(),
  })
  .openapi('ClusterStatus');

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    uptime: z.number().int().openapi({ description: 'Seconds since the tower started' }),
    bolts: z.number().int(),
    draining: z.literal(true).optional().openapi({ description: 'Present while the tower drains (SIGTERM)' }),
    cluster: ClusterStatusSchema.optional(),
  })
  .openapi('Health');

export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'starting', 'degraded', 'draining']),
    reason: z.string().optional(),
  })
  .openapi('Ready');
