/**
 * `stormtower start`: runs the tower with settings from flags, `STORMTOWER_*` variables and an
 * optional JSON file, creating its CA and server certificate on first run.
 */
import { type Command, Option } from 'commander';
import { resolveApiToken } from '../config/api-token-file.js';
import { loadConfig } from '../config/load-config.js';
import { towerConfigSchema } from '../config/tower-config.js';
import { holdPort } from '../legacy/held-port.js';
import { openAuditFile } from '../log/audit-file.js';
import { createLogger } from '../log/logger.js';
import { describeDrain } from '../tower-drain.js';
import { collect, exitWithError, onShutdown } from './fail.js';
import { governHeapGrowth } from './gc-schedule.js';
import { onReload } from './reload.js';

interface StartFlags {
  config?: string;
  name?: string[];
  [flag: string]: unknown;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the tower: the bolt listener and the north-bound API')
    .option('--config <file>', 'JSON file with any of the settings below (camelCase keys)')
    .option('--data-dir <dir>', 'CA, certificates and state (default ./.stormtower)')
    .option('--bolt-host <host>', 'bolt listener address (default 0.0.0.0)')
    .option('--bolt-port <port>', 'bolt listener port (default 8443)')
    .option('--api-host <host>', 'API address (default 127.0.0.1)')
    .option('--api-port <port>', 'API port (default 8020)')
    .option('--api-token <token>', 'require "Authorization: Bearer <token>" on every API request')
    .option('--api-token-file <file>', 'the same, with the token read from a file (kept out of ps)')
    .option(
      '--cors-origin <origin>',
      'let browser pages from this origin call the read API, e.g. https://a.example:8443 (repeatable)',
      collect,
    )
    .option('--session-limit <n>', 'browser sessions held at once (default 1000)')
    .option('--session-idle-timeout <seconds>', 'sign out a browser session unused this long (default 28800)')
    .option('--beacon-interval <seconds>', 'heartbeat period (default 10)')
    .option('--beacon-validity <seconds>', 'silence after which a bolt is expired (default 45)')
    .option('--relay-timeout <seconds>', 'wait for a relayed response head (default 20)')
    .option('--relay-idle-timeout <seconds>', 'abort a relayed body idle this long, either way (default 60)')
    .option(
      '--trust-proxy <addresses>',
      "keep X-Forwarded-For from these proxies' addresses (comma-separated, repeatable); none by default",
      collect,
    )
    .option('--monitor-interval <ms>', 'status poll period per minion (default 15000)')
    .option('--status-port <port>', "minions' status port (default 5000)")
    .option('--status-path <path>', "minions' status path (default /status)")
    .option('--status-body-limit <bytes>', 'largest status document accepted (default 1048576)')
    .option('--poll-concurrency <n>', 'status polls in flight at once across the fleet (default 64)')
    .option('--capability-timeout <seconds>', 'close bolts that announce no capability in time (default 15)')
    .option('--capability-interval <seconds>', "least time between a bolt's capability changes (default 1)")
    .option('--on-duplicate <policy>', 'a second live bolt for a cname: refuse or replace (default refuse)')
    .option(
      '--output-backlog-limit <bytes>',
      'close a bolt that leaves this much of its output unread (default 4194304)',
    )
    .option(
      '--tls-handshake-timeout <seconds>',
      'close connections whose TLS handshake lasts longer (default 10)',
    )
    .option(
      '--upgrade-timeout <seconds>',
      'close bolt connections not upgraded this long after TLS (default 10)',
    )
    .option('--handshake-limit <n>', 'connections still authenticating, per listener (default 256)')
    .option(
      '--handshake-limit-per-address <n>',
      'connections still authenticating from one address (default 128)',
    )
    .option(
      '--legacy-port <port>',
      'also accept deployed stormbolt agents (raw TLS + mux-demux) here; off by default',
    )
    .option(
      '--legacy-missing-after <seconds>',
      'after a restart, warn about legacy minions not back this long (default 60)',
    )
    .option('--legacy-seen-limit <n>', 'legacy cnames remembered across restarts (default 10000)')
    .option('--header-relay', 'relay API requests carrying "stormbolt-target: <cname>:<port>"')
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM, time for a clean stop before exiting anyway (default 5)',
    )
    .option(
      '--drain-timeout <seconds>',
      'on SIGTERM, time relays in flight may still run before they are cut (default 30)',
    )
    .option(
      '--redial-spread <seconds>',
      'on SIGTERM, agents are told to redial after a random delay up to this long (default 10)',
    )
    .option('--public-health', 'answer GET /health and /ready without the API token')
    // Declared with its positive twin so commander sets no default, and STORMTOWER_UI still counts.
    .addOption(new Option('--ui').hideHelp())
    .option('--no-ui', 'do not serve the fleet console at /ui/ on the API port')
    .option(
      '--feed-backlog-limit <bytes>',
      'bytes an event-stream subscriber may leave unread before it is dropped (default 1048576)',
    )
    .option(
      '--feed-write-share <fraction>',
      "share of the tower's time that writing changes to event-stream subscribers may take (default 0.25)",
    )
    .option(
      '--heap-growth <percent>',
      'let the heap grow this far past what the last full GC kept; 0 leaves it to V8 (default 40)',
    )
    .option('--feed-drop-grace <seconds>', 'time a dropped subscriber has to read its last event (default 5)')
    .option('--feed-retry <ms>', 'reconnect delay the event stream asks browsers to use (default 3000)')
    .option(
      '--cluster <url>',
      'join the cluster on this NATS server (nats:// or tls://, repeatable)',
      collect,
    )
    .option('--cluster-creds <file>', 'NATS credentials file for the cluster')
    .option(
      '--cluster-ca <file>',
      "CA of the NATS servers' certificates for tls:// URLs (default: the system's)",
    )
    .option('--tower-id <id>', "this tower's name in the cluster (default <host name>-<bolt port>)")
    .option(
      '--cluster-presence-timeout <seconds>',
      'a tower unheard this long is dead and its minions are removed (default 15)',
    )
    .option('--cluster-host <host>', 'address of the listener other towers relay through (default 0.0.0.0)')
    .option('--cluster-port <port>', 'port of that listener (default 9443)')
    .option(
      '--cluster-advertise <url>',
      'https:// URL other towers dial for it (default https://<host name>:<port>)',
    )
    .option(
      '--metrics-port <port>',
      'also serve GET /metrics here, plain HTTP without the API token; off by default',
    )
    .option('--metrics-host <host>', 'address of that listener (default 127.0.0.1)')
    .option('--inspect [port]', 'serve the XState inspector bridge on this port (default 8080)')
    .option(
      '--inspect-url <url>',
      'the inspector its page embeds, e.g. a self-hosted copy (default https://stately.ai/inspect)',
    )
    .option('--name <name>', 'extra DNS name or address for a new tower certificate (repeatable)', collect)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--log-format <format>', 'pretty or json (default: pretty on a terminal, json otherwise)')
    .option(
      '--audit-log <file>',
      "write the audit log (a JSON line per relay) to this file, reopened on SIGHUP; default: the tower's log",
    )
    .option('--audit-query', 'log relayed paths with their query string (off: queries may carry secrets)')
    .action(async (flags: StartFlags) => {
      try {
        const { config: file, name, inspect, ...rest } = flags;
        const config = await loadConfig(towerConfigSchema, {
          ...(file ? { file } : {}),
          env: process.env,
          // A bare --inspect means the inspector's usual port.
          flags: { ...rest, names: name, inspect: inspect === true ? 8080 : inspect },
        });
        governHeapGrowth(config.heapGrowth);
        // Before anything is created: an unusable token file stops the start like a bad flag.
        const apiToken = await resolveApiToken(config);
        // Bound before the heavy imports below: the legacy port's restart gap is what 0.4.3 agents
        // cannot survive (they stop redialling after one refused connect).
        const legacyHeld =
          config.legacyPort === undefined
            ? undefined
            : await holdPort(config.boltHost, config.legacyPort, config.handshakeLimit);
        const { ensureRsaTowerCertificate, initCertificates, readTowerCredentials } = await import(
          '../certs/store.js'
        );
        const { startTower } = await import('../tower.js');
        const log = createLogger({
          level: config.logLevel,
          ...(config.logFormat ? { format: config.logFormat } : {}),
        });
        // Opened before the tower starts: a path that cannot be written stops the start, not a relay.
        const auditFile = config.auditLog ? await openAuditFile(config.auditLog, log) : undefined;
        const certs = await initCertificates({ dataDir: config.dataDir, names: config.names });
        if (certs.created.length > 0)
          log.info({ files: certs.created }, 'created the CA and tower certificate');
        log.info({ ca: certs.paths.ca, cert: certs.paths.cert }, 'certificates');
        const credentials = await readTowerCredentials(config.dataDir);
        const legacyExtra =
          config.legacyPort === undefined
            ? undefined
            : await ensureRsaTowerCertificate({ dataDir: config.dataDir, names: config.names });
        if (legacyExtra?.created) log.info({ dir: config.dataDir }, 'created tower-rsa.crt for old agents');
        const tower = await startTower(
          {
            ...config,
            apiToken,
            legacySeenDir: config.dataDir,
            revocationDir: config.dataDir,
            ...(legacyHeld ? { legacyHeld } : {}),
            ...(auditFile ? { auditLogger: auditFile.log } : {}),
          },
          { ...credentials, ...(legacyExtra ? { legacyExtra } : {}) },
          log,
        );
        // Before "tower ready": whoever reads that line may signal at once. The drain is bounded by
        // its own timeout; the grace is for the stop after it.
        onShutdown(
          async () => {
            const summary = await tower.drain();
            log.info(summary, describeDrain(summary));
            // After the drain: the relays it let finish have written their lines.
            await auditFile?.close();
          },
          { graceSeconds: config.drainTimeout + config.shutdownGrace },
        );
        // The handler also keeps SIGHUP from ending the tower, as Node's default action would.
        // logrotate moves the audit file, then signals: the next lines go to a new file at the same
        // path; a changed revocation list closes the bolts it now refuses.
        onReload(async () => {
          const reloaded: string[] = [];
          if (auditFile) {
            await auditFile.reopen();
            reloaded.push('audit-log');
          }
          if (await tower.reloadRevocations()) reloaded.push('revocations');
          return reloaded;
        }, log);
        log.info(
          {
            api: tower.apiUrl,
            ...(tower.consoleUrl ? { console: tower.consoleUrl } : {}),
            bolt: tower.boltUrl,
            ...(tower.legacyAddress ? { legacy: `${config.boltHost}:${tower.legacyAddress.port}` } : {}),
            ...(tower.inspectorUrl ? { inspector: tower.inspectorUrl } : {}),
            ...(tower.metricsUrl ? { metrics: tower.metricsUrl } : {}),
            ...(tower.cluster ? { towerId: tower.cluster.towerId, relay: tower.cluster.relayUrl } : {}),
          },
          'tower ready',
        );
      } catch (error) {
        exitWithError(error);
      }
    });
}
