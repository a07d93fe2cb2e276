/**
 * The registry: every minion actor's snapshots folded into one immutable view of the fleet, with the
 * change feed and global checksum the API and SSE feed serve.
 *
 *   minions$ --followMinions--> events --scan(foldEvent)--> steps --> view$ / changes$ / own$
 *   remote$ (other towers' minions, in a cluster) ----^
 */
import {
  BehaviorSubject,
  distinctUntilChanged,
  EMPTY,
  map,
  merge,
  type Observable,
  observeOn,
  queueScheduler,
  Subject,
} from 'rxjs';
import { followMinions, type MinionActorLike } from './minion-actor.js';
import type { RemoteGone, RemoteHeld } from './registry-events.js';
import { foldRegistry, type OwnChange } from './registry-fold.js';
import type { RegistryChange, RegistryView } from './registry-types.js';
import { EMPTY_VIEW } from './registry-view.js';

export interface MinionRegistry {
  /** The current view, then every new one (replays the current view to each new subscriber). */
  readonly view$: Observable<RegistryView>;
  /** The global checksum, replayed, then each different one. */
  readonly global$: Observable<string>;
  /** `added` / `changed` / `removed`, as they happen (hot: no replay). */
  readonly changes$: Observable<RegistryChange>;
  /** The minions this tower holds as they come, change checksum and go (hot): what a cluster publishes. */
  readonly own$: Observable<OwnChange>;
  /** The current view, synchronously and in O(1): nothing is hashed, sorted or encoded here. */
  current(): RegistryView;
  /** Stops following the minions and completes the streams; `current()` keeps the last view. */
  close(): void;
}

/**
 * `minions$` emits each newly spawned minion actor once; the registry follows it until it leaves.
 * `remote$` carries other towers' minions in a cluster; a minion held here wins over them.
 */
export function createRegistry(
  minions$: Observable<MinionActorLike>,
  remote$: Observable<RemoteHeld | RemoteGone> = EMPTY,
): MinionRegistry {
  const views = new BehaviorSubject<RegistryView>(EMPTY_VIEW);
  const changes = new Subject<RegistryChange>();
  const own = new Subject<OwnChange>();
  let latest: RegistryView = EMPTY_VIEW;

  const events$ = merge(followMinions(minions$), remote$);
  // Trampolined: if a subscriber makes an actor emit while a change is being published, that event is
  // folded once the current one is fully out, so views and changes never reach anyone out of order.
  const steps$ = events$.pipe(observeOn(queueScheduler), foldRegistry());

  const subscription = steps$.subscribe({
    next: ({ view, change, own: held }) => {
      // The view first: a change subscriber that calls `current()` must already see its change.
      if (view !== latest) {
        latest = view;
        views.next(view);
      }
      if (change !== null) changes.next(change);
      if (held !== undefined) own.next(held);
    },
    // Actor failures never get here (they become removals); only `minions$` itself failing does.
    error: (err: unknown) => {
      views.error(err);
      changes.error(err);
      own.error(err);
    },
    complete: () => {
      views.complete();
      changes.complete();
      own.complete();
    },
  });

  const view$ = views.asObservable();
  const global$ = view$.pipe(
    map((view) => view.global),
    distinctUntilChanged(),
  );

  return {
    view$,
    global$,
    changes$: changes.asObservable(),
    own$: own.asObservable(),
    current: () => latest,
    close: () => {
      subscription.unsubscribe();
      views.complete();
      changes.complete();
      own.complete();
    },
  };
}
