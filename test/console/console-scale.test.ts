import { NEVER } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { defaultAssetsDir } from '../../src/api/console/console-assets.js';
import type { FleetDetail, FleetMinion } from '../../src/api/console/fleet-contract.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import { closeBrowser, consoleBuilt, offlinePage, shows } from '../helpers/browser.js';
import { closeAll } from '../helpers/harness.js';
import { serveApp } from '../helpers/serve-app.js';

afterEach(closeAll);
afterAll(closeBrowser);

const COUNT = 10_000;
/**
 * Far above what it takes (see the printed figures), even with other tests loading the machine:
 * only a regression to O(n) DOM work fails these. The first render includes a 3 MB `GET /fleet`.
 */
const FIRST_RENDER_BOUND_MS = 15_000;
const INTERACTION_BOUND_MS = 4000;

function madeUpFleet(now: number): FleetDetail {
  const states = ['ready', 'ready', 'ready', 'monitoring', 'connecting'] as const;
  const minions: FleetMinion[] = Array.from({ length: COUNT }, (_, i) => ({
    cname: `m-${String(i).padStart(5, '0')}`,
    state: states[i % states.length] ?? 'ready',
    transport: i % 10 === 0 ? 'legacy' : 'ws',
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    ports: [5000],
    connectedAt: now - 3_600_000 + i,
    lastPollAt: now - (i % 15_000),
    lastChangeAt: now - ((i * 7919) % 3_600_000),
    checksum: ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(4),
    lastError: i % 97 === 0 ? { code: 'timeout', message: 'no status within 20000 ms', at: now } : null,
    consecutiveFailures: i % 97 === 0 ? 1 : 0,
  }));
  return { minions, removed: [] };
}

/** The API app with the console, its `/fleet` answering `detail`, on a loopback port. */
async function apiServing(detail: FleetDetail): Promise<string> {
  const registry = createRegistry(NEVER);
  const app = createApp({
    table: new BoltTable(),
    log: silentLogger(),
    relayTimeoutMs: 1000,
    relayIdleTimeoutMs: 60_000,
    registry,
    feed: createChangeFeed(registry),
    consoleAssets: defaultAssetsDir(),
    fleetDetail: () => detail,
  });
  return serveApp(app);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return Math.round(performance.now() - started);
}

describe('the console at 10,000 minions', () => {
  it('renders, filters, sorts and scrolls with only the visible rows in the DOM', async () => {
    consoleBuilt();
    const apiUrl = await apiServing(madeUpFleet(Date.now()));
    const { page } = await offlinePage();

    const firstRender = await timed(async () => {
      await page.goto(`${apiUrl}/ui/`);
      await shows(page, '#rows-shown', `${COUNT} of ${COUNT} minions`);
      await page.waitForSelector('.row[data-cname="m-00000"]');
    });
    const inDom = await page.locator('.row').count();
    expect(inDom).toBeLessThan(80);
    expect(await page.textContent('#count-legacy .value')).toBe(String(COUNT / 10));

    const filter = await timed(async () => {
      await page.fill('#filter-text', 'm-0999');
      await shows(page, '#rows-shown', `10 of ${COUNT} minions`);
    });
    await page.fill('#filter-text', '');
    await shows(page, '#rows-shown', `${COUNT} of ${COUNT} minions`);

    const sort = await timed(async () => {
      await page.click('button[data-sort="lastChangeAt"]');
      await page.waitForSelector('button[data-sort="lastChangeAt"].sorted');
    });
    await page.click('button[data-sort="cname"]');
    await page.waitForSelector('button[data-sort="cname"].sorted:not(.desc)');

    const scroll = await timed(async () => {
      await page.locator('#minion-rows').evaluate((element) => {
        element.scrollTop = 5000 * 28;
      });
      await page.waitForSelector('.row[data-cname="m-05000"]');
    });
    expect(await page.locator('.row').count()).toBeLessThan(80);

    console.log(
      `console at ${COUNT} rows: first render ${firstRender} ms (page load included), filter ${filter} ms, ` +
        `sort ${sort} ms, scroll to the middle ${scroll} ms, ${inDom} rows in the DOM`,
    );
    expect(firstRender).toBeLessThan(FIRST_RENDER_BOUND_MS);
    for (const ms of [filter, sort, scroll]) expect(ms).toBeLessThan(INTERACTION_BOUND_MS);
  });
});
