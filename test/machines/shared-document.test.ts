import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StatusObject } from '../../machines/minion-link.js';
import { shareUnchanged } from '../../machines/shared-document.js';
import { documentChecksum, toServedDocument } from '../../machines/status-document.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8'),
) as StatusObject;
const CN = '30a2a131-f812-4666-bb69-c443f7e3a901';

/** The same agent polled again: a fresh parse, with only `os` moved. */
const repoll = (uptime: number): StatusObject => {
  const raw = JSON.parse(JSON.stringify(fixture)) as Record<string, unknown>;
  raw.os = { ...(raw.os as object), uptime };
  return raw as StatusObject;
};

describe('shareUnchanged', () => {
  it('keeps the new os and the held values, and encodes exactly as the new document', () => {
    const held = toServedDocument(repoll(1), CN).document;
    const next = toServedDocument(repoll(2), CN).document;
    expect(documentChecksum(next)).toBe(documentChecksum(held));
    const shared = shareUnchanged(next, held);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(next));
    expect(shared.os).toBe(next.os);
    for (const key of Object.keys(shared).filter((k) => k !== 'os')) expect(shared[key]).toBe(held[key]);
  });

  it("keeps the new document's key order and an agent's own __proto__ key", () => {
    const held = JSON.parse('{"id":"a","__proto__":{"x":1},"os":{"u":1},"b":[1]}') as StatusObject;
    const next = JSON.parse('{"os":{"u":2},"id":"a","__proto__":{"x":1},"b":[1]}') as StatusObject;
    const shared = shareUnchanged(toServedDocument(next, 'a').document, toServedDocument(held, 'a').document);
    expect(Object.keys(shared)).toEqual(['os', 'id', '__proto__', 'b']);
    expect(Object.getPrototypeOf(shared)).toBe(Object.prototype);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(next));
  });
});
