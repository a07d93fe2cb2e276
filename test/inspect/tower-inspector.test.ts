import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTowerInspector, type TowerInspector } from '../../src/inspect/tower-inspector.js';
import { expectClean, startTower } from './fixtures.js';

interface Message {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { status: string; value?: unknown };
}

/** A watcher on the bridge: every message it got, and a way to wait for one. */
async function watch(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    raw.push(String(data));
    for (const wake of waiters) wake();
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const messages = () => raw.map((message) => JSON.parse(message) as Message);
  return {
    socket,
    raw,
    messages,
    /** Resolves with the first message matching, past or future; rejects after `ms`. */
    until(match: (message: Message) => boolean, ms = 5_000): Promise<Message> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages().find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${ms} ms (got ${raw.length})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

const isMinionState = (sessionId: string | undefined, value: string) => (m: Message) =>
  m.type === '@xstate.snapshot' && m.sessionId === sessionId && m.snapshot?.value === value;

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

let inspector: TowerInspector | undefined;
afterEach(async () => {
  await inspector?.close();
  inspector = undefined;
});

describe('startTowerInspector', () => {
  it('streams sanitized tower inspection to a WebSocket client and frees its port on close', async () => {
    inspector = await startTowerInspector({ port: 0 });
    const { port } = inspector;
    expect(inspector.url).toBe(`http://127.0.0.1:${port}/`);
    const page = await fetch(inspector.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="https://stately.ai/inspect"');

    const watcher = await watch(port);
    const closed = new Promise((resolve) => watcher.socket.once('close', resolve));
    const t = startTower(inspector.inspect);
    await t.connect('alpha', 'b1');
    const minion = await watcher.until((m) => m.type === '@xstate.actor' && m.name === 'minion:alpha:b1');
    await watcher.until(isMinionState(minion.sessionId, 'ready'));

    // A browser that opens the page now is first sent the actors alive, with their latest state.
    const late = await watch(port);
    await late.until(isMinionState(minion.sessionId, 'ready'));
    const greeting = late.messages();
    expect(greeting.slice(0, 2).map((m) => m.type)).toEqual(['@xstate.actor', '@xstate.snapshot']);
    expect(greeting[0]?.name).toBe('tower');

    t.close('alpha', 'b1');
    await watcher.until(isMinionState(minion.sessionId, 'removed'));
    for (const message of [...watcher.raw, ...late.raw]) expectClean(message);
    t.tower.stop();

    await inspector.close();
    await closed;
    expect(await canListen(port)).toBe(true);
  });

  it('refuses browser pages from other origins', async () => {
    inspector = await startTowerInspector({ port: 0 });
    const socket = new WebSocket(`ws://127.0.0.1:${inspector.port}/`, { origin: 'https://evil.example' });
    const status = await new Promise((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.once('open', () => resolve('open'));
    });
    expect(status).toBe(403);
  });

  it('reports a busy port as a rejection, not a crash', async () => {
    inspector = await startTowerInspector({ port: 0 });
    await expect(startTowerInspector({ port: inspector.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
