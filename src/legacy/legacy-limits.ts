/**
 * The bounds that keep one bad legacy agent from hurting the rest: every buffer the tower fills on
 * an agent's behalf has a ceiling, and crossing one costs that agent its connection or its relay.
 */
export interface LegacyLimits {
  /** Longest line (bytes, newline excluded), and so the most an unterminated line may buffer. */
  readonly maxLineBytes: number;
  /** Sub-streams the tower holds open per connection (relays, beacon); a relay past it is refused (503). */
  readonly maxOpenStreams: number;
  /**
   * Sub-streams an agent may open over a connection's life (a deployed agent opens one, its
   * capability); one more is a flood and closes the connection.
   */
  readonly maxPeerStreams: number;
  /** Bytes queued towards an agent that has stopped reading before it is closed (the tower's outputBacklogLimit). */
  readonly maxWriteBacklogBytes: number;
  /** Queued response bytes of one relay beyond which the agent is asked to pause. */
  readonly bodyHighWaterBytes: number;
  /** Queued response bytes of one relay beyond which the relay fails (the agent ignored `pause`). */
  readonly maxBodyQueueBytes: number;
  /** Largest request body the tower reads to send as the preamble's `data`. */
  readonly maxRequestBodyBytes: number;
}

export const DEFAULT_LEGACY_LIMITS: LegacyLimits = {
  maxLineBytes: 1024 * 1024,
  maxOpenStreams: 256,
  maxPeerStreams: 256,
  maxWriteBacklogBytes: 4 * 1024 * 1024,
  bodyHighWaterBytes: 64 * 1024,
  // Generous: `pause` is advisory and whatever the agent wrote before reading it is still in flight.
  maxBodyQueueBytes: 8 * 1024 * 1024,
  maxRequestBodyBytes: 1024 * 1024,
};
