/**
 * The page an operator opens: the Stately inspector in an iframe, fed with the messages the bridge's
 * WebSocket delivers. Same protocol as `@statelyai/inspect/server`'s page: hold messages until the
 * iframe posts `@statelyai.connected`, then post each one into it.
 */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

// The WebSocket URL comes from `location`, not from the tower's port, so the page also works through
// an SSH tunnel on another local port. Messages are posted with '*' like the stock page does: the
// inspector may redirect to another host name, and the messages are sanitized already.
export function bridgePage(inspectorUrl: string = STATELY_INSPECTOR_URL): string {
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>stormtower inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    iframe { width: 100%; height: 100%; border: none; }
  </style>
</head>
<body>
  <iframe id="inspector" src="${encodeURI(inspectorUrl)}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const held = [];
    let connected = false;
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
      else held.push(data);
    };
    ws.onclose = () => { document.title = 'stormtower inspector (disconnected)'; };
  </script>
</body>
</html>
`;
}
