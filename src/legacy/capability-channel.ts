/**
 * The `capability` channel, both ways: the tower asks for the agent's ports on a stream it only
 * reads, and answers the stream the agent opens with its own list (else a 0.4.3 agent redials every
 * 5 s, piling up connections).
 *
 * Port lists are decimal numbers joined by commas. The original parsed `""` as `[0]` and let any
 * junk through as NaN; here only whole numbers 1-65535 count, so `""` is the empty list: no ports.
 *
 * cloudflash-bolt 0.3 agents (stormbolt's ancestor) answer `forwardingPorts:5000,8000`, the only form
 * that tower accepted; the prefix marks that dialect, whose liveness is the `heartbeat` channel.
 */
import type { LegacyStream } from './legacy-stream.js';
import type { MuxDemuxSession } from './mux-demux-session.js';

export const CAPABILITY = 'capability';
/** How a cloudflash-bolt 0.3 agent's capability starts. */
export const FORWARDING_PORTS = 'forwardingPorts:';

/** stormbolt 0.4 (beacons), or its ancestor cloudflash-bolt 0.3 (heartbeats the tower asks for). */
export type LegacyDialect = 'stormbolt' | 'cloudflash';

/**
 * Opens the tower's capability stream; `onPorts` gets every list the agent sends (each replaces
 * the last). Undefined when the session is already closed.
 */
export function askCapability(
  session: MuxDemuxSession,
  onPorts: (ports: readonly number[], dialect: LegacyDialect) => void,
): LegacyStream | undefined {
  const stream = session.open(CAPABILITY, { writable: false, readable: true }, false);
  if (stream)
    stream.listener = {
      data: (payload) => {
        if (typeof payload === 'string' && payload.startsWith(FORWARDING_PORTS))
          onPorts(parsePorts(payload.slice(FORWARDING_PORTS.length)), 'cloudflash');
        else onPorts(parsePorts(payload), 'stormbolt');
      },
    };
  return stream;
}

/** Answers an agent's capability stream: one data frame with our list, then end (and close). */
export function answerCapability(stream: LegacyStream, ports: readonly number[]): void {
  stream.write(ports.join(','));
  stream.end();
}

/** The agent's port list; a number or an array is accepted too, since a JSON value can be either. */
export function parsePorts(payload: unknown): number[] {
  const items =
    typeof payload === 'string' ? payload.split(',') : Array.isArray(payload) ? payload : [payload];
  const ports: number[] = [];
  for (const item of items) {
    const text = typeof item === 'number' ? String(item) : typeof item === 'string' ? item.trim() : '';
    if (!/^\d{1,5}$/.test(text)) continue;
    const port = Number(text);
    if (port >= 1 && port <= 65535 && !ports.includes(port)) ports.push(port);
  }
  return ports;
}
