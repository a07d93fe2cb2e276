/**
 * The tower's connection to NATS: dialled in the background (a tower whose NATS is down still starts
 * and serves its own bolts), reconnecting forever, with its up/down state as a stream.
 */
import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Logger } from '../log/logger.js';

export interface NatsSettings {
  /** `nats://` or `tls://` URLs, with `user:password@` when the server wants them. */
  readonly servers: readonly string[];
  /** A NATS credentials file (JWT and NKey seed), when the server wants one. */
  readonly credsFile?: string | undefined;
  /** The CA that signed the servers' certificates, for tls:// URLs; the system's CAs otherwise. */
  readonly caFile?: string | undefined;
  /** Shown by the server in its connection list. */
  readonly name: string;
}

export interface NatsLink {
  /** The connection once it exists; undefined until the first dial succeeds. */
  connection(): NatsConnection | undefined;
  /** Resolves with the connection when the first dial succeeds (never rejects; waits as long as it takes). */
  readonly ready: Promise<NatsConnection>;
  /** true while connected, false while down; replays the current state. */
  readonly up$: Observable<boolean>;
  close(): Promise<void>;
}

// Between first-dial attempts: long enough not to spin against a NATS that is down for a while.
const FIRST_DIAL_RETRY_MS = 2000;

/** Splits `user:password@` off a URL: the client takes them as options, the URL list without. */
function splitCredentials(servers: readonly string[]): { urls: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const urls = servers.map((raw) => {
    const url = new URL(raw);
    if (url.username !== '') {
      user = decodeURIComponent(url.username);
      pass = decodeURIComponent(url.password);
    }
    return `${url.protocol}//${url.host}`;
  });
  return { urls, ...(user !== undefined ? { user, pass: pass ?? '' } : {}) };
}

export function linkToNats(settings: NatsSettings, log: Logger): NatsLink {
  const up = new BehaviorSubject(false);
  let current: NatsConnection | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let lastFailure: string | undefined;
  let resolveReady: (connection: NatsConnection) => void = () => {};
  const ready = new Promise<NatsConnection>((resolve) => {
    resolveReady = resolve;
  });
  const { urls, user, pass } = splitCredentials(settings.servers);
  const tls = settings.servers.some((url) => url.startsWith('tls:'));

  async function dial(): Promise<void> {
    try {
      const creds = settings.credsFile === undefined ? undefined : await readFile(settings.credsFile);
      const connection = await connect({
        servers: urls,
        name: settings.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        reconnectJitter: 500,
        ...(user !== undefined ? { user, pass } : {}),
        ...(creds ? { authenticator: credsAuthenticator(creds) } : {}),
        ...(tls ? { tls: settings.caFile === undefined ? {} : { caFile: settings.caFile } } : {}),
      });
      if (closed) {
        await connection.close();
        return;
      }
      current = connection;
      up.next(true);
      log.info({ server: connection.getServer() }, 'connected to the cluster');
      void follow(connection);
      resolveReady(connection);
    } catch (error) {
      if (closed) return;
      // Said once (and again only if the reason changes): a NATS that is down fails every retry alike.
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastFailure)
        log.warn(
          { err: error, servers: urls },
          'cannot reach the cluster; serving this tower only, retrying',
        );
      lastFailure = reason;
      retry = setTimeout(() => void dial(), FIRST_DIAL_RETRY_MS);
    }
  }

  async function follow(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        up.next(false);
        log.warn({ server: status.server }, 'lost the cluster; serving this tower only');
      } else if (status.type === 'reconnect') {
        up.next(true);
        log.info({ server: status.server }, 'reconnected to the cluster');
      }
    }
  }

  void dial();
  return {
    connection: () => current,
    ready,
    up$: up.asObservable(),
    async close() {
      closed = true;
      clearTimeout(retry);
      up.next(false);
      up.complete();
      await current?.drain().catch(() => current?.close());
    },
  };
}
