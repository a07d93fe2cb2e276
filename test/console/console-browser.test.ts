/**
 * The console in headless Chromium against a real tower and a simulated fleet, with every request
 * off this machine refused: it loads and shows the right counts, a checksum change flashes the right
 * row within one poll, the filter, sort and diagram work, the minion page relays a request, and a
 * minion that goes away counts as removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetBody } from '../../src/api/console/fleet-contract.js';
import { type SimulatedFleet, startFleet } from '../../src/sim/fleet-simulator.js';
import type { RunningTower } from '../../src/tower.js';
import { closeBrowser, consoleBuilt, offlinePage, shows } from '../helpers/browser.js';
import { agent, api, closeAll, eventually, onCloseAll, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

const COUNT = 40;
const MONITOR_INTERVAL = 1500;
const STATUS_PORT = 5000;
/** Time allowed past one poll interval for a change to reach the page and be drawn. */
const DELIVERY_SLACK_MS = 2500;

let t: RunningTower;
let fleet: SimulatedFleet;

beforeAll(async () => {
  consoleBuilt();
  const pki = await testPki();
  t = await tower({ monitorInterval: MONITOR_INTERVAL, statusPort: STATUS_PORT });
  // No changes of their own: the only checksum change is the one a test makes.
  fleet = await startFleet({
    count: COUNT,
    towers: [t.boltUrl],
    authority: pki.authority,
    prefix: 'edge',
    changeEvery: 0,
    statusPort: STATUS_PORT,
    beaconInterval: 1,
    beaconValidity: 5,
  });
  onCloseAll(() => fleet.close());
  await fleet.allConnected;
  await eventually(async () => {
    const body = (await (await api(t, '/fleet')).json()) as FleetBody;
    return body.minions.filter((m) => m.state === 'ready').length === COUNT;
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await closeAll();
  await closeBrowser();
});

async function openConsole() {
  const opened = await offlinePage();
  await opened.page.goto(`${t.apiUrl}/ui/`);
  await opened.page.waitForSelector('#count-ready .value');
  return opened;
}

const text = async (page: Awaited<ReturnType<typeof openConsole>>['page'], selector: string) =>
  (await page.textContent(selector))?.trim();

describe('the console', () => {
  it('loads with the outside network refused and shows the right counts', async () => {
    const { page, blocked, errors } = await openConsole();
    await shows(page, '#count-ready .value', String(COUNT));
    expect(await text(page, '#count-ws .value')).toBe(String(COUNT));
    expect(await text(page, '#count-legacy .value')).toBe('0');
    expect(await text(page, '#count-connecting .value')).toBe('0');
    expect(await text(page, '#count-failing .value')).toBe('0');
    expect(await text(page, '[data-count="ready"]')).toBe(String(COUNT));
    expect(await text(page, '#rows-shown')).toBe(`${COUNT} of ${COUNT} minions`);
    const head = await api(t, '/minions', { method: 'HEAD' });
    expect(await text(page, '#global-checksum .value')).toBe(head.headers.get('content-md5'));
    await page.waitForSelector('#feed-status.live');
    // Only the rows in view are in the DOM.
    expect(await page.locator('.row').count()).toBeLessThan(COUNT);
    // Nothing tried to leave this machine, and a request that does is refused.
    expect(blocked).toEqual([]);
    const outside = await page.evaluate(() =>
      fetch('https://example.com/').then(
        () => 'reached',
        () => 'refused',
      ),
    );
    expect(outside).toBe('refused'); // by the console's CSP, before the network
    const probe = await page.context().newPage();
    const direct = await probe.evaluate(() =>
      fetch('https://example.com/probe').then(
        () => 'reached',
        () => 'refused',
      ),
    );
    expect(direct).toBe('refused'); // by the test's block on anything off this machine
    expect(blocked).toEqual(['https://example.com/probe']);
    expect(errors.filter((line) => !line.includes('example.com'))).toEqual([]);
  });

  it('flashes the row whose checksum changed within one poll, and lists the change', async () => {
    const { page } = await openConsole();
    const minion = fleet.minions[2];
    if (!minion) throw new Error('no third minion');
    const before = (await api(t, `/minions/${minion.id}`, { method: 'HEAD' })).headers.get('content-md5');
    await page.waitForSelector(`.row[data-cname="${minion.id}"]`);
    const started = Date.now();
    minion.mutate();
    await page.waitForSelector(`.row.flash[data-cname="${minion.id}"]`, {
      timeout: 2 * MONITOR_INTERVAL + 3000,
    });
    const tookMs = Date.now() - started;
    console.log(`flash ${tookMs} ms after the change (poll interval ${MONITOR_INTERVAL} ms)`);
    // One poll interval, plus the feed, the console's 200 ms batching and a render on a busy machine.
    expect(tookMs).toBeLessThan(MONITOR_INTERVAL + DELIVERY_SLACK_MS);
    expect(await page.locator('.row.flash').count()).toBe(1);
    const after =
      (await api(t, `/minions/${minion.id}`, { method: 'HEAD' })).headers.get('content-md5') ?? '';
    expect(after).not.toBe(before);
    expect(await text(page, `.row[data-cname="${minion.id}"] .col-checksum`)).toBe(after.slice(0, 8));
    const listed = page.locator(`#changes tr[data-id="${minion.id}"]`).first();
    expect(await listed.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'changed',
      minion.id,
      before?.slice(0, 8),
      after.slice(0, 8),
    ]);
  });

  it('filters by text and by state (also from the diagram), and sorts by any column', async () => {
    const { page } = await openConsole();
    await page.fill('#filter-text', 'edge-1');
    await shows(page, '#rows-shown', /^10 of/);
    expect(
      await page.locator('.row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-cname'))),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `edge-1${i}`));
    await page.click('button[data-sort="cname"]');
    await page.waitForSelector('button[data-sort="cname"].desc');
    expect(await page.locator('.row').first().getAttribute('data-cname')).toBe('edge-19');
    await page.fill('#filter-text', '');
    await page.click('g[data-state="connecting"]');
    await shows(page, '#rows-shown', /^0 of/);
    expect(await page.inputValue('#filter-state')).toBe('connecting');
    await page.click('g[data-state="ready"]');
    await shows(page, '#rows-shown', new RegExp(`^${COUNT} of`));
    await page.selectOption('#filter-state', '');
    await page.click('button[data-sort="lastPollAt"]');
    await page.waitForSelector('button[data-sort="lastPollAt"].sorted');
    const polls = await page.locator('.row .col-lastPollAt').allTextContents();
    expect(polls).toEqual([...polls].sort());
  });

  it("opens a minion's page with its document, checksum history and ports, and relays a GET", async () => {
    const { page } = await openConsole();
    const minion = fleet.minions[0];
    if (!minion) throw new Error('no first minion');
    await page.click(`.row[data-cname="${minion.id}"]`);
    await page.waitForSelector('#minion-document details');
    expect(await text(page, '#minion-name')).toContain(minion.id);
    expect(await page.textContent('#minion-document')).toContain(`"${minion.id}"`);
    expect(await text(page, '#minion-ports')).toBe(String(STATUS_PORT));
    const checksum =
      (await api(t, `/minions/${minion.id}`, { method: 'HEAD' })).headers.get('content-md5') ?? '';
    expect(await page.textContent('#checksum-history')).toContain(checksum);
    // Collapsible: a click on an object's summary folds it.
    await page.click('#minion-document details > summary');
    expect(await page.locator('#minion-document > details').getAttribute('open')).toBeNull();

    await page.fill('#relay-path', '/status');
    await page.click('#relay-send');
    const answer = await page.waitForSelector('#relay-answer[data-status]');
    expect(await answer.getAttribute('data-status')).toBe('200');
    expect(await answer.textContent()).toContain(`"id": "${minion.id}"`);
    await page.click('#back');
    await page.waitForSelector('.row');
  });

  it('counts a minion that went away as removed, and shows the tower uptime', async () => {
    const { page } = await openConsole();
    expect(await text(page, '#count-uptime .value')).toMatch(/^\d+(s|m \d\ds|h \d\dm)$/);
    await shows(page, '#count-removed .value', '0');
    const passer = await agent(t.boltUrl, 'passing-by', [STATUS_PORT], {
      respond: () => ({
        status: 200,
        headers: ['content-type', 'application/json'],
        body: JSON.stringify({ id: 'passing-by' }),
      }),
    });
    await shows(page, '#count-ws .value', String(COUNT + 1));
    await page.fill('#filter-text', 'passing');
    await page.waitForSelector('.row[data-cname="passing-by"]');
    await passer.close();
    await shows(page, '#count-removed .value', '1');
    await shows(page, '#count-ws .value', String(COUNT));
    await shows(page, '#rows-shown', /^0 of/);
    // Two reads of /fleet (every 5 s) are waited for: room for a busy machine.
  }, 60_000);
});
