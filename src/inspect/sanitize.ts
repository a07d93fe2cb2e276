/**
 * What the tower lets out to the Stately inspector: ids, state values, checksums and errors, never
 * status documents, links, settings, certificates or keys.
 *
 * Everything here is an allowlist: a field is sent because it is named below, so a field added to a
 * machine later stays private until someone decides otherwise. The three functions plug into the
 * matching `InspectorOptions` of `@statelyai/inspect` (see `sanitizingOptions`), which hands them
 * either live objects or JSON copies of them; both are read as `unknown`.
 */
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { MinionContext } from '../../machines/minion.machine.js';
import { sanitizeMinionContext } from '../../machines/minion-view.js';
import { isPlainObject } from '../json/plain-object.js';

type Fields = Record<string, unknown>;

const isRecord: (value: unknown) => value is Fields = isPlainObject;

const MAX_TEXT = 300;
// Strings pass by name only; this is the backstop for one that quotes a key or certificate anyway
// (an error message echoing the start of a body, say).
const PEM_MARKER = '-----BEGIN';

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.includes(PEM_MARKER)) return '[redacted]';
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}...` : value;
}

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const portList = (value: unknown): number[] | undefined =>
  Array.isArray(value) ? value.filter((port): port is number => finite(port) !== undefined) : undefined;

/** Copies the named fields that hold the expected kind of value; drops everything else. */
function pick(source: Fields, texts: readonly string[], numbers: readonly string[]): Fields {
  const out: Fields = {};
  for (const key of texts) {
    const value = text(source[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const key of numbers) {
    const value = finite(source[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A poll failure, a `PollError` or any thrown value: its name, code and message, nothing it carries. */
export function sanitizeError(error: unknown): Fields | undefined {
  if (typeof error === 'string') return { message: text(error) };
  if (!isRecord(error)) return undefined;
  return pick(error, ['name', 'code', 'message'], ['at']);
}

const IDENTITY_TEXTS = ['cname', 'boltId', 'reason', 'removedReason', 'checksum'] as const;
const TIME_NUMBERS = ['at', 'connectedAt'] as const;

/** A minion's `xstate.done.actor.*` output ({cname, boltId, removedReason}) or a poll's ({checksum}). */
function sanitizeOutput(output: unknown): Fields | undefined {
  return isRecord(output) ? pick(output, IDENTITY_TEXTS, TIME_NUMBERS) : undefined;
}

/**
 * For `sanitizeEvent`. `bolt.connected` loses its link, `status.received` its document, the
 * `xstate.init` of every actor its input (which holds the link), a poll's done event its document.
 */
export function sanitizeEvent(event: unknown): { type: string } & Fields {
  if (!isRecord(event)) return { type: 'unknown' };
  const out: { type: string } & Fields = {
    type: text(event.type) ?? 'unknown',
    ...pick(event, IDENTITY_TEXTS, TIME_NUMBERS),
  };
  const ports = portList(event.ports);
  if (ports) out.ports = ports;
  const output = sanitizeOutput(event.output);
  if (output) out.output = output;
  const failure = sanitizeError(event.failure);
  if (failure) out.failure = failure;
  const error = sanitizeError(event.error);
  if (error) out.error = error;
  return out;
}

// Our own machines' contexts are told apart by shape: `sanitizeContext` is not told which actor it is for.
function isMinionContext(context: Fields): context is Fields & MinionContext {
  return (
    typeof context.cname === 'string' &&
    typeof context.boltId === 'string' &&
    Array.isArray(context.ports) &&
    'link' in context &&
    'settings' in context
  );
}

const isShardContext = (context: Fields): context is Fields & { minions: Map<string, unknown> } =>
  context.minions instanceof Map && 'defaults' in context;

const isTowerContext = (context: Fields): context is Fields & { shards: readonly unknown[] } =>
  Array.isArray(context.shards) && 'defaults' in context;

/** Only scalar fields survive: anything nested was either a document or a live object. */
function scalars(source: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(source)) {
    const shown = value === null || typeof value === 'boolean' ? value : (finite(value) ?? text(value));
    if (shown !== undefined) out[key] = shown;
  }
  return out;
}

/**
 * For `sanitizeContext`. A minion keeps its `sanitizeMinionContext` view (ids, ports, checksum,
 * times, last error); a shard shows only which cnames have a minion, the tower how many shards are
 * running; any other actor shows `{}`.
 */
export function sanitizeContext(context: unknown): Fields {
  if (!isRecord(context)) return {};
  if (isMinionContext(context)) {
    const { ports, lastError, ...rest } = sanitizeMinionContext(context);
    return { ...scalars(rest), ports: portList(ports) ?? [], lastError: sanitizeError(lastError) ?? null };
  }
  if (isShardContext(context)) return { minions: [...context.minions.keys()] };
  if (isTowerContext(context))
    return { shards: context.shards.filter((shard) => shard !== undefined).length };
  return {};
}

/** A state value is a state name or a tree of them; anything else is not one. */
function stateValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return text(value);
  if (!isRecord(value) || depth > 8) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, stateValue(child, depth + 1)]));
}

type InspectedSnapshot = (StatelyInspectionEvent & { type: '@xstate.snapshot' })['snapshot'];

/**
 * Keeps a snapshot's status, value, context, output and error. An actor's raw snapshot also holds
 * its machine, its children and, for promise and callback actors, the input they were given (the
 * link): none of that is covered by `sanitizeContext`. Expects a context already sanitized.
 */
export function sanitizeSnapshot(snapshot: unknown): InspectedSnapshot {
  const source = isRecord(snapshot) ? snapshot : {};
  const shown = { value: stateValue(source.value), context: isRecord(source.context) ? source.context : {} };
  switch (source.status) {
    case 'done':
      return { ...shown, status: 'done', output: sanitizeOutput(source.output), error: undefined };
    case 'error':
      return { ...shown, status: 'error', output: undefined, error: sanitizeError(source.error) };
    case 'stopped':
      return { ...shown, status: 'stopped', output: undefined, error: undefined };
    default:
      return { ...shown, status: 'active', output: undefined, error: undefined };
  }
}

/** For `serialize`, which runs after the context and event were sanitized. */
export function sanitizeInspection(event: StatelyInspectionEvent): StatelyInspectionEvent {
  if (event.type === '@xstate.event') return event;
  return { ...event, snapshot: sanitizeSnapshot(event.snapshot) };
}

/** The options that must travel together: `sanitizeInspection` relies on the other two having run. */
export const sanitizingOptions = {
  sanitizeContext,
  sanitizeEvent,
  serialize: sanitizeInspection,
} as const;
