/**
 * `stormtower start --inspect [PORT]`: serves the Stately inspector page on a local port and streams
 * the tower's actor system to it, sanitized (see `sanitize.ts`) and folded into a fleet view (the
 * tower and one actor per minion, see `fleet-view.ts`).
 *
 * The events go from the tower's `inspect` observer to the bridge in-process. The library's
 * `createWebSocketInspector` would add a loopback socket whose adapter never clears its backlog
 * (every reconnect replays it), retries on a 5 s timer that outlives `close()`, and stops for good
 * after a clean disconnect.
 */
import { spawn } from 'node:child_process';
import type { InspectionEvent } from 'xstate';
import { createFleetView } from './fleet-view.js';
import { startInspectorBridge } from './inspector-bridge.js';
import { createSanitizedInspector } from './sanitized-inspector.js';

export interface TowerInspectorOptions {
  /** 0 picks a free port; `TowerInspector.port` tells which. */
  readonly port: number;
  /** Default loopback: anything wider shows the fleet's state to that network, unauthenticated. */
  readonly host?: string;
  /** Open the page in this machine's browser. Default false: a tower seldom runs where one is. */
  readonly autoOpen?: boolean;
  /** The inspector the page embeds (`--inspect-url`); default `https://stately.ai/inspect`. */
  readonly inspectorUrl?: string;
  /** The tower's offline console, linked from the page; known once the API listens. */
  readonly consoleUrl?: () => string | undefined;
}

export interface TowerInspector {
  /** Pass to `createActor(towerMachine, { inspect })`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** The page an operator opens (through an SSH tunnel when the tower is remote). */
  readonly url: string;
  readonly port: number;
  /** Stops sending, disconnects the browsers and frees the port. */
  close(): Promise<void>;
}

export const DEFAULT_INSPECTOR_HOST = '127.0.0.1';

export async function startTowerInspector(options: TowerInspectorOptions): Promise<TowerInspector> {
  const view = createFleetView();
  const bridge = await startInspectorBridge({
    port: options.port,
    host: options.host ?? DEFAULT_INSPECTOR_HOST,
    greeting: () => view.greeting(),
    page: () => {
      const consoleUrl = options.consoleUrl?.();
      return {
        ...(options.inspectorUrl === undefined ? {} : { inspectorUrl: options.inspectorUrl }),
        ...(consoleUrl === undefined ? {} : { consoleUrl }),
      };
    },
  });
  const inspector = createSanitizedInspector((message, event) => {
    for (const shown of view.record(event, message)) bridge.broadcast(shown);
  });
  if (options.autoOpen === true) openInBrowser(bridge.url);
  return {
    inspect: inspector.inspect,
    url: bridge.url,
    port: bridge.port,
    async close() {
      inspector.stop();
      await bridge.close();
    },
  };
}

// No shell: the URL is an argument. A missing opener is not an error: the URL is printed anyway.
function openInBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}
