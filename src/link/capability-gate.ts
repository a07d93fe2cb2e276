/**
 * A bolt's capability announcements, bounded whatever the agent sends, on either transport.
 *
 * A port list equal to the latest word is a no-op. Changes take effect at most once per interval: a
 * change that comes sooner waits as the one pending capability, replaced by any newer one, and is
 * applied when the interval is up. So the last word always wins, and a flood holds one port list.
 * A flood does not close the bolt: coalesced, it costs the tower a JSON parse per Hello and nothing
 * more, and closing would only trade it for redials, each a TLS handshake.
 *
 * The log is bounded the same way: an info line for a bolt's first capability, then one line per
 * cname per LimitLog window for its changes, with the count of those held back.
 */
import { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';
import type { Bolt } from './bolt.js';
import type { BoltTable } from './bolt-table.js';

/** What the gates of one listener share. */
export class CapabilityRules {
  readonly limits: LimitLog;

  constructor(
    readonly table: BoltTable,
    /** Least milliseconds between two capability changes of one bolt (`capabilityInterval`). */
    readonly intervalMs: number,
    readonly log: Logger,
    /** How log lines name the transport's connections: `bolt` or `legacy bolt`. */
    readonly label: string,
  ) {
    this.limits = new LimitLog(log);
  }
}

const samePorts = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((port, i) => port === b[i]);

export class CapabilityGate {
  private current: readonly number[] | null = null;
  private pending: readonly number[] | undefined;
  /** Before this time (ms since the epoch) a change waits. */
  private nextAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rules: CapabilityRules,
    private readonly bolt: Bolt,
  ) {}

  /** The agent announced `ports`; `agent` is its self-description, logged with the first one. */
  offer(ports: readonly number[], agent?: string): void {
    const latest = this.pending ?? this.current;
    if (latest !== null && samePorts(latest, ports)) return;
    if (this.current !== null && samePorts(this.current, ports)) {
      // Changed back before the change took effect: the last word is what is in effect already.
      this.cancelPending();
      return;
    }
    const now = Date.now();
    if (this.timer === undefined && now >= this.nextAt) {
      this.apply(ports, now, agent);
      return;
    }
    this.pending = ports;
    this.timer ??= setTimeout(() => this.flush(), this.nextAt - now);
  }

  /** The bolt has closed: nothing pending is applied. */
  stop(): void {
    this.cancelPending();
  }

  private cancelPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const ports = this.pending;
    this.pending = undefined;
    if (ports) this.apply(ports, Date.now());
  }

  private apply(ports: readonly number[], now: number, agent?: string): void {
    const first = this.current === null;
    this.current = ports;
    this.nextAt = now + this.rules.intervalMs;
    const { cname, transport } = this.bolt;
    this.rules.table.announce(this.bolt, ports);
    if (first) {
      this.rules.log.info({ cname, transport, ports, agent }, `${this.rules.label} capability`);
    } else {
      // An ordinary change is news, not a limit hit; an agent changing its mind at will is one line a window.
      this.rules.limits.once(
        cname,
        'capability-change',
        { cname, transport, ports },
        `${this.rules.label} capability changed`,
        'info',
      );
    }
  }
}
