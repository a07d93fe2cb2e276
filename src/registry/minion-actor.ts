/**
 * Reading minion actors as one stream of registry events, without depending on the machine's
 * internals: `MinionActorLike` is the little the registry needs, and XState actor refs satisfy it.
 *
 * A fleet holds thousands of actors for hours, so following one costs one small observer object and
 * nothing else: no RxJS operator chain per actor, whose subscribers and closures would be held per bolt.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { MinionState, MinionView } from '../../machines/minion-snapshot.js';
import type { ActorSeq, RegistryEvent } from './registry-events.js';

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

/** Anything after `removed`, or once the actor has finished, is not a live minion any more. */
const isLive = (snapshot: MinionActorSnapshot): boolean =>
  snapshot.status === 'active' && snapshot.value !== 'removed';

/** Where followers deliver: the merged stream, and the bookkeeping of who is still followed. */
interface FollowerSink {
  readonly out: Subscriber<RegistryEvent>;
  left(follower: MinionFollower): void;
}

/**
 * Follows one actor: every live snapshot as `updated`, then one `left` once it reaches `removed`,
 * stops or fails. It is itself the observer handed to the actor, so the actor always sees an error
 * handler: XState re-throws errors nobody observes, which would crash the process.
 */
class MinionFollower implements MinionActorObserver {
  private subscription: { unsubscribe(): void } | undefined;
  private done = false;

  private constructor(
    private readonly sink: FollowerSink,
    private readonly seq: ActorSeq,
    private readonly id: string,
    private readonly boltId: string,
  ) {}

  /** Null when the actor cannot even be read: nothing was added for it, so nothing has to leave. */
  static follow(actor: MinionActorLike, seq: ActorSeq, sink: FollowerSink): MinionFollower | null {
    let first: MinionActorSnapshot;
    try {
      first = actor.getSnapshot();
    } catch {
      return null;
    }
    const follower = new MinionFollower(sink, seq, first.context.cname, first.context.boltId);
    // Actors do not replay their current snapshot to a new observer: start from it.
    follower.next(first);
    if (follower.done) return follower;
    try {
      follower.subscription = actor.subscribe(follower);
    } catch {
      follower.leave();
    }
    // The actor may have finished while being subscribed to.
    if (follower.done) follower.unsubscribe();
    return follower;
  }

  get isDone(): boolean {
    return this.done;
  }

  next(snapshot: MinionActorSnapshot): void {
    if (this.done) return;
    if (!isLive(snapshot)) {
      this.leave();
      return;
    }
    if (!MINION_STATES.has(snapshot.value)) return;
    this.sink.out.next({
      type: 'updated',
      seq: this.seq,
      state: snapshot.value as MinionState,
      view: snapshot.context,
    });
  }

  /** A failed actor simply leaves; its parent is told of the failure by XState. */
  error(): void {
    this.leave();
  }

  complete(): void {
    this.leave();
  }

  /** Stops following without announcing anything (the registry itself is closing). */
  unsubscribe(): void {
    this.done = true;
    const subscription = this.subscription;
    this.subscription = undefined;
    subscription?.unsubscribe();
  }

  private leave(): void {
    if (this.done) return;
    this.unsubscribe();
    this.sink.out.next({ type: 'left', seq: this.seq, id: this.id, boltId: this.boltId });
    this.sink.left(this);
  }
}

/**
 * Every actor `minions$` announces, followed until it leaves, as one stream. `seq` is an actor's
 * index on `minions$`. Completes once `minions$` has completed and every actor has left; fails only
 * if `minions$` fails.
 */
export function followMinions(minions$: Observable<MinionActorLike>): Observable<RegistryEvent> {
  return new Observable<RegistryEvent>((out) => {
    const followed = new Set<MinionFollower>();
    let announcing = true;
    const sink: FollowerSink = {
      out,
      left(follower) {
        followed.delete(follower);
        if (!announcing && followed.size === 0) out.complete();
      },
    };
    let seq = 0;
    const source = minions$.subscribe({
      next(actor) {
        const follower = MinionFollower.follow(actor, seq++, sink);
        if (follower && !follower.isDone) followed.add(follower);
      },
      error: (err: unknown) => out.error(err),
      complete() {
        announcing = false;
        if (followed.size === 0) out.complete();
      },
    });
    return () => {
      source.unsubscribe();
      for (const follower of followed) follower.unsubscribe();
      followed.clear();
    };
  });
}
