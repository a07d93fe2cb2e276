/**
 * One minion, from the moment its bolt is accepted until it goes away.
 *
 *   connecting --bolt.capability--> monitoring --first document--> ready --new checksum--> changed
 *       |                                                            ^--------after 0--------'
 *       '--capability timeout--> removed <--bolt.closed (from any state)
 *
 * Polling is done by a `poller` child spawned on `bolt.capability`; it reports `status.received` and
 * `status.failed`. Failures never change the state: they are recorded (`lastError`,
 * `consecutiveFailures`) and a held document stays served. A success clears both (`lastError` back to
 * null: it describes the current streak of failures, not history). `lastPollAt` is when the latest
 * poll settled, answer or failure; `lastChangeAt` when the checksum last changed, the first document
 * included. `changed` lasts one zero-delay timer, so every subscriber sees a snapshot whose value is
 * `changed` before it returns to `ready`.
 */
import { assertEvent, assign, setup, spawnChild } from 'xstate';
import type { MinionEvent, MinionOutput } from './minion-events.js';
import type { MinionLink } from './minion-link.js';
import type { MinionView } from './minion-snapshot.js';
import { createPollSlots, type PollSlots } from './poll-slots.js';
import { pollerMachine } from './poller.machine.js';

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

export interface MinionInput extends MinionTimings {
  readonly cname: string;
  readonly boltId: string;
  readonly link: MinionLink;
  /** Epoch ms; defaults to `now()` at creation. */
  readonly connectedAt?: number;
  /** Uniform in [0, 1); default `Math.random`. */
  readonly jitter?: () => number;
  /** Shared across minions to bound concurrent polls; default unlimited. */
  readonly pollSlots?: PollSlots;
  readonly warn?: Warn;
  /** Epoch ms on the actor system's clock; default `Date.now` (tests pass the `SimulatedClock`'s). */
  readonly now?: () => number;
}

interface MinionSettings extends Required<Omit<MinionInput, 'cname' | 'boltId' | 'link' | 'connectedAt'>> {}

/** `MinionView` plus private fields. `link` and `settings` are for the machine alone: never log them. */
export interface MinionContext extends MinionView {
  readonly link: MinionLink;
  readonly settings: MinionSettings;
  /** The foreign id last warned about, so a stubborn agent is reported once rather than every poll. */
  readonly foreignId: unknown;
}

export const DEFAULT_MONITOR_INTERVAL = 15_000;
export const DEFAULT_RETRY_BASE = 1_000;

export const minionMachine = setup({
  types: {} as {
    context: MinionContext;
    input: MinionInput;
    events: MinionEvent;
    output: MinionOutput;
  },
  actors: { poller: pollerMachine },
  actions: {
    recordPorts: assign({
      ports: ({ event }) => {
        assertEvent(event, 'bolt.capability');
        return [...event.ports];
      },
    }),
    startPolling: spawnChild('poller', {
      id: 'poller',
      input: ({ context: { cname, link, settings } }) => ({
        cname,
        link,
        slots: settings.pollSlots,
        monitorInterval: settings.monitorInterval,
        pollTimeout: settings.pollTimeout,
        retryBase: settings.retryBase,
        jitter: settings.jitter,
        now: settings.now,
      }),
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
  },
}).createMachine({
  id: 'minion',
  context: ({ input }) => {
    const now = input.now ?? Date.now;
    return {
      cname: input.cname,
      boltId: input.boltId,
      ports: [],
      document: null,
      checksum: null,
      lastError: null,
      consecutiveFailures: 0,
      connectedAt: input.connectedAt ?? now(),
      lastPollAt: null,
      lastChangeAt: null,
      removedReason: null,
      link: input.link,
      settings: {
        monitorInterval: input.monitorInterval ?? DEFAULT_MONITOR_INTERVAL,
        capabilityTimeout: input.capabilityTimeout,
        pollTimeout: input.pollTimeout,
        retryBase: input.retryBase ?? DEFAULT_RETRY_BASE,
        jitter: input.jitter ?? Math.random,
        pollSlots: input.pollSlots ?? createPollSlots(),
        warn: input.warn ?? (() => {}),
        now,
      },
      foreignId: undefined,
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
  },
  states: {
    connecting: {
      on: { 'bolt.capability': { target: 'monitoring', actions: ['recordPorts', 'startPolling'] } },
      after: {
        capabilityTimeout: {
          target: 'removed',
          actions: [
            { type: 'recordRemoval', params: { reason: 'capability-timeout' } },
            { type: 'closeLink', params: { reason: 'capability timeout' } },
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
