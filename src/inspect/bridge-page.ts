/**
 * The page an operator opens: a few lines of plain text saying what it needs, then the Stately
 * inspector in an iframe, fed with the messages the bridge's WebSocket delivers. Same protocol as
 * `@statelyai/inspect/server`'s page: hold messages until the iframe posts `@statelyai.connected`,
 * then post each one into it.
 *
 * The text is there because the iframe alone fails silently: behind a firewall that blocks
 * stately.ai it stays an empty grey box. So the page says, before any script runs, where the
 * inspector comes from, that the fleet's (sanitized) state is handed to it, and where the offline
 * views are: the tower's own console, and `--inspect-url` for a self-hosted copy of the inspector.
 */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/**
 * While the inspector has not loaded, the page holds the stream for it, but not for ever: an
 * inspector that has not said hello within this long is not coming (offline, blocked)...
 */
const INSPECTOR_LOAD_TIMEOUT_MS = 60_000;
/** ...and, meanwhile, no more than this many messages: a 20,000-minion greeting, and then some. */
const MAX_HELD_MESSAGES = 50_000;

export interface BridgePageOptions {
  /** The inspector the iframe loads (`--inspect-url`); default Stately's. */
  readonly inspectorUrl?: string;
  /** The tower's own console (`/ui/` on its API port), linked as the view that needs no internet. */
  readonly consoleUrl?: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For text and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

// The WebSocket URL comes from `location`, not from the tower's port, so the page also works through
// an SSH tunnel on another local port. Messages are posted with '*' like the stock page does: the
// inspector may redirect to another host name, and the messages are sanitized already.
export function bridgePage(options: BridgePageOptions = {}): string {
  const inspector = options.inspectorUrl ?? STATELY_INSPECTOR_URL;
  const origin = URL.canParse(inspector) ? new URL(inspector).origin : inspector;
  const consoleUrl = options.consoleUrl ?? '/ui/';
  const isStately = inspector === STATELY_INSPECTOR_URL;
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>stormtower inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    body { display: flex; flex-direction: column; font: 14px/1.4 system-ui, sans-serif; }
    header { padding: 8px 12px; background: #fffbe6; border-bottom: 1px solid #e6d9a1; color: #222; }
    header p + p { margin-top: 4px; }
    #status { padding: 8px 12px; background: #fde8e8; }
    iframe { flex: 1; width: 100%; border: none; }
  </style>
</head>
<body>
  <header>
    <p>stormtower inspector: the tower and one actor per minion, live, in the XState inspector below.</p>
    <p>The inspector below is loaded from <a href="${escapeHtml(inspector)}">${escapeHtml(inspector)}</a>:
      this browser must be able to reach ${escapeHtml(origin)}, and the fleet's state (ids, states,
      checksums, errors; no documents or keys) is handed to that page.${isStately ? ' Without internet access the area below stays empty.' : ''}</p>
    <p>Offline: the tower's own console at <a href="${escapeHtml(consoleUrl)}">${escapeHtml(consoleUrl)}</a>
      needs nothing from the internet, and <code>stormtower start --inspect --inspect-url &lt;url&gt;</code>
      points this page at a self-hosted copy of the inspector.</p>
  </header>
  <p id="status" hidden></p>
  <iframe id="inspector" src="${escapeHtml(inspector)}" title="XState inspector"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    // An inspector that never loads (offline) must not make this tab hold the stream for ever.
    const MAX_HELD = ${MAX_HELD_MESSAGES};
    const LOAD_TIMEOUT_MS = ${INSPECTOR_LOAD_TIMEOUT_MS};
    const held = [];
    let connected = false;
    const say = (text) => {
      const status = document.getElementById('status');
      status.textContent = text;
      status.hidden = false;
    };
    window.addEventListener('message', (event) => {
      if (event.source !== iframe.contentWindow) return;
      if (!event.data || event.data.type !== '@statelyai.connected') return;
      connected = true;
      for (const data of held.splice(0)) iframe.contentWindow.postMessage(data, '*');
    });
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/');
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else if (held.push(data) > MAX_HELD) giveUp();
    };
    function giveUp() {
      if (connected) return;
      held.length = 0;
      ws.close();
      say('The inspector did not load, so the stream was stopped. Reload this page to try again.');
    }
    setTimeout(giveUp, LOAD_TIMEOUT_MS);
    ws.onclose = () => { document.title = 'stormtower inspector (disconnected)'; };
  </script>
</body>
</html>
`;
}
