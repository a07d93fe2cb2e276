/**
 * The global checksum is hashed when read, not per change: a 10,000-minion fleet makes hundreds of
 * changes a second and re-hashing its text after each one was the registry's largest cost. A burst of
 * changes nobody reads costs no hashing at all; the first read hashes once, from the earliest change.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as checksums from '../../src/registry/global-checksum.js';
import type { RegistryEvent } from '../../src/registry/registry-events.js';
import { foldEvent, INITIAL_STEP, type RegistryStep } from '../../src/registry/registry-fold.js';
import type { RegistryChange } from '../../src/registry/registry-types.js';
import { checksumOf, document, expectedGlobal, minionView } from './helpers.js';

vi.mock('../../src/registry/global-checksum.js', { spy: true });

afterEach(() => vi.mocked(checksums.rehash).mockClear());

const ids = Array.from({ length: 2_000 }, (_, i) => `m-${String(i).padStart(5, '0')}`);

function fold(events: Iterable<RegistryEvent>, from: RegistryStep = INITIAL_STEP) {
  const steps: RegistryStep[] = [];
  let step = from;
  for (const event of events) {
    step = foldEvent(step, event);
    steps.push(step);
  }
  return { steps, last: step };
}

function* revisions(revision: number, every = 1): Generator<RegistryEvent> {
  for (let i = 0; i < ids.length; i += every) {
    const id = ids[i] as string;
    yield {
      type: 'updated',
      seq: 1,
      state: 'ready',
      view: minionView(id, { document: document(id, revision) }),
    };
  }
}

const expected = (revisionOf: (i: number) => number): string =>
  expectedGlobal(ids.map((id, i) => [id, checksumOf(document(id, revisionOf(i)))]));

describe('lazy global checksum', () => {
  it('hashes nothing while folding, then once for the first read, and never again for that view', () => {
    const { last } = fold(revisions(1));
    expect(checksums.rehash).not.toHaveBeenCalled();

    expect(last.view.global).toBe(expected(() => 1));
    expect(last.change?.global).toBe(last.view.global);
    expect(checksums.rehash).toHaveBeenCalledTimes(1);
  });

  it('gives every unread view and change its own checksum when read later, in any order', () => {
    const start = fold(revisions(1)).last;
    void start.view.global;
    const { steps } = fold(revisions(2, 500), start);
    const changes = steps.map((step) => step.change as RegistryChange);
    // Read backwards: each view hashes from the checksum it was made from, not from a later one.
    const read = steps.map((_, k) => steps[steps.length - 1 - k]?.view.global).reverse();
    expect(read).toEqual(steps.map((_, k) => expected((i) => (i % 500 === 0 && i / 500 <= k ? 2 : 1))));
    expect(changes.map((change) => change.global)).toEqual(read);
  });

  it('serialises a change with its global like a plain field', () => {
    const { last } = fold(revisions(1, 1_000));
    const change = last.change as RegistryChange;
    expect(JSON.parse(JSON.stringify(change))).toEqual({
      type: 'added',
      id: ids[1_000],
      checksum: checksumOf(document(ids[1_000] as string, 1)),
      global: last.view.global,
    });
  });
});
