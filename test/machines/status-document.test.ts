import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StatusObject } from '../../machines/minion-link.js';
import { documentChecksum, toServedDocument } from '../../machines/status-document.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8'),
) as StatusObject;
const CN = '30a2a131-f812-4666-bb69-c443f7e3a901';

/** The rule, written independently of the code under test: md5 of the JSON without top-level `os`. */
function expectedChecksum(document: object): string {
  const copy: Record<string, unknown> = { ...document };
  delete copy.os;
  return createHash('md5').update(JSON.stringify(copy)).digest('hex');
}

describe('toServedDocument', () => {
  it('keeps a document whose id is the CN as it is, with no foreign id', () => {
    const { document, foreignId } = toServedDocument(fixture, CN);
    expect(JSON.stringify(document)).toBe(JSON.stringify(fixture));
    expect(foreignId).toBeUndefined();
  });

  it('appends the CN as the last key when the document has no id', () => {
    const { document, foreignId } = toServedDocument(
      { activated: true, os: { uptime: 1 }, services: [] },
      'minion-a',
    );
    expect(Object.keys(document)).toEqual(['activated', 'os', 'services', 'id']);
    expect(document.id).toBe('minion-a');
    expect(foreignId).toBeUndefined();
  });

  it('replaces a foreign id in place and returns it', () => {
    const raw = { activated: true, id: 'someone-else', running: false };
    const { document, foreignId } = toServedDocument(raw, 'minion-a');
    expect(Object.keys(document)).toEqual(['activated', 'id', 'running']);
    expect(document.id).toBe('minion-a');
    expect(foreignId).toBe('someone-else');
    expect(raw.id).toBe('someone-else');
  });

  it('treats a non-string id as foreign too', () => {
    expect(toServedDocument({ id: 42 }, 'minion-a').foreignId).toBe(42);
  });
});

describe('documentChecksum', () => {
  it('matches the stormflash fixture, computed from the rule and as the fixed vector', () => {
    const { document } = toServedDocument(fixture, CN);
    expect(documentChecksum(document)).toBe(expectedChecksum(fixture));
    expect(documentChecksum(document)).toBe('07a6525c60d530a9870d89d9f1ad1091');
  });

  it('matches the small fixed vector', () => {
    const raw = JSON.parse(
      '{"id":"30a2a131-f812-4666-bb69-c443f7e3a901","activated":true,"running":true,' +
        '"os":{"hostname":"kvm570","uptime":33.25},"uplink":{"host":"stormtower.dev.intercloud.net","port":443},' +
        '"packages":[],"services":[],"instances":[]}',
    ) as StatusObject;
    expect(documentChecksum(toServedDocument(raw, CN).document)).toBe('7d119c0a86c31c30b237c7c233734b4c');
  });

  it('hashes a document without id with the CN appended last', () => {
    const raw = { activated: true, os: { uptime: 3 }, packages: [] };
    const { document } = toServedDocument(raw, 'minion-a');
    const expected = createHash('md5')
      .update('{"activated":true,"packages":[],"id":"minion-a"}')
      .digest('hex');
    expect(documentChecksum(document)).toBe(expected);
  });

  it('hashes a document that claimed a foreign id with the CN in its place', () => {
    const { document } = toServedDocument({ id: 'someone-else', running: true }, 'minion-a');
    const expected = createHash('md5').update('{"id":"minion-a","running":true}').digest('hex');
    expect(documentChecksum(document)).toBe(expected);
  });

  it('ignores a change of the top-level os key only', () => {
    const before = toServedDocument(fixture, CN).document;
    const after = toServedDocument({ ...fixture, os: { uptime: 99999, hostname: 'elsewhere' } }, CN).document;
    expect(documentChecksum(after)).toBe(documentChecksum(before));
    expect(documentChecksum(after)).toBe(expectedChecksum(fixture));
  });

  it('sees any other change, including a nested os key and key order', () => {
    const base = toServedDocument(fixture, CN).document;
    const nested = toServedDocument({ ...fixture, env: { os: 'changed' } }, CN).document;
    const reordered = toServedDocument({ running: fixture.running, ...fixture }, CN).document;
    expect(documentChecksum(nested)).not.toBe(documentChecksum(base));
    expect(documentChecksum(reordered)).not.toBe(documentChecksum(base));
  });
});
