/**
 * Shared pieces for the registry tests: minion views and documents, a seeded PRNG, and the global
 * checksum computed straight from its definition (never with the code under test).
 */
import { createHash } from 'node:crypto';
import type { MinionView, ServedDocument } from '../../machines/minion-snapshot.js';
import type { RegistryView } from '../../src/registry/registry-types.js';
import { mulberry32 } from '../helpers/prng.js';

export const T0 = 1_700_000_000_000;

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export const document = (id: string, revision: number, os = 'linux'): ServedDocument => ({
  id,
  revision,
  os: { name: os },
});

/** The checksum the minion machine would give: MD5 of the document without its `os` key. */
export function checksumOf(doc: ServedDocument): string {
  const { os: _os, ...rest } = doc;
  return md5(JSON.stringify(rest));
}

/** The rule, spelled out: MD5 over `<id>:<checksum>\n` for every entry in ascending id order. */
export function expectedGlobal(checksums: ReadonlyMap<string, string> | Iterable<[string, string]>): string {
  const pairs = [...checksums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return md5(pairs.map(([id, checksum]) => `${id}:${checksum}\n`).join(''));
}

/** A minion view; with a document, its checksum follows from it unless given. */
export function minionView(
  cname: string,
  overrides: Partial<MinionView> & { boltId?: string } = {},
): MinionView {
  const doc = overrides.document ?? null;
  return {
    cname,
    boltId: 'bolt-1',
    ports: [5000],
    document: doc,
    checksum: doc === null ? null : checksumOf(doc),
    lastError: null,
    consecutiveFailures: 0,
    connectedAt: T0,
    lastPollAt: doc === null ? null : T0,
    lastChangeAt: doc === null ? null : T0,
    removedReason: null,
    ...overrides,
  };
}

/** A seeded PRNG (mulberry32), so random tests replay exactly. */
export const prng = mulberry32;

/** Plain `Array.prototype.sort` order, the one `RegistryView.ids` promises. */
export const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** A view's `GET /minions` body as text. */
export const listText = (view: Pick<RegistryView, 'listBody'>): string =>
  Buffer.concat(view.listBody().parts).toString('utf8');
