/**
 * A tower's presence in the cluster: one key per tower in the towers bucket, rewritten every few
 * seconds. Liveness is judged by when a record was last *received*, on the reader's own clock, so
 * towers need no synchronised clocks.
 */
import { z } from 'zod';

export const towerRecordSchema = z
  .object({
    v: z.literal(1),
    towerId: z.string().min(1).max(128),
    /** Where other towers relay to the minions this tower holds (its peer listener). */
    relayUrl: z.url({ protocol: /^https$/ }),
    apiUrl: z.string().max(512),
    boltUrl: z.string().max(512),
    startedAt: z.number(),
  })
  .strict();

export type TowerRecord = z.output<typeof towerRecordSchema>;

export function parseTowerRecord(bytes: Uint8Array): TowerRecord | undefined {
  try {
    const parsed = towerRecordSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
