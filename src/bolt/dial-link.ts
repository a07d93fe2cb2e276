/**
 * How an agent dials a tower: raw framing first (the cheaper path, docs/protocol.md "Raw framing"),
 * and WebSocket for a tower that upgrades without it, remembered per URL so an older tower costs one
 * extra handshake per agent, not one per dial.
 */
import type { OpenLink } from './open-link.js';
import { dialRaw, RawFramingRefused } from './raw/raw-upgrade.js';
import { type DialOptions, dialWebSocket } from './ws-link.js';

/** `raw`: offer raw framing and fall back to WebSocket; `websocket`: WebSocket only (a proxy that reads frames). */
export type BoltFraming = 'raw' | 'websocket';

export class LinkDialer {
  private readonly websocketOnly = new Set<string>();

  constructor(private readonly framing: BoltFraming = 'raw') {}

  async dial(url: string, options: DialOptions): Promise<OpenLink> {
    if (this.framing === 'websocket' || this.websocketOnly.has(url)) return dialWebSocket(url, options);
    try {
      return await dialRaw(url, options);
    } catch (error) {
      if (!(error instanceof RawFramingRefused)) throw error;
      this.websocketOnly.add(url);
      return dialWebSocket(url, options);
    }
  }
}
