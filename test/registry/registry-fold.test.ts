/**
 * The pure fold, with marbles: per-minion events in, one step (view + published change) per event out.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MinionState, MinionView, ServedDocument } from '../../machines/minion-snapshot.js';
import type { RegistryEvent } from '../../src/registry/registry-events.js';
import {
  foldEvent,
  foldRegistry,
  INITIAL_STEP,
  type RegistryStep,
} from '../../src/registry/registry-fold.js';
import { EMPTY_CHECKSUM, type RegistryChange } from '../../src/registry/registry-types.js';
import { checksumOf, document, expectedGlobal, listText, minionView } from './helpers.js';

let scheduler: TestScheduler;

beforeEach(() => {
  scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

const updated = (seq: number, state: MinionState, view: MinionView): RegistryEvent => ({
  type: 'updated',
  seq,
  state,
  view,
});

const left = (seq: number, id: string, boltId = 'bolt-1'): RegistryEvent => ({
  type: 'left',
  seq,
  id,
  boltId,
});

interface Summary {
  readonly version: number;
  readonly ids: readonly string[];
  readonly global: string;
  readonly change: RegistryChange | null;
  readonly list: string;
  readonly bolts: readonly string[];
}

const summarize = ({ view, change }: RegistryStep): Summary => ({
  version: view.version,
  ids: view.ids,
  global: view.global,
  change,
  list: listText(view),
  bolts: [...view.entries.values()].map((entry) => entry.boltId),
});

/** What a step should look like, given the documents (by id) the registry then serves. */
function step(
  version: number,
  docs: readonly ServedDocument[],
  change: Omit<RegistryChange, 'global'> | null,
  bolts: readonly string[] = docs.map(() => 'bolt-1'),
): Summary {
  const global = expectedGlobal(docs.map((doc) => [doc.id, checksumOf(doc)]));
  return {
    version,
    ids: docs.map((doc) => doc.id),
    global,
    change: change === null ? null : { ...change, global },
    list: JSON.stringify(docs),
    bolts,
  };
}

describe('foldRegistry', () => {
  it('adds a minion with its first good document, then follows changes, os-only updates and removal', () => {
    const v1 = document('m1', 1);
    const v2 = document('m1', 2);
    const v2os = document('m1', 2, 'bsd');
    const events = {
      a: updated(0, 'connecting', minionView('m1')),
      b: updated(0, 'monitoring', minionView('m1')),
      c: updated(0, 'ready', minionView('m1', { document: v1 })),
      d: updated(0, 'changed', minionView('m1', { document: v2 })),
      e: updated(0, 'ready', minionView('m1', { document: v2 })),
      f: updated(0, 'ready', minionView('m1', { document: v2os })),
      g: left(0, 'm1'),
    };
    scheduler.run(({ cold, expectObservable }) => {
      const steps$ = cold('abcdefg|', events).pipe(foldRegistry(), map(summarize));
      expectObservable(steps$).toBe('abcdefg|', {
        a: step(0, [], null),
        b: step(0, [], null),
        c: step(1, [v1], { type: 'added', id: 'm1', checksum: checksumOf(v1) }),
        d: step(2, [v2], { type: 'changed', id: 'm1', checksum: checksumOf(v2) }),
        // `changed` back to `ready`: the entry's state moves, nothing is published.
        e: step(3, [v2], null),
        // Same checksum, newer `os`: the newest document is served, the global checksum stays.
        f: step(4, [v2os], null),
        g: step(5, [], { type: 'removed', id: 'm1', checksum: null }),
      });
    });
  });

  it('keeps the global checksum of an os-only update and publishes nothing', () => {
    const v1 = document('m1', 1);
    const events = {
      a: updated(0, 'ready', minionView('m1', { document: v1 })),
      b: updated(0, 'ready', minionView('m1', { document: document('m1', 1, 'bsd') })),
    };
    scheduler.run(({ cold, expectObservable }) => {
      const globals$ = cold('ab', events).pipe(
        foldRegistry(),
        map(({ view, change }) => [view.global, change?.type ?? null]),
      );
      expectObservable(globals$).toBe('ab', {
        a: [expectedGlobal([['m1', checksumOf(v1)]]), 'added'],
        b: [expectedGlobal([['m1', checksumOf(v1)]]), null],
      });
    });
  });

  it('lets a minion that never got a document leave silently', () => {
    const events = {
      a: updated(0, 'connecting', minionView('m1')),
      b: updated(0, 'removed', minionView('m1', { removedReason: 'capability-timeout' })),
      c: left(0, 'm1'),
    };
    scheduler.run(({ cold, expectObservable }) => {
      const steps$ = cold('abc|', events).pipe(foldRegistry(), map(summarize));
      expectObservable(steps$).toBe('abc|', {
        a: step(0, [], null),
        b: step(0, [], null),
        c: step(0, [], null),
      });
    });
  });

  it('does not admit a document outside `ready` or `changed`', () => {
    const events = { a: updated(0, 'monitoring', minionView('m1', { document: document('m1', 1) })) };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a', events).pipe(foldRegistry(), map(summarize))).toBe('a', {
        a: step(0, [], null),
      });
    });
  });

  it('removes on a `removed` snapshot, and the later `left` of the same actor is a no-op', () => {
    const v1 = document('m1', 1);
    const events = {
      a: updated(0, 'ready', minionView('m1', { document: v1 })),
      b: updated(0, 'removed', minionView('m1', { document: v1, removedReason: 'closed' })),
      c: left(0, 'm1'),
    };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc', events).pipe(foldRegistry(), map(summarize))).toBe('abc', {
        a: step(1, [v1], { type: 'added', id: 'm1', checksum: checksumOf(v1) }),
        b: step(2, [], { type: 'removed', id: 'm1', checksum: null }),
        c: step(2, [], null),
      });
    });
  });

  it('keeps several minions in id order, with the global checksum over all of them', () => {
    const [b1, a1, c1, a2] = [document('b', 1), document('a', 1), document('c', 1), document('a', 2)];
    const events = {
      a: updated(0, 'ready', minionView('b', { document: b1 })),
      b: updated(1, 'ready', minionView('a', { document: a1 })),
      c: updated(2, 'ready', minionView('c', { document: c1 })),
      d: updated(1, 'changed', minionView('a', { document: a2 })),
      e: left(0, 'b'),
    };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcde', events).pipe(foldRegistry(), map(summarize))).toBe('abcde', {
        a: step(1, [b1], { type: 'added', id: 'b', checksum: checksumOf(b1) }),
        b: step(2, [a1, b1], { type: 'added', id: 'a', checksum: checksumOf(a1) }),
        c: step(3, [a1, b1, c1], { type: 'added', id: 'c', checksum: checksumOf(c1) }),
        d: step(4, [a2, b1, c1], { type: 'changed', id: 'a', checksum: checksumOf(a2) }),
        e: step(5, [a2, c1], { type: 'removed', id: 'b', checksum: null }),
      });
    });
  });
});

