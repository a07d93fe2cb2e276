/**
 * One connected bolt as the tower sees it: an authenticated agent, its capability, and the way to
 * relay a request to one of its ports.
 */
import { randomUUID } from 'node:crypto';
import type { BoltSession } from '../mux/bolt-session.js';
import type { ErrorCode } from '../protocol/frames.js';
import { type RelayOptions, type RelayRequest, type RelayResponse, relay } from './relay-client.js';
import { RelayError } from './relay-error.js';

export class TowerBolt {
  /** Unique per connection: two bolts of one cname are told apart by it. */
  readonly boltId = randomUUID();
  readonly connectedAt = new Date();
  /** Null until the agent announces its capability. */
  ports: readonly number[] | null = null;

  constructor(
    readonly cname: string,
    readonly address: string,
    readonly transport: 'ws' | 'legacy',
    private readonly session: BoltSession,
  ) {}

  get isOpen(): boolean {
    return !this.session.isClosed;
  }

  /** Relayed exchanges in flight on this bolt; 0 when idle, so a leaked stream shows. */
  get openStreams(): number {
    return this.session.openStreams;
  }

  /** Relays one HTTP exchange to `port`, refusing locally (no frame sent) when the port is not offered. */
  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    if (!this.ports?.includes(port)) {
      return Promise.reject(
        new RelayError('port-not-allowed', `port ${port} is not in ${this.cname}'s capability`),
      );
    }
    return relay(this.session, port, request, options);
  }

  close(code: ErrorCode, reason: string): void {
    this.session.close(code, reason);
  }
}
