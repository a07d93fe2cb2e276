/**
 * A registry for the change-feed tests, without minion actors: documents put and removed by hand,
 * each edit publishing a new immutable view and then its change, as the real registry promises.
 * It counts how often a view's ids were listed, which is what encoding a snapshot costs.
 */
import { Subject } from 'rxjs';
import type { ServedDocument } from '../../machines/minion-snapshot.js';
import type { RegistrySource } from '../../src/api/feed/registry-source.js';
import type { RegistryChange, RegistryEntry, RegistryView } from '../../src/registry/registry-types.js';
import { documentChecksum, md5 } from './checksums.js';

/** A ready minion's registry entry serving `document`, as the registry would hold it. */
export function readyEntry(id: string, document: ServedDocument): RegistryEntry {
  return {
    id,
    document,
    checksum: documentChecksum(document),
    state: 'ready',
    lastError: null,
    consecutiveFailures: 0,
    connectedAt: 0,
    lastPollAt: null,
    lastChangeAt: null,
    json: JSON.stringify(document),
  };
}

function makeView(
  documents: ReadonlyMap<string, ServedDocument>,
  version: number,
  listed: () => void,
): RegistryView {
  const entries = new Map<string, RegistryEntry>();
  for (const [id, document] of documents) entries.set(id, readyEntry(id, document));
  const ids = [...entries.keys()].sort();
  const global = md5(ids.map((id) => `${id}:${entries.get(id)?.checksum}\n`).join(''));
  const list = `[${ids.map((id) => entries.get(id)?.json).join(',')}]`;
  const body = Buffer.from(list);
  return {
    version,
    global,
    get ids() {
      listed();
      return ids;
    },
    entries,
    listBody: () => ({ parts: [body], byteLength: body.length }),
  };
}

/** Publishes a new view first, then the change, as the registry promises. */
export class FakeRegistry implements RegistrySource {
  readonly changes$ = new Subject<RegistryChange>();
  /** How many times any view's `ids` was read: once per snapshot encoding. */
  idsListed = 0;
  readonly #documents = new Map<string, ServedDocument>();
  #version = 0;
  #view = this.#makeView();

  current(): RegistryView {
    return this.#view;
  }

  /** Adds or changes a minion with a document distinguished by `n`. */
  put(id: string, n = 0): RegistryChange {
    const type = this.#documents.has(id) ? 'changed' : 'added';
    this.#documents.set(id, { id, os: { n }, n });
    return this.#publish(type, id);
  }

  remove(id: string): RegistryChange {
    this.#documents.delete(id);
    return this.#publish('removed', id);
  }

  /** The checksum of every minion now, by id. */
  checksums(): Map<string, string> {
    return new Map([...this.#view.entries].map(([id, entry]) => [id, entry.checksum]));
  }

  #makeView(): RegistryView {
    return makeView(this.#documents, this.#version++, () => {
      this.idsListed += 1;
    });
  }

  #publish(type: RegistryChange['type'], id: string): RegistryChange {
    this.#view = this.#makeView();
    const change = {
      type,
      id,
      checksum: this.#view.entries.get(id)?.checksum ?? null,
      global: this.#view.global,
    };
    this.changes$.next(change);
    return change;
  }
}
