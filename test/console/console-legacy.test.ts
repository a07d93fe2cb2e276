/**
 * The console over a mixed fleet, in headless Chromium: a deployed stormbolt agent on the legacy
 * listener and a WebSocket agent, counted per transport and shown as such in the table.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeBrowser, consoleBuilt, offlinePage, shows } from '../helpers/browser.js';
import { agent, announced, closeAll, service } from '../helpers/harness.js';
import { legacyAgent, legacyAnnounced, legacyTower } from '../legacy/legacy-harness.js';

afterEach(closeAll);
afterAll(closeBrowser);

const LEGACY_ID = '30a2a131-f812-4666-bb69-c443f7e3a901';

describe('the console over legacy and WebSocket bolts', () => {
  it('counts bolts by transport and shows each row with its own', async () => {
    consoleBuilt();
    const fixture = await readFile(new URL('../fixtures/stormflash-status.json', import.meta.url), 'utf8');
    const stormflash = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fixture);
    });
    const legacy = await legacyTower({ statusPort: 5000, monitorInterval: 500 });
    await legacyAgent(legacy, LEGACY_ID, [5000], { forward: { 5000: stormflash } });
    await agent(legacy.t.boltUrl, 'ws-minion', [5000], {
      respond: () => ({
        status: 200,
        headers: ['content-type', 'application/json'],
        body: JSON.stringify({ id: 'ws-minion', packages: [] }),
      }),
    });
    await Promise.all([legacyAnnounced(legacy, LEGACY_ID), announced(legacy.t, 'ws-minion')]);

    const { page, blocked } = await offlinePage();
    await page.goto(`${legacy.t.apiUrl}/ui/`);
    await shows(page, '#count-ready .value', '2');
    await shows(page, '#count-legacy .value', '1');
    await shows(page, '#count-ws .value', '1');
    expect(await page.textContent(`.row[data-cname="${LEGACY_ID}"] .col-transport`)).toBe('legacy');
    expect(await page.textContent('.row[data-cname="ws-minion"] .col-transport')).toBe('ws');
    expect(blocked).toEqual([]);
  });
});
