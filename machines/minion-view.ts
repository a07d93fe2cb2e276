/**
 * Reading a minion actor from outside: the public view the registry and API fold, its state name,
 * and the context trimmed for an inspector.
 */
import type { SnapshotFrom } from 'xstate';
import type { MinionContext, minionMachine } from './minion.machine.js';
import type { MinionState, MinionView } from './minion-snapshot.js';

export type MinionSnapshot = SnapshotFrom<typeof minionMachine>;

/** Exactly the `MinionView` fields, so private context (the link, settings) never leaks into views. */
export function minionView(snapshot: { readonly context: MinionContext }): MinionView {
  const c = snapshot.context;
  return {
    cname: c.cname,
    boltId: c.boltId,
    ports: c.ports,
    document: c.document,
    checksum: c.checksum,
    lastError: c.lastError,
    consecutiveFailures: c.consecutiveFailures,
    connectedAt: c.connectedAt,
    lastPollAt: c.lastPollAt,
    lastChangeAt: c.lastChangeAt,
    removedReason: c.removedReason,
  };
}

/** The machine's states are all top-level and atomic, so the snapshot value is the state name. */
export function minionState(snapshot: MinionSnapshot): MinionState {
  return snapshot.value;
}

export type SanitizedMinionContext = Omit<MinionView, 'document'>;

/**
 * For an inspector's `sanitizeContext`: identities, timings, checksum and error only. Documents can be
 * large and carry agent configuration (tokens, CSRs), and the link and settings are live objects.
 */
export function sanitizeMinionContext(context: MinionContext): SanitizedMinionContext {
  const { document: _document, ...view } = minionView({ context });
  return view;
}
