/**
 * `GET /minions` at fleet scale: the body is assembled from per-chunk encodings that views share, so
 * after a change only the chunk holding that minion is encoded again (encoding the whole list per
 * view blocked a 10,000-minion tower for about 60 ms per GET while the fleet kept changing).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RegistryEvent } from '../../src/registry/registry-events.js';
import { foldEvent, INITIAL_STEP, type RegistryStep } from '../../src/registry/registry-fold.js';
import { document, listText, minionView } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const ids = Array.from({ length: 1_000 }, (_, i) => `m-${String(i).padStart(4, '0')}`);

const update = (id: string, revision: number): RegistryEvent => ({
  type: 'updated',
  seq: 1,
  state: 'ready',
  view: minionView(id, { document: document(id, revision) }),
});

describe('list body', () => {
  it('re-encodes only the chunk a change touched, and stays the exact JSON array', () => {
    let step: RegistryStep = INITIAL_STEP;
    for (const id of ids) step = foldEvent(step, update(id, 1));
    expect(listText(step.view)).toBe(JSON.stringify(ids.map((id) => document(id, 1))));

    step = foldEvent(step, update('m-0500', 2));
    const encodings = vi.spyOn(Buffer, 'from');
    const text = listText(step.view);
    expect(encodings.mock.calls.filter(([input]) => typeof input === 'string')).toHaveLength(1);
    expect(text).toBe(JSON.stringify(ids.map((id) => document(id, id === 'm-0500' ? 2 : 1))));
  });

  it('is an empty array for an empty fleet', () => {
    expect(listText(INITIAL_STEP.view)).toBe('[]');
  });
});
