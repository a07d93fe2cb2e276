/**
 * `createRegistry` fed with real XState actors (the tiny test machine), driven with `actor.send`.
 */
import { Subject, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { MinionActorLike } from '../../src/registry/minion-actor.js';
import { createRegistry, type MinionRegistry } from '../../src/registry/minion-registry.js';
import { EMPTY_CHECKSUM, type RegistryChange, type RegistryView } from '../../src/registry/registry-types.js';
import { checksumOf, document, expectedGlobal, listText, md5, prng, sorted } from './helpers.js';
import { startTestMinion, type TestMinion } from './test-minion.js';

interface Fleet {
  readonly minions$: Subject<MinionActorLike>;
  readonly registry: MinionRegistry;
  readonly changes: RegistryChange[];
  readonly globals: string[];
  readonly errors: unknown[];
  spawn(cname: string, boltId?: string): TestMinion;
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function fleet(): Fleet {
  const minions$ = new Subject<MinionActorLike>();
  const registry = createRegistry(minions$);
  const changes: RegistryChange[] = [];
  const globals: string[] = [];
  const errors: unknown[] = [];
  const subscriptions: Subscription[] = [
    registry.changes$.subscribe({ next: (change) => changes.push(change), error: (err) => errors.push(err) }),
    registry.global$.subscribe({ next: (global) => globals.push(global), error: (err) => errors.push(err) }),
  ];
  const actors: TestMinion[] = [];
  cleanups.push(() => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    registry.close();
    for (const actor of actors) actor.stop();
  });
  return {
    minions$,
    registry,
    changes,
    globals,
    errors,
    spawn(cname, boltId) {
      const actor = startTestMinion(cname, boltId);
      actors.push(actor);
      minions$.next(actor);
      return actor;
    },
  };
}

/** Lets any error XState reports as unhandled (it throws from a timer) reach the test run. */
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('createRegistry', () => {
  it('starts empty, with the checksum of the empty string', () => {
    const { registry, globals, changes } = fleet();
    expect(registry.current().global).toBe(EMPTY_CHECKSUM);
    expect(registry.current().global).toBe(md5(''));
    expect(registry.current().global).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(registry.current().ids).toEqual([]);
    expect(registry.current().entries.size).toBe(0);
    expect(listText(registry.current())).toBe('[]');
    expect(globals).toEqual([EMPTY_CHECKSUM]);
    expect(changes).toEqual([]);
  });

  it('follows a minion from its first document through changes, os-only updates and removal', () => {
    const { registry, changes, globals, spawn } = fleet();
    const m1 = spawn('m1');
    expect(registry.current().version).toBe(0);
    expect(changes).toEqual([]);

    const v1 = document('m1', 1);
    m1.send({ type: 'status', document: v1 });
    const g1 = expectedGlobal([['m1', checksumOf(v1)]]);
    expect(changes).toEqual([{ type: 'added', id: 'm1', checksum: checksumOf(v1), global: g1 }]);
    const entry = registry.current().entries.get('m1');
    expect(entry).toMatchObject({ id: 'm1', document: v1, state: 'ready', json: JSON.stringify(v1) });

    const v2 = document('m1', 2);
    m1.send({ type: 'status', document: v2, at: 2 });
    const g2 = expectedGlobal([['m1', checksumOf(v2)]]);
    expect(changes.at(-1)).toEqual({ type: 'changed', id: 'm1', checksum: checksumOf(v2), global: g2 });
    expect(registry.current().entries.get('m1')).toMatchObject({ state: 'changed', lastChangeAt: 2 });

    const before = registry.current().version;
    const v2os = document('m1', 2, 'bsd');
    m1.send({ type: 'status', document: v2os, at: 3 });
    expect(changes).toHaveLength(2);
    expect(registry.current().version).toBe(before + 1);
    expect(registry.current().global).toBe(g2);
    expect(registry.current().entries.get('m1')).toMatchObject({
      document: v2os,
      state: 'ready',
      lastPollAt: 3,
    });
    expect(listText(registry.current())).toBe(JSON.stringify([v2os]));

    m1.send({ type: 'failed' });
    expect(registry.current().entries.get('m1')).toMatchObject({ consecutiveFailures: 1, document: v2os });
    expect(changes).toHaveLength(2);

    m1.send({ type: 'close' });
    expect(changes.at(-1)).toEqual({ type: 'removed', id: 'm1', checksum: null, global: EMPTY_CHECKSUM });
    expect(registry.current().ids).toEqual([]);
    expect(globals).toEqual([EMPTY_CHECKSUM, g1, g2, EMPTY_CHECKSUM]);
  });

  it('serves several minions in id order with the global checksum over all of them', () => {
    const { registry, spawn } = fleet();
    const docs = new Map([
      ['delta', document('delta', 1)],
      ['alpha', document('alpha', 1)],
      ['charlie', document('charlie', 4)],
    ]);
    for (const [cname, doc] of docs) spawn(cname).send({ type: 'status', document: doc });
    const view = registry.current();
    expect(view.ids).toEqual(['alpha', 'charlie', 'delta']);
    expect(view.global).toBe(expectedGlobal([...docs].map(([id, doc]) => [id, checksumOf(doc)])));
    const expectedList = JSON.stringify(view.ids.map((id) => docs.get(id)));
    expect(listText(view)).toBe(expectedList);
    expect(Object.is(view.listBody(), view.listBody())).toBe(true);
    expect([...view.entries.keys()]).toEqual(view.ids);
  });

  it('removes a minion whose actor is stopped', () => {
    const { registry, changes, spawn } = fleet();
    const m1 = spawn('m1');
    m1.send({ type: 'status', document: document('m1', 1) });
    m1.stop();
    expect(changes.map((change) => change.type)).toEqual(['added', 'removed']);
    expect(changes.at(-1)).toEqual({ type: 'removed', id: 'm1', checksum: null, global: EMPTY_CHECKSUM });
    expect(registry.current().entries.has('m1')).toBe(false);
  });

  it('removes a minion whose actor fails, and the process goes on', async () => {
    const { registry, changes, errors, spawn } = fleet();
    const [m1, m2] = [spawn('m1'), spawn('m2')];
    m1.send({ type: 'status', document: document('m1', 1) });
    m2.send({ type: 'status', document: document('m2', 1) });
    m1.send({ type: 'explode' });
    expect(m1.getSnapshot().status).toBe('error');
    expect(changes.map((change) => `${change.type} ${change.id}`)).toEqual([
      'added m1',
      'added m2',
      'removed m1',
    ]);
    expect(registry.current().ids).toEqual(['m2']);
    await nextMacrotask();
    // The registry still follows the others.
    m2.send({ type: 'status', document: document('m2', 2) });
    expect(changes.at(-1)).toMatchObject({ type: 'changed', id: 'm2' });
    expect(errors).toEqual([]);
  });

  it('lets an actor that already failed or stopped leave silently', async () => {
    const { registry, changes, minions$ } = fleet();
    const failed = startTestMinion('failed');
    // Observed before it fails, or XState would report the error as unhandled.
    const watching = failed.subscribe({ error: () => {} });
    failed.send({ type: 'explode' });
    watching.unsubscribe();
    const stopped = startTestMinion('stopped');
    stopped.send({ type: 'status', document: document('stopped', 1) });
    stopped.stop();
    minions$.next(failed);
    minions$.next(stopped);
    await nextMacrotask();
    expect(changes).toEqual([]);
    expect(registry.current().version).toBe(0);
  });

  it('lets a minion that never got a document leave silently', () => {
    const { registry, changes, spawn } = fleet();
    spawn('m1').send({ type: 'close' });
    expect(changes).toEqual([]);
    expect(registry.current().version).toBe(0);
  });

  it('takes a replaced bolt out before its successor comes in, as the bolt table orders them', () => {
    const { registry, changes, spawn } = fleet();
    const old = spawn('m1', 'bolt-1');
    old.send({ type: 'status', document: document('m1', 1) });
    old.send({ type: 'close', reason: 'replaced' });
    const successor = spawn('m1', 'bolt-2');
    const v2 = document('m1', 2);
    successor.send({ type: 'status', document: v2 });
    expect(changes.map(({ type }) => type)).toEqual(['added', 'removed', 'added']);
    expect(registry.current().entries.get('m1')).toMatchObject({ document: v2, boltId: 'bolt-2' });
    expect(registry.current().global).toBe(expectedGlobal([['m1', checksumOf(v2)]]));
  });

  it('replays the current view to late subscribers, but not past changes', () => {
    const { registry, spawn } = fleet();
    spawn('m1').send({ type: 'status', document: document('m1', 1) });
    const views: RegistryView[] = [];
    const changes: RegistryChange[] = [];
    const subscriptions = [
      registry.view$.subscribe({ next: (view) => views.push(view), error: () => {} }),
      registry.changes$.subscribe({ next: (change) => changes.push(change), error: () => {} }),
    ];
    expect(views).toEqual([registry.current()]);
    expect(changes).toEqual([]);
    for (const subscription of subscriptions) subscription.unsubscribe();
  });

  it('publishes in order when a subscriber makes another actor emit', () => {
    const { registry, spawn } = fleet();
    const [m1, m2] = [spawn('m1'), spawn('m2')];
    const seen: string[] = [];
    const subscription = registry.changes$.subscribe({
      next: (change) => {
        // The view already holds the change being published.
        seen.push(`${change.type} ${change.id} ${registry.current().entries.has(change.id)}`);
        if (change.id === 'm1') m2.send({ type: 'status', document: document('m2', 1) });
      },
      error: () => {},
    });
    const late = registry.changes$.subscribe({
      next: (change) => seen.push(`late ${change.id}`),
      error: () => {},
    });
    m1.send({ type: 'status', document: document('m1', 1) });
    expect(seen).toEqual(['added m1 true', 'late m1', 'added m2 true', 'late m2']);
    subscription.unsubscribe();
    late.unsubscribe();
  });

  it('keeps ids sorted under random arrivals and departures', () => {
    const { registry, spawn } = fleet();
    const random = prng(20240611);
    const live = new Map<string, { actor: TestMinion; checksum: string }>();
    for (let step = 0; step < 600; step++) {
      const cname = `m-${Math.floor(random() * 200).toString(36)}`;
      const held = live.get(cname);
      if (held === undefined) {
        const doc = document(cname, step);
        const actor = spawn(cname);
        actor.send({ type: 'status', document: doc });
        live.set(cname, { actor, checksum: checksumOf(doc) });
      } else if (random() < 0.5) {
        held.actor.send({ type: 'close' });
        live.delete(cname);
      } else {
        const doc = document(cname, step);
        held.actor.send({ type: 'status', document: doc });
        held.checksum = checksumOf(doc);
      }
      const view = registry.current();
      expect(view.ids).toEqual(sorted(live.keys()));
    }
    const view = registry.current();
    expect(view.global).toBe(expectedGlobal([...live].map(([id, { checksum }]) => [id, checksum])));
    expect([...view.entries.keys()]).toEqual(view.ids);
  });

  it('passes a failure of minions$ itself to subscribers, keeping the last view', () => {
    const { registry, errors, minions$, spawn } = fleet();
    spawn('m1').send({ type: 'status', document: document('m1', 1) });
    const last = registry.current();
    minions$.error(new Error('tower gone'));
    expect(errors).toHaveLength(2);
    expect(registry.current()).toBe(last);
  });

  it('completes its streams once minions$ completes and every minion has left', () => {
    const { registry, minions$, spawn } = fleet();
    const m1 = spawn('m1');
    let completed = false;
    registry.changes$.subscribe({ complete: () => (completed = true), error: () => {} });
    minions$.complete();
    expect(completed).toBe(false);
    m1.send({ type: 'close' });
    expect(completed).toBe(true);
  });

  it('stops following the minions on close, keeping the last view', () => {
    const { registry, spawn } = fleet();
    const m1 = spawn('m1');
    m1.send({ type: 'status', document: document('m1', 1) });
    const last = registry.current();
    let completed = false;
    registry.view$.subscribe({ complete: () => (completed = true), error: () => {} });
    registry.close();
    expect(completed).toBe(true);
    m1.send({ type: 'status', document: document('m1', 2) });
    expect(registry.current()).toBe(last);
  });
});
