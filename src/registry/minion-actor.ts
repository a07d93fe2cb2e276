/**
 * Reading a minion actor as a stream of registry events, without depending on the machine's
 * internals: `MinionActorLike` is the little the registry needs, and XState actor refs satisfy it.
 */
import { catchError, concat, defer, EMPTY, filter, map, Observable, of, takeWhile } from 'rxjs';
import type { MinionState, MinionView } from '../../machines/minion-snapshot.js';
import type { ActorSeq, MinionLeft, MinionUpdated, RegistryEvent } from './registry-events.js';

export interface MinionActorSnapshot {
  /** The machine's state: a `MinionState` string. */
  readonly value: unknown;
  /** XState's snapshot status: `active`, `done`, `error` or `stopped`. */
  readonly status: string;
  readonly context: MinionView;
}

export interface MinionActorObserver {
  next?: (snapshot: MinionActorSnapshot) => void;
  error?: (err: unknown) => void;
  complete?: () => void;
}

/** What the registry needs of a minion actor: XState actor refs satisfy it. */
export interface MinionActorLike {
  getSnapshot(): MinionActorSnapshot;
  subscribe(observer: MinionActorObserver): { unsubscribe(): void };
}

const MINION_STATES: ReadonlySet<unknown> = new Set<MinionState>([
  'connecting',
  'monitoring',
  'ready',
  'changed',
  'removed',
]);

type StatedSnapshot = MinionActorSnapshot & { readonly value: MinionState };

const hasMinionState = (snapshot: MinionActorSnapshot): snapshot is StatedSnapshot =>
  MINION_STATES.has(snapshot.value);

/** Anything after `removed`, or once the actor has finished, is not a live minion any more. */
const isLive = (snapshot: MinionActorSnapshot): boolean =>
  snapshot.status === 'active' && snapshot.value !== 'removed';

/**
 * The actor's later snapshots. The subscriber is handed to the actor as its observer, so the actor
 * always sees an error handler: XState re-throws errors nobody observes, which would crash the process.
 */
const laterSnapshots = (actor: MinionActorLike): Observable<MinionActorSnapshot> =>
  new Observable<MinionActorSnapshot>((subscriber) => actor.subscribe(subscriber));

/**
 * Every snapshot of `actor` as `updated`, then one `left` once it reaches `removed`, stops or fails.
 * Never errors: a failed actor simply leaves (its parent is told of the failure by XState).
 */
export function minionEvents(actor: MinionActorLike, seq: ActorSeq): Observable<RegistryEvent> {
  return defer(() => {
    // Actors do not replay their current snapshot to a new observer: start from it.
    const first = actor.getSnapshot();
    const left: MinionLeft = { type: 'left', seq, id: first.context.cname, boltId: first.context.boltId };
    const updates$ = concat(of(first), laterSnapshots(actor)).pipe(
      takeWhile(isLive),
      filter(hasMinionState),
      map(
        (snapshot): MinionUpdated => ({
          type: 'updated',
          seq,
          state: snapshot.value,
          view: snapshot.context,
        }),
      ),
      catchError(() => EMPTY),
    );
    return concat(updates$, of(left));
    // Only reading the first snapshot can fail out here; nothing was added for the actor yet.
  }).pipe(catchError(() => EMPTY));
}