describe('foldRegistry with a replaced bolt (the table reports the old one gone first)', () => {
  const old = (revision: number) =>
    minionView('m1', { boltId: 'bolt-1', document: document('m1', revision) });
  const successor = (revision: number) =>
    minionView('m1', { boltId: 'bolt-2', document: document('m1', revision) });

  it('lets the old bolt leave and the successor enter (the tower stops the old one first)', () => {
    const events = {
      a: updated(0, 'ready', old(1)),
      b: left(0, 'm1', 'bolt-1'),
      c: updated(1, 'connecting', minionView('m1', { boltId: 'bolt-2' })),
      d: updated(1, 'ready', successor(1)),
    };
    const v1 = document('m1', 1);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcd', events).pipe(foldRegistry(), map(summarize))).toBe('abcd', {
        a: step(1, [v1], { type: 'added', id: 'm1', checksum: checksumOf(v1) }),
        b: step(2, [], { type: 'removed', id: 'm1', checksum: null }),
        c: step(2, [], null),
        d: step(3, [v1], { type: 'added', id: 'm1', checksum: checksumOf(v1) }, ['bolt-2']),
      });
    });
  });
});

describe('view ids', () => {
  it('are read once per view and shared by the next views while no entry comes or goes', () => {
    const events: RegistryEvent[] = [
      updated(0, 'ready', minionView('b', { document: document('b', 1) })),
      updated(1, 'ready', minionView('a', { document: document('a', 1) })),
      updated(1, 'changed', minionView('a', { document: document('a', 2) })),
      updated(1, 'ready', minionView('a', { document: document('a', 2, 'bsd') })),
      left(0, 'b'),
    ];
    const views = [INITIAL_STEP];
    for (const event of events) views.push(foldEvent(views.at(-1) as RegistryStep, event));
    const [, , second, third, fourth, fifth] = views.map((step) => step.view);
    expect(second?.ids).toEqual(['a', 'b']);
    expect(second?.ids).toBe(second?.ids);
    expect(third?.ids).toBe(second?.ids);
    expect(fourth?.ids).toBe(second?.ids);
    expect(fifth?.ids).toEqual(['a']);
  });
});

describe('empty registry', () => {
  it('starts from the checksum of the empty string', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const steps$ = cold('a', { a: left(0, 'nobody') }).pipe(foldRegistry(), map(summarize));
      expectObservable(steps$).toBe('a', { a: step(0, [], null) });
    });
    expect(EMPTY_CHECKSUM).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });
});

describe('entry text of os-only updates', () => {
  it('serves the exact JSON of each document whether it shares the held values or not', () => {
    const packages = [{ name: 'stormflash' }];
    const first = { id: 'a', packages, os: { up: 1 }, tail: true } as unknown as ServedDocument;
    let step = foldEvent(INITIAL_STEP, updated(0, 'ready', minionView('a', { document: first })));
    for (const up of [2, 3]) {
      const shared = { id: 'a', packages, os: { up }, tail: true } as unknown as ServedDocument;
      step = foldEvent(step, updated(0, 'ready', minionView('a', { document: shared })));
      expect(step.view.entries.get('a')?.json).toBe(JSON.stringify(shared));
    }
    const fresh = {
      id: 'a',
      packages: [{ name: 'other' }],
      os: { up: 4 },
      tail: true,
    } as unknown as ServedDocument;
    step = foldEvent(step, updated(0, 'changed', minionView('a', { document: fresh })));
    expect(step.view.entries.get('a')?.json).toBe(JSON.stringify(fresh));
  });
});
