/**
 * The registry's checksum rules, written out again from their description so end-to-end tests check
 * the tower against the rule rather than against its own code:
 *
 * - a served document is the agent's `/status` object with `id` set to the certificate CN (an
 *   existing `id` keeps its place, a missing one goes last);
 * - a minion's checksum is the MD5 hex of `JSON.stringify` of that document without top-level `os`;
 * - the global checksum is the MD5 hex of `<id>:<checksum>\n` for every minion, ids ascending.
 */
import { createHash } from 'node:crypto';

export type Document = Record<string, unknown>;

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export const served = (status: Document, cname: string): Document => ({ ...status, id: cname });

export function documentChecksum(document: Document): string {
  const { os: _os, ...rest } = document;
  return md5(JSON.stringify(rest));
}

/** Global checksum of documents that carry their ids. */
export function globalChecksum(documents: Iterable<Document>): string {
  const lines = [...documents].map((document) => {
    const { id } = document;
    if (typeof id !== 'string') throw new Error('a served document must have a string id');
    return { id, line: `${id}:${documentChecksum(document)}\n` };
  });
  lines.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return md5(lines.map(({ line }) => line).join(''));
}
