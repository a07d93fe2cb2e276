/**
 * `stormtower start --inspect` as an operator behind a firewall meets it: the page must say in plain
 * text what it needs and where the offline views are, and `--inspect-url` must move the iframe.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { requireChromium } from '../helpers/browser.js';
import { assertBuilt, runCli, startCli, towerArgs } from '../helpers/cli.js';
import { closeAll, tempDir } from '../helpers/harness.js';

beforeAll(assertBuilt);
afterEach(closeAll);

let dir = '';
beforeEach(async () => {
  dir = await tempDir('stormtower-inspect-');
});

/** Starts a tower with the inspector on a free port; returns its logged URLs. */
async function startInspected(extra: string[], env: Record<string, string> = {}) {
  const cli = startCli(towerArgs(dir, '--inspect', '0', ...extra), env);
  const ready = await cli.waitForLog((line) => line.msg === 'tower ready');
  const { api, bolt, inspector } = ready;
  if (typeof api !== 'string' || typeof bolt !== 'string' || typeof inspector !== 'string')
    throw new Error(`odd ready line ${JSON.stringify(ready)}`);
  return { api, bolt, inspector };
}

/** The page's text as a person reads it: tags dropped, entities decoded, spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');

describe('stormtower start --inspect', () => {
  it('serves a page that says it needs stately.ai and links the offline console', async () => {
    const { api, inspector } = await startInspected([]);
    expect(inspector).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(inspector)).text();
    const text = textOf(html);
    expect(text).toContain('this browser must be able to reach https://stately.ai');
    expect(text).toContain('Without internet access the area below stays empty.');
    expect(text).toContain('--inspect-url <url>');
    expect(html).toContain(`<a href="${api}/ui/">${api}/ui/</a>`);
    expect(html).toContain('<iframe id="inspector" src="https://stately.ai/inspect"');
  });

  it('embeds the inspector --inspect-url names, also from STORMTOWER_INSPECT_URL', async () => {
    const flag = await startInspected(['--inspect-url', 'http://inspector.internal:3000/inspect?x=1&y=2']);
    const html = await (await fetch(flag.inspector)).text();
    expect(html).toContain('<iframe id="inspector" src="http://inspector.internal:3000/inspect?x=1&amp;y=2"');
    expect(textOf(html)).toContain('this browser must be able to reach http://inspector.internal:3000');
    expect(html).not.toContain('stately.ai');

    await closeAll();
    dir = await tempDir('stormtower-inspect-');
    const env = await startInspected([], { STORMTOWER_INSPECT_URL: 'https://inspect.example/' });
    expect(await (await fetch(env.inspector)).text()).toContain('src="https://inspect.example/"');
  });

  // A real browser, its clock run ahead by --virtual-time-budget: the inspector (here an address
  // nothing answers on, as stately.ai is behind a firewall) never says hello.
  it('in a browser, stops the stream and says so when the inspector never loads', async () => {
    const { inspector } = await startInspected(['--inspect-url', 'http://127.0.0.1:9/inspect']);
    const { stdout } = await promisify(execFile)(
      requireChromium(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${join(dir, 'chromium')}`,
        '--virtual-time-budget=65000',
        '--dump-dom',
        inspector,
      ],
      { timeout: 60_000 },
    );
    expect(textOf(stdout)).toContain('this browser must be able to reach http://127.0.0.1:9');
    expect(stdout).toContain(
      '<p id="status">The inspector did not load, so the stream was stopped. Reload this page to try again.</p>',
    );
  }, 90_000);

  it('refuses an --inspect-url that is not http or https, before starting anything', async () => {
    const result = await runCli(towerArgs(dir, '--inspect', '0', '--inspect-url', 'javascript:alert(1)'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--inspect-url: expected an http:// or https:// URL');
  });
});

interface Sent {
  type: string;
  sessionId: string;
  name?: string;
  event?: { type: string };
}

describe('the inspector stream of a simulated fleet', () => {
  it('shows 20 minions as 21 actors, poll after poll, to a browser that came late', async () => {
    const { bolt, inspector } = await startInspected(['--monitor-interval', '200']);
    const simulate = startCli([
      'simulate',
      '--count',
      '20',
      '--tower',
      bolt,
      '--data-dir',
      dir,
      '--change-every',
      '0',
    ]);
    await simulate.waitForLog((line) => line.msg === 'all simulated agents connected', 60_000);

    const socket = new WebSocket(inspector.replace(/^http/, 'ws'));
    const sent: Sent[] = [];
    const polls = (n: number) =>
      new Promise<void>((resolve) => {
        socket.on('message', (data) => {
          sent.push(JSON.parse(String(data)) as Sent);
          if (sent.filter((m) => m.event?.type === 'poll.settled').length >= n) resolve();
        });
      });
    // Five polls per minion, about a second at a 200 ms interval.
    await polls(20 * 5);
    socket.close();
    const actors = sent.filter((m) => m.type === '@xstate.actor');
    expect(new Set(actors.map((m) => m.sessionId)).size).toBe(21);
    expect(actors.filter((m) => m.name?.startsWith('minion:sim-'))).toHaveLength(20);
    expect(actors.some((m) => m.name === 'poll' || m.name?.startsWith('shard:'))).toBe(false);
  });
});
