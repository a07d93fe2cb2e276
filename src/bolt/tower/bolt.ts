/**
 * A connected bolt as everything above the transport sees it, whatever carries it: the WebSocket
 * bolt or the legacy stormbolt TLS link. The bolt table, the API and the minion links use only this.
 */
import type { ErrorCode } from '../protocol/frames.js';
import type { RelayOptions, RelayRequest, RelayResponse } from './relay-client.js';
import { RelayError } from './relay-error.js';

export type BoltTransport = 'ws' | 'legacy';

export interface Bolt {
  readonly cname: string;
  /** Unique per connection: two bolts of one cname are told apart by it. */
  readonly boltId: string;
  readonly address: string;
  readonly transport: BoltTransport;
  readonly connectedAt: Date;
  /** Null until the agent announces its capability. */
  ports: readonly number[] | null;
  readonly isOpen: boolean;
  /** Relayed exchanges in flight on this bolt; 0 when idle, so a leaked stream shows. */
  readonly openStreams: number;
  /** Relays one HTTP exchange to `port`; rejects with `RelayError`. */
  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse>;
  /** Closes the bolt (idempotent); the transport then reports it closed to the bolt table. */
  close(code: ErrorCode, reason: string): void;
}

/** The local refusal every transport makes before sending anything: the port is not offered. */
export function unofferedPort(bolt: Bolt, port: number): RelayError | undefined {
  if (bolt.ports?.includes(port)) return undefined;
  return new RelayError('port-not-allowed', `port ${port} is not in ${bolt.cname}'s capability`);
}
