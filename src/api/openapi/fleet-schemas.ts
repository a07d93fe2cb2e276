/**
 * `GET /fleet` and `GET /fleet/machine` as zod schemas, for the route types and the document. The
 * browser console reads the same shapes as plain types (`console/fleet-contract.ts`, no zod in the
 * page); the checks at the bottom fail tsc when the two drift apart.
 */
import { z } from '@hono/zod-openapi';
import type { FleetBody, MachineGraph } from '../console/fleet-contract.js';

const epochMs = (description: string) =>
  z.number().int().openapi({ description, example: 1_764_970_000_000 });

const FleetStateSchema = z
  .enum(['connecting', 'monitoring', 'ready', 'changed', 'removed'])
  .openapi({ description: "The minion actor's lifecycle state" });

const FleetPollFailureSchema = z
  .object({
    code: z.string().openapi({ example: 'upstream-unreachable' }),
    message: z.string(),
    at: epochMs('When the poll failed'),
  })
  .openapi('FleetPollFailure');

export const FleetMinionSchema = z
  .object({
    cname: z.string().openapi({ example: 'web-1' }),
    state: FleetStateSchema,
    transport: z
      .string()
      .openapi({ description: '`ws` for a WebSocket bolt, `legacy` for a stormbolt link' }),
    address: z.string().openapi({ example: '203.0.113.7' }),
    ports: z
      .array(z.number().int())
      .readonly()
      .openapi({ example: [8080] }),
    connectedAt: epochMs('When the bolt connected'),
    lastPollAt: epochMs('When its status was last read').nullable(),
    lastChangeAt: epochMs('When its status document last changed').nullable(),
    checksum: z
      .string()
      .nullable()
      .openapi({ description: 'MD5 hex of its document, as `HEAD /minions/{id}`' }),
    lastError: FleetPollFailureSchema.nullable(),
    consecutiveFailures: z.number().int(),
    tower: z.string().optional().openapi({
      description: "In a cluster: the other tower holding this minion's bolt; absent for this tower's own",
    }),
  })
  .openapi('FleetMinion');

export const FleetRemovalSchema = z
  .object({
    cname: z.string(),
    transport: z.string(),
    address: z.string(),
    connectedAt: epochMs('When the bolt had connected'),
    removedAt: epochMs('When the minion was removed'),
    reason: z.string().openapi({ description: 'Why, e.g. the bolt closed' }),
    checksum: z.string().nullable(),
  })
  .openapi('FleetRemoval');

export const FleetBodySchema = z
  .object({
    minions: z.array(FleetMinionSchema).readonly(),
    removed: z
      .array(FleetRemovalSchema)
      .readonly()
      .openapi({ description: 'The minions removed in the last hour' }),
    at: epochMs("When this answer was made (the tower's clock)"),
    startedAt: epochMs('When the tower started'),
    global: z
      .string()
      .openapi({ description: "The registry's global checksum, as `HEAD /minions` gives it" }),
  })
  .openapi('Fleet');

export const MachineGraphSchema = z
  .object({
    id: z.string().openapi({ example: 'minion' }),
    initial: z.string().openapi({ example: 'connecting' }),
    states: z
      .array(z.object({ name: z.string(), final: z.boolean() }))
      .readonly()
      .openapi({ description: 'In lifecycle order' }),
    transitions: z
      .array(
        z.object({
          from: z.string().openapi({ description: '`*` for a transition every state takes' }),
          to: z.string(),
          event: z.string().openapi({ example: 'after capabilityTimeout' }),
        }),
      )
      .readonly(),
  })
  .openapi('MachineGraph');

/** True when `A` and `B` are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type InStep<T extends true> = T;

/** Fails tsc when a schema and the console's type for the same body differ. */
export type FleetContractInStep =
  | InStep<Same<z.infer<typeof FleetBodySchema>, FleetBody>>
  | InStep<Same<z.infer<typeof MachineGraphSchema>, MachineGraph>>;
