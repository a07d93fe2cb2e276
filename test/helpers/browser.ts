/**
 * Headless Chromium for the console's tests, through playwright-core: Debian's `chromium` package
 * (`/usr/bin/chromium`, or `CHROMIUM_PATH`), never a downloaded browser. Every request a page makes
 * to anything but loopback is aborted and recorded, so a test proves the console works offline.
 *
 * A missing Chromium fails the tests that need it with a message saying how to install it: CI
 * installs it (.ci/run), and a skipped browser test would pass for the wrong reason.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { onCloseAll } from './harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let shared: Promise<Browser> | undefined;

/**
 * The Chromium to run, or a clear error: the browser tests fail without one rather than skip, as CI
 * installs it.
 */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: Debian's "chromium" package is missing (.ci/run installs it) or set CHROMIUM_PATH`,
    );
  }
  return CHROMIUM;
}

function launch(): Promise<Browser> {
  requireChromium();
  // One browser per test file: starting Chromium takes a second or two on a busy machine.
  shared ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  return shared;
}

/** Closes the browser the file's tests shared; call from `afterAll`. */
export async function closeBrowser(): Promise<void> {
  const browser = await shared?.catch(() => undefined);
  shared = undefined;
  await browser?.close();
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface OfflinePage {
  readonly page: Page;
  /** URLs the page tried to reach off this machine (all refused). */
  readonly blocked: string[];
  /** Uncaught errors and `console.error` lines from the page. */
  readonly errors: string[];
}

/** A fresh page in its own context (its own cookies), with every non-loopback request refused. */
export async function offlinePage(viewport = { width: 1400, height: 900 }): Promise<OfflinePage> {
  const browser = await launch();
  const context = await browser.newContext({ viewport });
  onCloseAll(() => context.close());
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || LOOPBACK.has(url.hostname)) return route.continue();
    blocked.push(url.toString());
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, blocked, errors };
}

/** Fails with how to fix it when dist/console/ has not been built (`npm test` builds it first). */
export function consoleBuilt(): void {
  const index = new URL('../../dist/console/index.html', import.meta.url);
  if (!existsSync(index)) throw new Error('the console is not built: run "npm run build" first');
}

/** Waits until the element at `selector` holds `text` exactly (a string) or matching it (a pattern). */
export async function shows(page: Page, selector: string, text: string | RegExp): Promise<void> {
  const pattern =
    typeof text === 'string' ? new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) : text;
  await page.locator(selector, { hasText: pattern }).first().waitFor();
}
