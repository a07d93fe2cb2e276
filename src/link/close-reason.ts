/**
 * Why a bolt ended, in one vocabulary for every transport, the table, the machines and the logs.
 * Each transport maps these to and from its own wire (WebSocket close codes, or none for legacy).
 */
export const CLOSE_REASONS = [
  'closed', // the peer or the connection ended it, or the tower closed it for no reason below
  'expired', // no sign of life within the validity window
  'capability-timeout', // connected, but never announced its ports
  'replaced', // a newer bolt with the same cname took its place
  'conflict', // refused: a live bolt holds the cname
  'shutdown', // the tower or the agent is shutting down
  'protocol', // the peer broke the protocol
  'backlog', // the peer stopped reading what it was sent
  'revoked', // the agent's certificate was revoked while its bolt was up
  'internal', // a bug on our side; this bolt only
] as const;

export type CloseReason = (typeof CLOSE_REASONS)[number];

export const isCloseReason = (value: string): value is CloseReason =>
  (CLOSE_REASONS as readonly string[]).includes(value);

/** How a bolt ended: the reason, and a sentence for the log. */
export interface BoltEnding {
  readonly reason: CloseReason;
  readonly detail: string;
}

/**
 * The log level of a bolt's end: an agent that stopped answering, never announced, broke the
 * protocol or stopped reading is worth an operator's look (warn); a plain close, a shutdown or a
 * replacement by its own reconnect is ordinary (info).
 */
export function endingLevel(reason: CloseReason): 'info' | 'warn' {
  return reason === 'closed' || reason === 'shutdown' || reason === 'replaced' ? 'info' : 'warn';
}
