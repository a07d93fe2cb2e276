import { describe, expect, it } from 'vitest';
import type { ServedDocument } from '../../machines/minion-snapshot.js';
import { joinAroundOs, sharesAllButOs, splitAroundOs } from '../../src/registry/document-json.js';

const doc = (value: Record<string, unknown>): ServedDocument => value as ServedDocument;

describe('splitAroundOs', () => {
  it.each([
    ['os in the middle', { id: 'a', n: 1, os: { up: 1 }, list: [1, 'x'], z: null }],
    ['os first', { os: { up: 1 }, id: 'a' }],
    ['os last', { id: 'a', os: { up: 1 } }],
    ['os alone', { os: 'linux' }],
    ['keys that need escaping', { 'a"b': '\u2028', id: 'a', os: { é: 1 } }],
  ])('gives back the exact text around the os value (%s)', (_, value) => {
    const document = doc(value);
    const json = JSON.stringify(document);
    const split = splitAroundOs(document, json);
    expect(split).not.toBeNull();
    expect(joinAroundOs(split as NonNullable<typeof split>, document)).toBe(json);
  });

  it('declines a document without os, or one whose values do not encode alone as they do inside it', () => {
    const noOs = doc({ id: 'a' });
    expect(splitAroundOs(noOs, JSON.stringify(noOs))).toBeNull();
    const skipped = doc({ id: 'a', gone: undefined, os: 1 });
    expect(splitAroundOs(skipped, JSON.stringify(skipped))).toBeNull();
  });
});

describe('sharesAllButOs', () => {
  const held = doc({ id: 'a', os: { up: 1 }, packages: [{ name: 'p' }] });

  it('holds for the same values in the same order with any os', () => {
    expect(sharesAllButOs(held, doc({ id: 'a', os: { up: 2 }, packages: held.packages }))).toBe(true);
  });

  it('fails on an equal but different value, another order, or another key set', () => {
    expect(sharesAllButOs(held, doc({ id: 'a', os: { up: 2 }, packages: [{ name: 'p' }] }))).toBe(false);
    expect(sharesAllButOs(held, doc({ os: { up: 2 }, id: 'a', packages: held.packages }))).toBe(false);
    expect(sharesAllButOs(held, doc({ id: 'a', os: { up: 2 } }))).toBe(false);
  });
});
