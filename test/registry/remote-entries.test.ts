/**
 * Other towers' minions in the fold: shown when no local minion has the cname, hidden behind a local
 * one (and shown again when it leaves), and the `own` mark set only for what this tower holds.
 */
import { describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/registry/registry-events.js';
import {
  foldEvent,
  INITIAL_STEP,
  type RegistryStep,
  type RemoteRecords,
} from '../../src/registry/registry-fold.js';
import type { RegistryEntry } from '../../src/registry/registry-types.js';
import { checksumOf, document, expectedGlobal, minionView, T0 } from './helpers.js';

function remoteEntry(id: string, revision: number): RegistryEntry & { boltId: string } {
  const doc = document(id, revision);
  return {
    id,
    boltId: `remote-${id}`,
    document: doc,
    checksum: checksumOf(doc),
    state: 'ready',
    lastError: null,
    consecutiveFailures: 0,
    connectedAt: T0,
    lastPollAt: T0,
    lastChangeAt: T0,
    json: JSON.stringify(doc),
  };
}

const local = (id: string, revision: number): RegistryEvent => ({
  type: 'updated',
  seq: 1,
  state: 'ready',
  view: minionView(id, { document: document(id, revision) }),
});

function run(events: readonly RegistryEvent[]): RegistryStep[] {
  const remote: RemoteRecords = new Map();
  const steps: RegistryStep[] = [];
  let step = INITIAL_STEP;
  for (const event of events) {
    step = foldEvent(step, event, remote);
    steps.push(step);
  }
  return steps;
}

const served = (step: RegistryStep | undefined, id: string) => step?.view.entries.get(id)?.document;

describe('other towers’ minions in the registry', () => {
  it('shows a remote minion, changes it and removes it, with the global checksum of what is shown', () => {
    const steps = run([
      { type: 'remote-held', entry: remoteEntry('r1', 1) },
      { type: 'remote-held', entry: remoteEntry('r1', 2) },
      { type: 'remote-gone', id: 'r1' },
    ]);
    expect(steps.map((step) => step.change?.type)).toEqual(['added', 'changed', 'removed']);
    expect(steps[1]?.view.global).toBe(expectedGlobal([['r1', checksumOf(document('r1', 2))]]));
    expect(steps.every((step) => step.own === undefined)).toBe(true);
  });

  it('lets a local minion win, and shows the remote record again when the local one leaves', () => {
    const steps = run([
      { type: 'remote-held', entry: remoteEntry('m', 1) },
      local('m', 2),
      { type: 'remote-held', entry: remoteEntry('m', 3) },
      { type: 'left', seq: 1, id: 'm', boltId: 'b' },
    ]);
    expect(steps.map((step) => step.change?.type ?? null)).toEqual(['added', 'changed', null, 'changed']);
    expect(served(steps[1], 'm')).toEqual(document('m', 2));
    // The newer remote record waits behind the local minion...
    expect(served(steps[2], 'm')).toEqual(document('m', 2));
    // ...and is what the view shows once the local minion is gone.
    expect(served(steps[3], 'm')).toEqual(document('m', 3));
    expect(steps.map((step) => (step.own?.entry === null ? 'gone' : step.own?.entry?.checksum))).toEqual([
      undefined,
      checksumOf(document('m', 2)),
      undefined,
      'gone',
    ]);
  });

  it('ignores a remote goodbye for a minion held here', () => {
    const steps = run([local('m', 1), { type: 'remote-gone', id: 'm' }]);
    expect(steps[1]?.change).toBeNull();
    expect(served(steps[1], 'm')).toEqual(document('m', 1));
  });

  it('marks a local minion that takes over a remote record with the same document as its own, announcing nothing', () => {
    const steps = run([{ type: 'remote-held', entry: remoteEntry('m', 1) }, local('m', 1)]);
    expect(steps[1]?.change).toBeNull();
    expect(steps[1]?.own?.entry?.id).toBe('m');
  });
});
