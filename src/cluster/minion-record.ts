/**
 * What a tower publishes for each minion it holds, one JSON value per key of the minions bucket.
 * Other towers read it as untrusted input: a value that does not parse is logged and ignored.
 */
import { z } from 'zod';
import type { ServedDocument } from '../../machines/minion-snapshot.js';
import { CNAME_PATTERN } from '../certs/cname.js';
import type { RegistryEntry } from '../registry/registry-types.js';

const failure = z.object({ code: z.string(), message: z.string(), at: z.number() }).strict();

/** Where and how the minion's bolt is connected, for `/clients` on other towers. */
const link = z
  .object({
    ports: z.array(z.int().min(1).max(65535)).max(65535),
    address: z.string().max(256),
    transport: z.string().max(16),
  })
  .strict();

export const minionRecordSchema = z
  .object({
    v: z.literal(1),
    cname: z.string().regex(CNAME_PATTERN),
    /** The tower holding the bolt. */
    owner: z.string().min(1).max(128),
    boltId: z.string().min(1).max(64),
    /** Counts the owners the key has had: a fencing number every takeover increases. */
    epoch: z.int().positive(),
    state: z.enum(['connecting', 'monitoring', 'ready', 'changed', 'removed']),
    /** Null until the minion's first good document: its bolt is relayed to, but not listed. */
    checksum: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .nullable(),
    document: z.looseObject({ id: z.string() }).nullable(),
    lastError: failure.nullable(),
    consecutiveFailures: z.int().min(0),
    connectedAt: z.number(),
    lastPollAt: z.number().nullable(),
    lastChangeAt: z.number().nullable(),
    link: link.nullable(),
  })
  .strict();

export type MinionRecord = z.output<typeof minionRecordSchema>;
/** A record without its document: what a tower keeps of another tower's minion besides its entry. */
export type RecordSummary = Omit<MinionRecord, 'document'>;
export type MinionLink = z.output<typeof link>;

/** A bolt this tower holds, and its registry entry once the minion has a first document. */
export interface LocalMinion {
  readonly cname: string;
  readonly boltId: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  readonly link: MinionLink;
  readonly entry: (RegistryEntry & { readonly boltId: string }) | undefined;
}

/** The document of a record a tower takes over, kept until the minion's own first document. */
export interface CarriedDocument {
  readonly document: NonNullable<MinionRecord['document']>;
  readonly checksum: string;
  readonly lastChangeAt: number | null;
}

export const carriedFrom = (record: ListedRecord): CarriedDocument => ({
  document: record.document,
  checksum: record.checksum,
  lastChangeAt: record.lastChangeAt,
});

export function toRecord(
  local: LocalMinion,
  owner: string,
  epoch: number,
  carried?: CarriedDocument,
): MinionRecord {
  const { entry } = local;
  return {
    v: 1,
    cname: local.cname,
    owner,
    boltId: local.boltId,
    epoch,
    state: entry?.state ?? 'connecting',
    checksum: entry?.checksum ?? carried?.checksum ?? null,
    document: entry?.document ?? carried?.document ?? null,
    lastError: entry?.lastError ?? null,
    consecutiveFailures: entry?.consecutiveFailures ?? 0,
    connectedAt: entry?.connectedAt ?? local.connectedAt,
    lastPollAt: entry?.lastPollAt ?? null,
    lastChangeAt: entry?.lastChangeAt ?? carried?.lastChangeAt ?? null,
    link: local.link,
  };
}

/** A record with a document: a minion other towers list. */
export type ListedRecord = MinionRecord & {
  readonly document: NonNullable<MinionRecord['document']>;
  readonly checksum: string;
};

export const isListed = (record: MinionRecord): record is ListedRecord =>
  record.document !== null && record.checksum !== null;

/** The registry entry another tower's record stands for. `json` is re-made: a peer's text is not served. */
export function recordEntry(record: ListedRecord): RegistryEntry & { readonly boltId: string } {
  const document = { ...record.document, id: record.cname } as ServedDocument;
  return {
    id: record.cname,
    boltId: record.boltId,
    document,
    checksum: record.checksum,
    state: record.state,
    lastError: record.lastError as RegistryEntry['lastError'],
    consecutiveFailures: record.consecutiveFailures,
    connectedAt: record.connectedAt,
    lastPollAt: record.lastPollAt,
    lastChangeAt: record.lastChangeAt,
    json: JSON.stringify(document),
  };
}

export type RecordProblem = { readonly ok: false; readonly message: string };

/** Parses one bucket value; the problem says which field is wrong, for one log line. */
export function parseRecord(
  bytes: Uint8Array,
): { readonly ok: true; readonly record: MinionRecord } | RecordProblem {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, message: 'not UTF-8 JSON' };
  }
  const parsed = minionRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, record: parsed.data };
}
