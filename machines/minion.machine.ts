/**
 * One minion, from the moment its bolt is accepted until it goes away.
 *
 *   connecting --bolt.capability--> monitoring --first document--> ready --new checksum--> changed
 *       |                                                            ^--------after 0--------'
 *       '--capability timeout--> removed <--bolt.closed (from any state)
 *
 * Polling runs beside those states, inside this one actor: a `poll.due` timer spawns a short-lived
 * `poll` child (slot, then request), whose `poll.settled` is recorded as `status.received` or
 * `status.failed` and schedules the next `poll.due` (see poll-cadence.ts); `poll.expired` is the
 * timeout of the request in flight. No separate poller actor per minion: that would be a second
 * actor, mailbox, observers and timers per bolt for state that fits in two context fields.
 *
 * Failures never change the state: they are recorded (`lastError`, `consecutiveFailures`) and a held
 * document stays served. A success clears both (`lastError` back to null: it describes the current
 * streak of failures, not history). `lastPollAt` is when the latest poll settled, answer or failure;
 * `lastChangeAt` when the checksum last changed, the first document included. `changed` lasts one
 * zero-delay timer, so every subscriber sees a snapshot whose value is `changed` before it returns to
 * `ready`.
 */
import { assertEvent, assign, enqueueActions, raise, setup, spawnChild, stopChild } from 'xstate';
import type { MinionEvent, MinionOutput, PollReport } from './minion-events.js';
import { type MinionLink, PollError } from './minion-link.js';
import type { MinionView } from './minion-snapshot.js';
import { pollActor, toPollFailure } from './poll.actor.js';
import { firstPollDelay, nextPollDelay, retryDelay } from './poll-cadence.js';
import { createPollSlots, type PollSlots } from './poll-slots.js';

/** How machines log without importing a logger: the host injects this. */
export type Warn = (message: string, details: Readonly<Record<string, unknown>>) => void;

export interface MinionTimings {
  /** Milliseconds between the starts of two polls. Default 15000. */
  readonly monitorInterval?: number;
  /** Milliseconds the bolt has to announce its capability before it is closed. */
  readonly capabilityTimeout: number;
  /** Milliseconds one poll may take on the link. */
  readonly pollTimeout: number;
  /** First retry delay after a failure, doubled per failure up to `monitorInterval`. Default 1000. */
  readonly retryBase?: number;
}

export interface MinionOptions extends MinionTimings {
  /** Uniform in [0, 1); default `Math.random`. */
  readonly jitter?: () => number;
  /** Shared across minions to bound concurrent polls; default unlimited. */
  readonly pollSlots?: PollSlots;
  readonly warn?: Warn;
  /** Epoch ms on the actor system's clock; default `Date.now` (tests pass the `SimulatedClock`'s). */
  readonly now?: () => number;
}

/** Every option resolved. One object can serve a whole fleet: nothing in it belongs to one minion. */
export interface MinionSettings extends Required<MinionOptions> {}

interface MinionIdentity {
  readonly cname: string;
  readonly boltId: string;
  readonly link: MinionLink;
  /** Epoch ms; defaults to `now()` at creation. */
  readonly connectedAt?: number;
}

/** Either options to resolve, or settings already resolved (and shared) by the tower. */
export type MinionInput = MinionIdentity & (MinionOptions | { readonly settings: MinionSettings });

/** `MinionView` plus private fields. `link` and `settings` are for the machine alone: never log them. */
export interface MinionContext extends MinionView {
  readonly link: MinionLink;
  readonly settings: MinionSettings;
  /** The foreign id last warned about, so a stubborn agent is reported once rather than every poll. */
  readonly foreignId: unknown;
  /** When the latest poll's request went out on the link: the next poll is due one interval later. */
  readonly pollStartedAt: number;
}

export const DEFAULT_MONITOR_INTERVAL = 15_000;
export const DEFAULT_RETRY_BASE = 1_000;

