import { describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createInspectionLog } from '../../src/inspect/inspection-log.js';
import { sanitizeContext, sanitizeEvent } from '../../src/inspect/sanitize.js';
import { createSanitizedInspector } from '../../src/inspect/sanitized-inspector.js';
import { expectClean, startTower, TOKEN } from './fixtures.js';

const LIFECYCLE = ['connecting', 'monitoring', 'ready', 'removed'];

/** Consecutive repeats collapsed: a minion may take events that leave its state as it was. */
const collapse = (values: unknown[]): unknown[] =>
  values.filter((value, i) => i === 0 || value !== values[i - 1]);

const stateOf = (snapshot: unknown): unknown =>
  typeof snapshot === 'object' && snapshot !== null && 'value' in snapshot ? snapshot.value : undefined;

interface Sent {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { status: string; value?: unknown };
}

describe('the inspector', () => {
  it('an inspection observer sees a minion actor pass through its states', async () => {
    const log = createInspectionLog();
    const messages: string[] = [];
    const pipeline = createSanitizedInspector((message) => messages.push(message));
    const t = startTower((event: InspectionEvent) => {
      log.inspect(event);
      pipeline.inspect(event);
    });

    const link = await t.connect('alpha', 'b1');
    expect(t.tower.system.get('minion:alpha')?.getSnapshot().value).toBe('ready');
    t.close('alpha', 'b1');
    expect(link.closes).toEqual(['closed']);
    expect(t.errors).toEqual([]);

    const snapshots = log.snapshotsOf('minion:alpha');
    expect(collapse(snapshots.map(stateOf))).toEqual(LIFECYCLE);
    // The raw snapshots did hold the secrets, so the checks below mean something.
    expect(JSON.stringify(snapshots.map((s) => ('context' in s ? s.context : null)))).toContain(TOKEN);

    for (const event of log.events) {
      if (event.type === '@xstate.snapshot') {
        const { context } = event.snapshot as { context?: unknown };
        expectClean(sanitizeContext(context));
        expectClean(sanitizeEvent(event.event));
      } else if (event.type === '@xstate.actor') {
        const { context } = event.actorRef.getSnapshot() as { context?: unknown };
        expectClean(sanitizeContext(context));
      } else if (event.type === '@xstate.event') {
        expectClean(sanitizeEvent(event.event));
      }
    }

    // What would go on the wire: the library defers each event by a timer, so wait for the last one.
    const parsed = () => messages.map((message) => JSON.parse(message) as Sent);
    await vi.waitFor(() => expect(parsed().some((m) => m.snapshot?.value === 'removed')).toBe(true), {
      timeout: 5_000,
    });
    const minion = parsed().find((m) => m.type === '@xstate.actor' && m.name === 'minion:alpha:b1');
    expect(minion).toBeDefined();
    const sentStates = parsed()
      .filter((m) => m.type === '@xstate.snapshot' && m.sessionId === minion?.sessionId)
      .map((m) => m.snapshot?.value);
    expect(collapse(sentStates)).toEqual(LIFECYCLE);
    for (const message of messages) expectClean(message);
    expect(pipeline.dropped).toBe(0);
    pipeline.stop();
    t.tower.stop();
  });
});
