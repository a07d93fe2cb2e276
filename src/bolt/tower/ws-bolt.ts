/**
 * A WebSocket bolt as the tower sees it: the `Bolt` interface over a multiplexed `BoltSession`.
 */
import { randomUUID } from 'node:crypto';
import type { BoltSession } from '../mux/bolt-session.js';
import type { ErrorCode } from '../protocol/frames.js';
import { type Bolt, unofferedPort } from './bolt.js';
import { type RelayOptions, type RelayRequest, type RelayResponse, relay } from './relay-client.js';

export class WsBolt implements Bolt {
  readonly boltId = randomUUID();
  readonly connectedAt = new Date();
  readonly transport = 'ws' as const;
  ports: readonly number[] | null = null;

  constructor(
    readonly cname: string,
    readonly address: string,
    private readonly session: BoltSession,
  ) {}

  get isOpen(): boolean {
    return !this.session.isClosed;
  }

  get openStreams(): number {
    return this.session.openStreams;
  }

  relay(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    const refused = unofferedPort(this, port);
    return refused ? Promise.reject(refused) : relay(this.session, port, request, options);
  }

  close(code: ErrorCode, reason: string): void {
    this.session.close(code, reason);
  }
}
