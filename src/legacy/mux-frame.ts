/**
 * The mux-demux frame vocabulary: `[id, event, ...args]`, with ids and events as strings.
 *
 * `asFrame` applies mux-demux's own admission rule (an array whose first two items are strings,
 * neither `"__proto__"`); anything else is dropped silently by the receiver, as the original does.
 */

export interface MuxFrame {
  readonly id: string;
  readonly event: string;
  readonly args: readonly unknown[];
}

/** A stream's directions, from the point of view of the side holding it. */
export interface StreamOpts {
  readonly writable: boolean;
  readonly readable: boolean;
}

const FORBIDDEN = '__proto__';

export function asFrame(value: unknown): MuxFrame | undefined {
  if (!Array.isArray(value)) return undefined;
  const [id, event, ...args] = value as unknown[];
  if (typeof id !== 'string' || typeof event !== 'string') return undefined;
  if (id === FORBIDDEN || event === FORBIDDEN) return undefined;
  return { id, event, args };
}

/** The `new` frame's payload; `opts` goes out from the receiver's side, so the opener swaps its flags. */
export function newFrame(id: string, meta: string, opener: StreamOpts): unknown[] {
  return [id, 'new', { meta, opts: { writable: opener.readable, readable: opener.writable } }];
}

/**
 * What a peer's `new` carries, read leniently: mux-demux itself trusts whatever arrives, so a missing
 * or odd `opts` reads as "both directions" and a non-string `meta` as no label.
 */
export function readNewPayload(payload: unknown): { meta: string | undefined; opts: StreamOpts } {
  const record = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  const opts =
    typeof record.opts === 'object' && record.opts !== null ? (record.opts as Record<string, unknown>) : {};
  const both = opts.writable === undefined && opts.readable === undefined;
  return {
    meta: typeof record.meta === 'string' ? record.meta : undefined,
    opts: { writable: both || opts.writable === true, readable: both || opts.readable === true },
  };
}
