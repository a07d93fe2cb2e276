/**
 * The `heartbeat` channel of cloudflash-bolt 0.3 agents (stormbolt's ancestor, tags 1.1.0_20140122
 * and 1.2.0), which know no `beacon`: the tower asks, the agent answers. Every `intervalMs` the tower
 * opens `heartbeat:heartbeat` and writes a request preamble, as that tower's `/broadcast` did; the
 * agent answers `{"statusCode":200,...}` and ends. Any answer counts as the agent heard; silence
 * for the validity window expires the connection, as a missing beacon does.
 *
 * One probe is outstanding at a time: an unanswered one is dropped when the next is sent, so an
 * agent that never answers costs one stream, not one per interval.
 */
import type { LegacyStream } from './legacy-stream.js';
import type { MuxDemuxSession } from './mux-demux-session.js';
import { type BeaconWatch, ValidityWindow } from './validity-window.js';

export const HEARTBEAT = 'heartbeat:heartbeat';
const PROBE = JSON.stringify({ method: 'GET', url: '/broadcast', headers: {} });

export class HeartbeatChannel {
  private readonly window: ValidityWindow;
  private probeTimer: NodeJS.Timeout | undefined;
  private probe: LegacyStream | undefined;
  private session: MuxDemuxSession | undefined;

  constructor(
    private readonly intervalMs: number,
    validityMs: number,
    watch: BeaconWatch,
  ) {
    this.window = new ValidityWindow(validityMs, watch);
  }

  /** Sends the first probe now and one every interval, and starts the validity window. */
  start(session: MuxDemuxSession): void {
    if (this.session) return;
    this.session = session;
    this.window.start();
    this.send();
    this.probeTimer = setInterval(() => this.send(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.window.stop();
    this.probe?.destroy();
    this.probe = undefined;
  }

  private send(): void {
    this.probe?.destroy();
    const stream = this.session?.open(HEARTBEAT, { writable: true, readable: true }, false);
    this.probe = stream;
    if (!stream) return;
    stream.listener = {
      // The content is not checked: 0.3.2 answers 200 whatever it was asked, and any answer is life.
      data: () => {
        this.window.heard();
        if (this.probe === stream) this.probe = undefined;
        stream.end();
      },
    };
    stream.write(PROBE);
  }
}
