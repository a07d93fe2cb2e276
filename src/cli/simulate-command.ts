/**
 * `stormtower simulate`: a fleet of simulated agents in one process, each a real bolt client with
 * its own certificate from the tower's CA, answering `/status` from memory.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadDataDirAuthority } from '../certs/store.js';
import { loadConfig } from '../config/load-config.js';
import { simulateConfigSchema } from '../config/simulate-config.js';
import { createLogger } from '../log/logger.js';
import { startFleet } from '../sim/fleet-simulator.js';
import { collect, exitWithError, onShutdown } from './fail.js';

interface SimulateFlags {
  config?: string;
  tower?: string[];
  [flag: string]: unknown;
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
      '--change-every <seconds>',
      'mean seconds between package changes per agent, 0 for none (default 30)',
    )
    .option('--status-port <port>', 'port the simulated status document answers on (default 5000)')
    .option('--beacon-interval <seconds>', 'heartbeat period (default 10)')
    .option('--beacon-validity <seconds>', 'silence after which a bolt is dropped (default 45)')
    .option('--connect-concurrency <n>', 'handshakes in flight at once while starting (default 64)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .action(async (flags: SimulateFlags) => {
      try {
        const { config: file, tower, ...rest } = flags;
        const config = await loadConfig(simulateConfigSchema, {
          ...(file ? { file } : {}),
          env: process.env,
          flags: { ...rest, towers: tower },
        });
        const log = createLogger({ level: config.logLevel, name: 'stormtower-simulate' });
        const startedAt = Date.now();
        const fleet = await startFleet({
          ...config,
          authority: await loadDataDirAuthority(config.dataDir),
          identityCache: join(config.dataDir, `simulated-${config.prefix}.json`),
        });
        onShutdown(() => fleet.close());
        await fleet.allConnected;
        log.info(
          { count: config.count, seconds: (Date.now() - startedAt) / 1000 },
          'all simulated agents connected',
        );
      } catch (error) {
        exitWithError(error);
      }
    });
}
