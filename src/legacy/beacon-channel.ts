/**
 * The `beacon` channel: the tower opens it once the agent is ready, answers every beacon with
 * `"beacon:reply"`, and expires the connection after `validityMs` without one, or once what the
 * tower sends has waited that long untaken (see validity-window.ts).
 */
import type { LegacyStream } from './legacy-stream.js';
import type { MuxDemuxSession } from './mux-demux-session.js';
import { type BeaconWatch, ValidityWindow } from './validity-window.js';

export type { BeaconWatch } from './validity-window.js';

export const BEACON = 'beacon';
export const BEACON_REPLY = 'beacon:reply';

export class BeaconChannel {
  private readonly window: ValidityWindow;
  private stream: LegacyStream | undefined;

  constructor(validityMs: number, watch: BeaconWatch) {
    this.window = new ValidityWindow(validityMs, watch);
  }

  /** Opens the beacon stream (duplex, half-open, never ended by us) and starts the validity window. */
  start(session: MuxDemuxSession): void {
    if (this.stream) return;
    // Started first: a connection that cannot even hold the beacon stream still expires.
    this.window.start();
    this.stream = session.open(BEACON, { writable: true, readable: true }, true);
    if (!this.stream) return;
    const stream = this.stream;
    // Any data frame is a beacon: the original never looked at the content, and late ones count.
    stream.listener = {
      data: () => {
        this.window.heard();
        stream.write(BEACON_REPLY);
      },
    };
  }

  stop(): void {
    this.window.stop();
  }
}
