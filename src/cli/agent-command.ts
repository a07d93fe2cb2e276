/**
 * `stormtower agent`: dials out to one or more towers and serves relayed requests to the local
 * ports it allows, reconnecting forever.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { connectBolt } from '../bolt/agent/connect-bolt.js';
import { agentConfigSchema } from '../config/agent-config.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/logger.js';
import { collect, exitWithError, onShutdown } from './fail.js';
import { AGENT_HEAP_GROWTH_PERCENT, governHeapGrowth } from './gc-schedule.js';

interface AgentFlags {
  config?: string;
  tower?: string[];
  enroll?: string;
  force?: boolean;
  [flag: string]: unknown;
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} at ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('connect out to a tower and relay its requests to allowed local ports')
    .option('--config <file>', 'JSON file with any of the settings below (camelCase keys)')
    .option(
      '--tower <url>',
      'tower bolt URL, wss://host:port (repeatable: a random one first, another at random after a loss)',
      collect,
    )
    .option('--cert <file>', "the agent's certificate (PEM)")
    .option('--key <file>', "the agent's private key (PEM)")
    .option('--ca <file>', "the CA that signed the tower's certificate (PEM)")
    .option('--allow <ports>', 'local ports the tower may reach, e.g. 5000,8000')
    .option('--beacon-interval <seconds>', 'heartbeat period (default 10)')
    .option('--beacon-validity <seconds>', 'silence after which the bolt is dropped (default 45)')
    .option('--max-backoff <seconds>', 'cap on the reconnect delay (default 30)')
    .option(
      '--output-backlog-limit <bytes>',
      'drop a bolt whose tower leaves this much of its output unread (default 4194304)',
    )
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM, time for a clean stop before exiting anyway (default 5)',
    )
    .option('--local-host <host>', 'address relayed requests go to (default 127.0.0.1)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--log-format <format>', 'pretty or json (default: pretty on a terminal, json otherwise)')
    .option(
      '--enroll <cname>',
      'make a key (--key, default <cname>.key) and a signing request for the tower operator, then exit',
    )
    .option('--force', 'with --enroll: replace an existing key')
    .action(async (flags: AgentFlags) => {
      try {
        const { config: file, tower, enroll, force, ...rest } = flags;
        if (enroll !== undefined) {
          const { runEnrolment } = await import('./agent-enroll.js');
          await runEnrolment({
            cname: enroll,
            ...(typeof rest.key === 'string' ? { key: rest.key } : {}),
            force: force === true,
          });
          return;
        }
        const config = await loadConfig(agentConfigSchema, {
          ...(file ? { file } : {}),
          env: process.env,
          flags: { ...rest, towers: tower },
        });
        governHeapGrowth(AGENT_HEAP_GROWTH_PERCENT);
        const log = createLogger({
          level: config.logLevel,
          name: 'stormtower-agent',
          ...(config.logFormat ? { format: config.logFormat } : {}),
        });
        const client = connectBolt({
          towers: config.towers,
          cert: await readPem(config.cert, 'certificate'),
          key: await readPem(config.key, 'private key'),
          ca: await readPem(config.ca, 'CA certificate'),
          allow: config.allow,
          beaconInterval: config.beaconInterval,
          beaconValidity: config.beaconValidity,
          maxBackoff: config.maxBackoff,
          outputBacklogLimit: config.outputBacklogLimit,
          ...(config.localHost ? { localHost: config.localHost } : {}),
          // One line per request served, with the tower's request id: the agent's half of the audit.
          // Below info nothing would print it, and building it is 8% of the agent's CPU per request.
          ...(log.isLevelEnabled('info') ? { onRelayed: (record) => log.info(record, 'relayed') } : {}),
        });
        client.on('connected', ({ url }) => log.info({ tower: url, allow: config.allow }, 'bolt connected'));
        client.on('disconnected', ({ url, code, reason }) =>
          log.warn({ tower: url, code, reason }, 'bolt lost'),
        );
        client.on('retrying', ({ url, error, retryInMs }) =>
          log.warn({ tower: url, reason: error.message, retryInMs }, 'bolt down, retrying'),
        );
        client.on('conflict', ({ url, retryInMs }) =>
          log.warn(
            { tower: url, retryInMs },
            'refused: another agent with the same certificate is connected to this tower; waiting the longest backoff',
          ),
        );
        client.on('revoked', ({ url, retryInMs }) =>
          log.error(
            { tower: url, retryInMs },
            "the tower revoked this agent's certificate: get a new one (agent --enroll, certs sign or certs renew); redialling at the longest backoff",
          ),
        );
        client.on('redial', ({ url, spreadMs, retryInMs }) =>
          log.info(
            { tower: url, spreadMs, retryInMs },
            'the tower is draining: redialling after a random delay',
          ),
        );
        onShutdown(() => client.close(), { graceSeconds: config.shutdownGrace });
      } catch (error) {
        exitWithError(error);
      }
    });
}
