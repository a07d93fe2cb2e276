/**
 * `stormtower demo` (`npm run demo`): a tower plus a fleet of simulated minions in one process, with
 * the URLs to try printed, so a newcomer sees the whole system move in one command. With
 * `--towers N`, N towers in a cluster on a local nats-server (demo-cluster.ts).
 */
import type { Command } from 'commander';
import { initCertificates, loadDataDirAuthority, readTowerCredentials } from '../certs/store.js';
import { loadConfig } from '../config/load-config.js';
import { towerConfigSchema } from '../config/tower-config.js';
import { createLogger } from '../log/logger.js';
import { startFleet } from '../sim/fleet-simulator.js';
import { startTower } from '../tower.js';
import { clusterDemoText, MAX_DEMO_TOWERS, startClusterDemo } from './demo-cluster.js';
import { exitWithError, onShutdown } from './fail.js';

interface DemoFlags {
  count: string;
  towers: string;
  changeEvery: string;
  [flag: string]: unknown;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a tower and simulated minions together, and print the URLs to try')
    .option('--count <n>', 'simulated minions (default 25)', '25')
    .option(
      '--towers <n>',
      `towers, 1-${MAX_DEMO_TOWERS}; more than 1 runs them in a cluster on a local nats-server (default 1)`,
      '1',
    )
    .option('--data-dir <dir>', 'CA and certificates (default ./.stormtower)')
    .option('--api-port <port>', 'API port, the next ones for further towers (default 8020)')
    .option('--bolt-port <port>', 'bolt port, the next ones for further towers (default 8443)')
    .option('--monitor-interval <ms>', 'status poll period (default 5000 in the demo)', '5000')
    .option('--change-every <seconds>', 'mean seconds between package changes per minion', '20')
    .action(async (flags: DemoFlags) => {
      try {
        const { count, towers, changeEvery, ...rest } = flags;
        const config = await loadConfig(towerConfigSchema, {
          env: process.env,
          flags: { ...rest, boltHost: '127.0.0.1', logLevel: 'warn' },
        });
        const size = Number(count);
        if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new Error('--count must be 1-10000');
        const towerCount = Number(towers);
        if (!Number.isInteger(towerCount) || towerCount < 1 || towerCount > MAX_DEMO_TOWERS)
          throw new Error(`--towers must be 1-${MAX_DEMO_TOWERS}`);
        const log = createLogger({ level: config.logLevel });
        await initCertificates({ dataDir: config.dataDir, names: config.names });
        if (towerCount > 1) {
          const demo = await startClusterDemo({
            towers: towerCount,
            count: size,
            changeEvery: Number(changeEvery),
            config,
            credentials: await readTowerCredentials(config.dataDir),
            authority: await loadDataDirAuthority(config.dataDir),
            log,
          });
          onShutdown(demo.close);
          await demo.fleet.allConnected;
          await demo.allListed;
          process.stdout.write(clusterDemoText(demo, config.statusPort));
          return;
        }
        const tower = await startTower(config, await readTowerCredentials(config.dataDir), log);
        const fleet = await startFleet({
          count: size,
          towers: [tower.boltUrl],
          authority: await loadDataDirAuthority(config.dataDir),
          prefix: 'demo',
          changeEvery: Number(changeEvery),
          // The tower polls its configured status port (STORMTOWER_STATUS_PORT may move it): answer there.
          statusPort: config.statusPort,
        });
        onShutdown(async () => {
          await fleet.close();
          await tower.close();
        });
        await fleet.allConnected;
        const api = tower.apiUrl;
        process.stdout.write(
          [
            `stormtower demo: ${size} simulated minions connected to ${tower.boltUrl}`,
            '',
            ...(tower.consoleUrl ? [`Open the fleet console: ${tower.consoleUrl}`, ''] : []),
            'Try, in another terminal:',
            `  curl -s ${api}/clients | head -c 400; echo`,
            `  curl -sI ${api}/minions                    # Content-MD5: the fleet's checksum`,
            `  curl -s ${api}/minions/demo-${'1'.padStart(String(size).length, '0')}`,
            `  curl -N ${api}/minions/events              # live added/changed/removed`,
            `  curl -s ${api}/proxy/demo-${'1'.padStart(String(size).length, '0')}@${config.statusPort}/status | head -c 300; echo`,
            '',
            'Ctrl-C stops the demo.',
            '',
          ].join('\n'),
        );
      } catch (error) {
        exitWithError(error);
      }
    });
}
