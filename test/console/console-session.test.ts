/**
 * The console and the tower's browser security, in headless Chromium: with `--api-token` the console
 * signs in through `POST /session` (an HttpOnly SameSite=Strict cookie; the token never in a URL), a
 * wrong token is refused, and signing out clears the cookie. With `--cors-origin`, a page on a listed
 * origin receives the change feed, one on another origin does not.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../../src/sim/fleet-simulator.js';
import type { RunningTower } from '../../src/tower.js';
import { closeBrowser, consoleBuilt, offlinePage, shows } from '../helpers/browser.js';
import { closeAll, onCloseAll, service, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

afterEach(closeAll);
afterAll(closeBrowser);

const TOKEN = 'console sign-in token';
const STATUS_PORT = 5000;

async function towerWithFleet(settings: Parameters<typeof tower>[0]) {
  consoleBuilt();
  const pki = await testPki();
  const t = await tower({ monitorInterval: 500, statusPort: STATUS_PORT, ...settings });
  const fleet = await startFleet({
    count: 3,
    towers: [t.boltUrl],
    authority: pki.authority,
    prefix: 'kiosk',
    changeEvery: 0,
    statusPort: STATUS_PORT,
    beaconInterval: 1,
    beaconValidity: 5,
  });
  onCloseAll(() => fleet.close());
  await fleet.allConnected;
  return { t, fleet };
}

describe('signing in to the console', () => {
  it('refuses a wrong token, accepts the right one with an HttpOnly cookie, and signs out', async () => {
    const { t } = await towerWithFleet({ apiToken: TOKEN });
    const { page } = await offlinePage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(`${t.apiUrl}/ui/`);
    await page.waitForSelector('#sign-in');

    await page.fill('#token', 'not the token');
    await page.click('#sign-in-submit');
    await shows(page, '#sign-in-error', 'That token was refused.');
    expect(await page.context().cookies()).toEqual([]);

    await page.fill('#token', TOKEN);
    await page.click('#sign-in-submit');
    await shows(page, '#count-ready .value', '3');
    // EventSource carries the cookie: the feed is live.
    await page.waitForSelector('#feed-status.live');
    const [cookie, ...others] = await page.context().cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.value).not.toContain(TOKEN);
    expect(urls.filter((url) => url.includes(encodeURIComponent(TOKEN)) || url.includes(TOKEN))).toEqual([]);

    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
    expect(await page.context().cookies()).toEqual([]);
    // Signed out means signed out: a reload asks again.
    await page.reload();
    await page.waitForSelector('#sign-in');
  });
});

/** A page on its own loopback origin that opens the tower's event stream and reports in its title. */
function feedPage(towerUrl: () => string) {
  return service((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>waiting</title><script>
      const source = new EventSource(${JSON.stringify(`${towerUrl()}/minions/events`)});
      source.addEventListener('snapshot', () => { document.title = 'snapshot'; });
      source.addEventListener('changed', () => { document.title = 'changed'; });
      source.onerror = () => { if (document.title === 'waiting') document.title = 'refused'; };
    </script>`);
  });
}

describe('the change feed on other origins', () => {
  it('reaches a page on an origin --cors-origin lists, and not one on another', async () => {
    let running: RunningTower | undefined;
    const url = () => running?.apiUrl ?? '';
    const allowedPort = await feedPage(url);
    const otherPort = await feedPage(url);
    const allowedOrigin = `http://127.0.0.1:${allowedPort}`;
    const { t, fleet } = await towerWithFleet({ corsOrigin: [allowedOrigin] });
    running = t;

    const allowed = (await offlinePage()).page;
    await allowed.goto(`${allowedOrigin}/`);
    await allowed.waitForFunction("document.title === 'snapshot'");
    fleet.minions[0]?.mutate();
    await allowed.waitForFunction("document.title === 'changed'");

    const other = (await offlinePage()).page;
    await other.goto(`http://127.0.0.1:${otherPort}/`);
    await other.waitForFunction("document.title !== 'waiting'");
    expect(await other.title()).toBe('refused');
  });
});
