// `npm run screenshot`: docs/console.png, the console watching 1,000 simulated minions. A tower and
// the simulated fleet run in this process on loopback; Debian's Chromium (or CHROMIUM_PATH) takes the
// picture with every request off this machine refused, as the console must work offline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { initCertificates, loadDataDirAuthority, readTowerCredentials } from '../dist/src/certs/store.js';
import { towerConfigSchema } from '../dist/src/config/tower-config.js';
import { silentLogger } from '../dist/src/log/logger.js';
import { startFleet } from '../dist/src/sim/fleet-simulator.js';
import { startTower } from '../dist/src/tower.js';

const COUNT = Number(process.env.SCREENSHOT_COUNT ?? 1000);
const out = fileURLToPath(new URL('../docs/console.png', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'stormtower-screenshot-'));
const steps = [];
try {
  await initCertificates({ dataDir, names: [] });
  const tower = await startTower(
    {
      ...towerConfigSchema.parse({}),
      boltHost: '127.0.0.1',
      boltPort: 0,
      apiHost: '127.0.0.1',
      apiPort: 0,
      monitorInterval: 3000,
    },
    await readTowerCredentials(dataDir),
    silentLogger(),
  );
  steps.push(() => tower.close());
  const fleet = await startFleet({
    count: COUNT,
    towers: [tower.boltUrl],
    authority: await loadDataDirAuthority(dataDir),
    prefix: 'edge',
    changeEvery: 30,
  });
  steps.push(() => fleet.close());
  await fleet.allConnected;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  steps.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    return hostname === '127.0.0.1' ? route.continue() : route.abort('internetdisconnected');
  });
  await page.goto(tower.consoleUrl);
  // Every minion ready, and a few changes listed, so the picture shows a fleet at work.
  await page
    .locator('#count-ready .value', { hasText: new RegExp(`^${COUNT}$`) })
    .waitFor({ timeout: 120_000 });
  await page.locator('#changes tbody tr').nth(8).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: out });
  console.log(`wrote ${out} (${COUNT} minions, console at ${tower.consoleUrl})`);
} finally {
  for (const step of steps.reverse()) await step().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
}
