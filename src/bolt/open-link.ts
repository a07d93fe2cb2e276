/** A bolt's link as the code above it sees it, whichever framing carries it (WebSocket or raw). */
import type { LinkInput, MessageLink } from './mux/bolt-session.js';

/** What the session above a link wants to hear. */
export interface LinkListener {
  message(input: LinkInput): void;
  close(code: number, reason: string): void;
}

/** A link plus the hook to attach its listener once the session exists. */
export interface OpenLink extends MessageLink {
  listen(listener: LinkListener): void;
  /** How the bytes are framed on the wire: WebSocket messages, or bolt frames straight on TLS. */
  readonly framing: 'websocket' | 'raw';
}