/** Resolves options into settings; the tower does it once for the whole fleet. */
export function minionSettings(options: MinionOptions): MinionSettings {
  return {
    monitorInterval: options.monitorInterval ?? DEFAULT_MONITOR_INTERVAL,
    capabilityTimeout: options.capabilityTimeout,
    pollTimeout: options.pollTimeout,
    retryBase: options.retryBase ?? DEFAULT_RETRY_BASE,
    jitter: options.jitter ?? Math.random,
    pollSlots: options.pollSlots ?? createPollSlots(),
    warn: options.warn ?? (() => {}),
    now: options.now ?? Date.now,
  };
}

// Delayed-event ids: re-arming one cancels it first, as XState does not replace a pending id.
const POLL_DUE = 'poll.due';
const POLL_EXPIRY = 'poll.expiry';
const POLL_CHILD = 'poll';

export const minionMachine = setup({
  types: {} as {
    context: MinionContext;
    input: MinionInput;
    events: MinionEvent;
    output: MinionOutput;
  },
  actors: { poll: pollActor },
  actions: {
    recordPorts: assign({
      ports: ({ event }) => {
        assertEvent(event, 'bolt.capability');
        return [...event.ports];
      },
    }),
    schedulePoll: enqueueActions(({ enqueue }, params: { delay: number }) => {
      enqueue.cancel(POLL_DUE);
      enqueue.raise({ type: 'poll.due' }, { id: POLL_DUE, delay: params.delay });
    }),
    startPoll: spawnChild('poll', {
      id: POLL_CHILD,
      input: ({ context }) => ({
        link: context.link,
        cname: context.cname,
        slots: context.settings.pollSlots,
        held: context.document,
        heldChecksum: context.checksum,
      }),
    }),
    markPollStarted: assign({ pollStartedAt: ({ context }) => context.settings.now() }),
    armPollExpiry: raise({ type: 'poll.expired' }, { id: POLL_EXPIRY, delay: 'pollTimeout' }),
    // Stopping the child aborts its request (if still in flight) and gives its slot back.
    endPoll: enqueueActions(({ enqueue }) => {
      enqueue.cancel(POLL_EXPIRY);
      enqueue.stopChild(POLL_CHILD);
    }),
    // The outcome is recorded by the same transitions as a report from anywhere else.
    recordOutcome: raise(({ context, event }): PollReport => {
      const at = context.settings.now();
      if (event.type === 'poll.expired') {
        const error = new PollError('timeout', `no status within ${context.settings.pollTimeout} ms`);
        return { type: 'status.failed', failure: toPollFailure(error, at) };
      }
      assertEvent(event, 'poll.settled');
      return 'polled' in event
        ? { type: 'status.received', ...event.polled, at }
        : { type: 'status.failed', failure: toPollFailure(event.error, at) };
    }),
    warnForeignId: ({ context, event }) => {
      assertEvent(event, 'status.received');
      if (event.foreignId === undefined || event.foreignId === context.foreignId) return;
      context.settings.warn('minion status claims a foreign id; serving it under its certificate CN', {
        cname: context.cname,
        boltId: context.boltId,
        foreignId: event.foreignId,
      });
    },
    acceptDocument: assign(({ event }) => {
      assertEvent(event, 'status.received');
      return {
        document: event.document,
        checksum: event.checksum,
        foreignId: event.foreignId,
        lastPollAt: event.at,
        lastError: null,
        consecutiveFailures: 0,
      };
    }),
    markChanged: assign({
      lastChangeAt: ({ event }) => {
        assertEvent(event, 'status.received');
        return event.at;
      },
    }),
    recordFailure: assign(({ context, event }) => {
      assertEvent(event, 'status.failed');
      return {
        lastError: event.failure,
        consecutiveFailures: context.consecutiveFailures + 1,
        lastPollAt: event.failure.at,
      };
    }),
    recordRemoval: assign({ removedReason: (_, params: { reason: string }) => params.reason }),
    // Closing is idempotent, so the minion closes its bolt whatever ended it: none can outlive it.
    closeLink: ({ context }, params: { reason: string }) => context.link.close(params.reason),
  },
  guards: {
    checksumChanged: ({ context, event }) =>
      event.type === 'status.received' && event.checksum !== context.checksum,
  },
  delays: {
    capabilityTimeout: ({ context }) => context.settings.capabilityTimeout,
    pollTimeout: ({ context }) => context.settings.pollTimeout,
  },
}).createMachine({
  id: 'minion',
  context: ({ input }) => {
    const settings = 'settings' in input ? input.settings : minionSettings(input);
    const connectedAt = input.connectedAt ?? settings.now();
    return {
      cname: input.cname,
      boltId: input.boltId,
      ports: [],
      document: null,
      checksum: null,
      lastError: null,
      consecutiveFailures: 0,
      connectedAt,
      lastPollAt: null,
      lastChangeAt: null,
      removedReason: null,
      link: input.link,
      settings,
      foreignId: undefined,
      pollStartedAt: connectedAt,
    };
  },
  initial: 'connecting',
  on: {
    'bolt.closed': {
      target: '.removed',
      actions: [
        { type: 'recordRemoval', params: ({ event }) => ({ reason: event.reason }) },
        { type: 'closeLink', params: ({ event }) => ({ reason: event.reason }) },
      ],
    },
    // Polling, in every state after `connecting` (no poll timer exists before the capability, and
    // `removed` is final: leaving for it stops the child and cancels the timers).
    'poll.due': { actions: 'startPoll' },
    'poll.started': { actions: ['markPollStarted', 'armPollExpiry'] },
    'poll.settled': {
      actions: [
        'endPoll',
        {
          type: 'schedulePoll',
          params: ({ context, event }) => ({
            delay:
              'polled' in event
                ? nextPollDelay(context.settings, context.pollStartedAt, context.settings.now())
                : retryDelay(context.settings, context.consecutiveFailures + 1),
          }),
        },
        'recordOutcome',
      ],
    },
    'poll.expired': {
      actions: [
        stopChild(POLL_CHILD),
        {
          type: 'schedulePoll',
          params: ({ context }) => ({ delay: retryDelay(context.settings, context.consecutiveFailures + 1) }),
        },
        'recordOutcome',
      ],
    },
  },
  states: {
    connecting: {
      on: {
        'bolt.capability': {
          target: 'monitoring',
          actions: [
            'recordPorts',
            { type: 'schedulePoll', params: ({ context }) => ({ delay: firstPollDelay(context.settings) }) },
          ],
        },
      },
      after: {
        capabilityTimeout: {
          target: 'removed',
          actions: [
            { type: 'recordRemoval', params: { reason: 'capability-timeout' } },
            { type: 'closeLink', params: { reason: 'capability-timeout' } },
          ],
        },
      },
    },
    monitoring: {
      on: {
        'bolt.capability': { actions: 'recordPorts' },
        'status.received': { target: 'ready', actions: ['warnForeignId', 'acceptDocument', 'markChanged'] },
        'status.failed': { actions: 'recordFailure' },
      },
    },
    ready: {
      on: {
        'bolt.capability': { actions: 'recordPorts' },
        'status.received': [
          {
            guard: 'checksumChanged',
            target: 'changed',
            actions: ['warnForeignId', 'acceptDocument', 'markChanged'],
          },
          // Same checksum: only `os` (or nothing) moved. Keep the newest document, publish no change.
          { actions: ['warnForeignId', 'acceptDocument'] },
        ],
        'status.failed': { actions: 'recordFailure' },
      },
    },
    // Polls go on while the change is being published, so this state handles them like `ready`.
    changed: {
      after: { 0: 'ready' },
      on: {
        'bolt.capability': { actions: 'recordPorts' },
        'status.received': [
          {
            guard: 'checksumChanged',
            target: 'changed',
            reenter: true,
            actions: ['warnForeignId', 'acceptDocument', 'markChanged'],
          },
          { target: 'ready', actions: ['warnForeignId', 'acceptDocument'] },
        ],
        'status.failed': { actions: 'recordFailure' },
      },
    },
    removed: { type: 'final' },
  },
  output: ({ context }) => ({
    cname: context.cname,
    boltId: context.boltId,
    removedReason: context.removedReason ?? 'closed',
  }),
});

export { minionState, minionView, sanitizeMinionContext } from './minion-view.js';
