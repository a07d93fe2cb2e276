/**
 * 10,000 minions, then 1,000 changes: the registry stays correct at fleet scale. Correctness is
 * asserted, not time; the test only has to stay quick, which it cannot if a change costs a re-sort,
 * a Map copy or a re-encoding of the fleet.
 *
 * The minions are light stand-ins (a snapshot and a Subject), so the time measured is the registry's.
 */
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { MinionState, MinionView } from '../../machines/minion-snapshot.js';
import type {
  MinionActorLike,
  MinionActorObserver,
  MinionActorSnapshot,
} from '../../src/registry/minion-actor.js';
import { createRegistry, type MinionRegistry } from '../../src/registry/minion-registry.js';
import type { RegistryChange } from '../../src/registry/registry-types.js';
import { checksumOf, document, expectedGlobal, listText, minionView, prng } from './helpers.js';

class FakeMinion implements MinionActorLike {
  readonly #snapshots = new Subject<MinionActorSnapshot>();
  #snapshot: MinionActorSnapshot;

  constructor(view: MinionView, state: MinionState) {
    this.#snapshot = { value: state, status: 'active', context: view };
  }

  getSnapshot(): MinionActorSnapshot {
    return this.#snapshot;
  }

  subscribe(observer: MinionActorObserver): { unsubscribe(): void } {
    return this.#snapshots.subscribe(observer);
  }

  emit(view: MinionView, state: MinionState): void {
    this.#snapshot = { value: state, status: 'active', context: view };
    this.#snapshots.next(this.#snapshot);
  }
}

const FLEET = 10_000;
const CHANGES = 1_000;
/** Every this many changes, the published global checksum is checked against the rule. */
const SAMPLE = 250;

let registry: MinionRegistry | undefined;

afterEach(() => registry?.close());

describe('registry at scale', () => {
  it('adds 10,000 minions, then applies 1,000 changes, staying correct', () => {
    const minions$ = new Subject<MinionActorLike>();
    registry = createRegistry(minions$);
    const reference = new Map<string, string>();
    const changes: RegistryChange[] = [];
    const mismatches: string[] = [];
    registry.changes$.subscribe({
      next: (change) => {
        changes.push(change);
        if (changes.length % SAMPLE === 0 && change.global !== expectedGlobal(reference)) {
          mismatches.push(`change ${changes.length}: ${change.type} ${change.id}`);
        }
      },
      error: (err: unknown) => mismatches.push(String(err)),
    });

    const ids = Array.from(
      { length: FLEET },
      (_, i) => `minion-${i.toString().padStart(5, '0')}.fleet.example`,
    );
    const actors = new Map<string, FakeMinion>();
    // Spawned in id order, as a fleet named in sequence connects; the changes then hit random places.
    for (const id of ids) {
      const doc = document(id, 0);
      reference.set(id, checksumOf(doc));
      const actor = new FakeMinion(minionView(id, { document: doc }), 'ready');
      actors.set(id, actor);
      minions$.next(actor);
    }
    expect(changes).toHaveLength(FLEET);
    expect(registry.current().ids).toHaveLength(FLEET);

    const random = prng(10_000);
    for (let step = 1; step <= CHANGES; step++) {
      const id = ids[Math.floor(random() * FLEET)] as string;
      const doc = document(id, step);
      reference.set(id, checksumOf(doc));
      actors.get(id)?.emit(minionView(id, { document: doc }), 'changed');
    }

    const view = registry.current();
    expect(mismatches).toEqual([]);
    expect(changes).toHaveLength(FLEET + CHANGES);
    expect(changes.slice(FLEET).every((change) => change.type === 'changed')).toBe(true);
    expect(view.version).toBe(FLEET + CHANGES);
    expect(view.ids).toEqual(ids);
    expect(view.entries.size).toBe(FLEET);
    expect(view.global).toBe(expectedGlobal(reference));
    expect(changes.at(-1)?.global).toBe(view.global);
    const docs = ids.map((id) => view.entries.get(id)?.document);
    expect(listText(view)).toBe(JSON.stringify(docs));
    const served = (id: string) => view.entries.get(id)?.document;
    expect(ids.every((id) => checksumOf(served(id) ?? { id }) === reference.get(id))).toBe(true);
  });
});
