/**
 * `stormtower simulate`: a fleet of simulated agents in one process, each a real bolt client with
 * its own certificate from the tower's CA, answering `/status` from memory. With `--issue-only` it
 * only issues those certificates into the identity cache and exits, so a later start dials at once.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadDataDirAuthority } from '../certs/store.js';
import { loadConfig } from '../config/load-config.js';
import { simulateConfigSchema } from '../config/simulate-config.js';
import { checkBeaconTiming } from '../config/tower-config.js';
import { createLogger } from '../log/logger.js';
import { startFleet } from '../sim/fleet-simulator.js';
import { identityCachePath, simulatedIdentities } from '../sim/identity-cache.js';
import { simulatedCnames } from '../sim/simulated-cnames.js';
import { collect, exitWithError, onShutdown } from './fail.js';

interface SimulateFlags {
  config?: string;
  tower?: string[];
  issueOnly?: boolean;
  [flag: string]: unknown;
}

/** The same settings (so one config file serves both), but issuing needs no tower. */
const issueOnlySchema = z
  .object({ ...simulateConfigSchema.shape, towers: simulateConfigSchema.shape.towers.optional() })
  .superRefine(checkBeaconTiming);

type Sources = Parameters<typeof loadConfig>[1];

const PROGRESS_EVERY_MS = 5000;

async function issueOnly(sources: Sources): Promise<void> {
  const config = await loadConfig(issueOnlySchema, sources);
  const cnames = simulatedCnames(config.prefix, config.count);
  const cache = identityCachePath(config.dataDir, config.prefix);
  const startedAt = Date.now();
  const { issued } = await simulatedIdentities(await loadDataDirAuthority(config.dataDir), cnames, cache);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    `${cache}: certificates for ${cnames[0]} to ${cnames.at(-1)}, ${issued} issued now, ${cnames.length - issued} already there (${seconds} s)\n`,
  );
}

async function simulate(sources: Sources): Promise<void> {
  const config = await loadConfig(simulateConfigSchema, sources);
  const log = createLogger({
    level: config.logLevel,
    name: 'stormtower-simulate',
    ...(config.logFormat ? { format: config.logFormat } : {}),
  });
  const startedAt = Date.now();
  const fleet = await startFleet({
    ...config,
    authority: await loadDataDirAuthority(config.dataDir),
    identityCache: identityCachePath(config.dataDir, config.prefix),
  });
  onShutdown(() => fleet.close());
  // Where a slow start stands: bolts up, handshakes in flight, dials queued behind them.
  const progress = setInterval(() => log.info(fleet.progress(), 'connecting'), PROGRESS_EVERY_MS);
  await fleet.allConnected;
  clearInterval(progress);
  log.info(
    { count: config.count, seconds: (Date.now() - startedAt) / 1000 },
    'all simulated agents connected',
  );
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description("run N simulated agents against a tower (certificates from the tower's CA)")
    .option('--config <file>', 'JSON file with any of the settings below (camelCase keys)')
    .option('--count <n>', 'number of agents')
    .option('--tower <url>', 'tower bolt URL, wss://host:port (repeatable)', collect)
    .option('--data-dir <dir>', "the tower's data directory, for its CA (default ./.stormtower)")
    .option('--prefix <prefix>', 'agent cnames are <prefix>-0001... (default sim)')
    .option(
      '--issue-only',
      "only issue the agents' certificates into <data-dir>/simulated-<prefix>.json (kept for later runs " +
        'with the same --count and --prefix) and exit; no --tower needed',
    )
    .option(
      '--change-every <seconds>',
      'mean seconds between package changes per agent, 0 for none (default 30)',
    )
    .option('--status-port <port>', 'port the simulated status document answers on (default 5000)')
    .option('--beacon-interval <seconds>', 'heartbeat period (default 10)')
    .option('--beacon-validity <seconds>', 'silence after which a bolt is dropped (default 45)')
    .option(
      '--connect-concurrency <n>',
      'handshakes in flight at once, first dials and reconnects alike (default 64)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--log-format <format>', 'pretty or json (default: pretty on a terminal, json otherwise)')
    .action(async (flags: SimulateFlags) => {
      try {
        const { config: file, tower, issueOnly: onlyIssue, ...rest } = flags;
        const sources: Sources = {
          ...(file ? { file } : {}),
          env: process.env,
          flags: { ...rest, towers: tower },
        };
        await (onlyIssue ? issueOnly(sources) : simulate(sources));
      } catch (error) {
        exitWithError(error);
      }
    });
}
