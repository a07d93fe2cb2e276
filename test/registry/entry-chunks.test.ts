/**
 * The persistent structures under the view: the chunked entry map and the resumable global checksum,
 * checked against a plain Map and a from-scratch MD5 under seeded random edits.
 */
import { describe, expect, it } from 'vitest';
import { EntryChunks, MAX_CHUNK } from '../../src/registry/entry-chunks.js';
import { EMPTY_GLOBAL, type GlobalChecksum, rehash } from '../../src/registry/global-checksum.js';
import { expectedGlobal, md5, prng, sorted } from './helpers.js';

interface Item {
  readonly id: string;
  readonly checksum: string;
}

const randomId = (random: () => number, space: number): string =>
  `host-${Math.floor(random() * space).toString(36)}.example`;

describe('EntryChunks and the global checksum', () => {
  it('match a Map and a from-scratch MD5 under random edits, across chunk splits and merges', () => {
    const random = prng(42);
    let map = EntryChunks.empty<Item>();
    let checksum: GlobalChecksum = EMPTY_GLOBAL;
    const reference = new Map<string, string>();
    let maxChunks = 0;
    // Grow past several chunks, then shrink back to nothing, so splits and merges both happen.
    for (let step = 0; step < 6000; step++) {
      const id = randomId(random, 2000);
      const growing = step < 4000 ? random() < 0.8 : random() < 0.15;
      // Now and then, check that an edit leaves the map it was made from as it was.
      const before = step % 97 === 0 ? map : undefined;
      const beforeEntries = before === undefined ? [] : [...before.entries()];
      if (growing) {
        const item = { id, checksum: md5(`${id}:${step}`) };
        const edit = map.set(item);
        map = edit.map;
        checksum = rehash(map.chunks, checksum, edit.from);
        reference.set(id, item.checksum);
      } else {
        const edit = map.delete(id);
        expect(edit === null).toBe(!reference.has(id));
        if (edit !== null) {
          map = edit.map;
          checksum = rehash(map.chunks, checksum, edit.from);
        }
        reference.delete(id);
      }
      maxChunks = Math.max(maxChunks, map.chunks.length);
      if (before !== undefined) expect([...before.entries()]).toEqual(beforeEntries);
      if (step % 50 === 0 || step === 5999) {
        expect(map.size).toBe(reference.size);
        expect([...map.keys()]).toEqual(sorted(reference.keys()));
        expect(checksum.digest).toBe(expectedGlobal(reference));
        for (const chunk of map.chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(MAX_CHUNK);
        }
        const probe = randomId(random, 2000);
        expect(map.get(probe)?.checksum).toBe(reference.get(probe));
        expect(map.has(probe)).toBe(reference.has(probe));
      }
    }
    expect(maxChunks).toBeGreaterThan(3);
  });

  it('iterates like a Map', () => {
    let map = EntryChunks.empty<Item>();
    for (const id of ['b', 'c', 'a']) map = map.set({ id, checksum: id }).map;
    const visited: string[] = [];
    map.forEach((value, key, self) => {
      expect(self).toBe(map);
      visited.push(`${key}=${value.checksum}`);
    });
    expect(visited).toEqual(['a=a', 'b=b', 'c=c']);
    expect([...map].map(([key]) => key)).toEqual(['a', 'b', 'c']);
    expect([...map.values()].map((value) => value.id)).toEqual(['a', 'b', 'c']);
    expect(map.delete('nope')).toBeNull();
  });
});
