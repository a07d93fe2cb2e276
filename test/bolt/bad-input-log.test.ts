/**
 * A peer that keeps redialling and sending the same bad input is logged once per window, not once
 * per connection: whatever a peer sends, the log grows at a fixed rate at most.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, eventually, rawBolt, rawClosed, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { legacyAgent, legacyAnnounced, legacyTower } from '../legacy/legacy-harness.js';

afterEach(closeAll);

const TIMES = 5;

describe('bad input in the log', () => {
  it('a bolt that redials and sends a text message each time costs one warning', async () => {
    const { log, lines } = captureLog();
    const t = await tower({}, log);
    for (let i = 0; i < TIMES; i++) {
      const socket = await rawBolt(t, 'repeat-offender');
      const closed = rawClosed(socket);
      socket.send('not a binary message');
      await closed;
      await eventually(() => t.table.get('repeat-offender') === undefined);
    }
    expect(lines.filter((line) => line.msg === 'bolt closed: bad input')).toEqual([
      expect.objectContaining({
        cname: 'repeat-offender',
        code: 'BOLT_ERR_EMPTY_MESSAGE',
        remote: '127.0.0.1',
      }),
    ]);
  });

  it('a legacy agent that redials and sends a blank line each time costs one warning', async () => {
    const legacy = await legacyTower();
    for (let i = 0; i < TIMES; i++) {
      const bad = await legacyAgent(legacy, 'legacy-offender', [1234]);
      await legacyAnnounced(legacy, 'legacy-offender');
      const dropped = bad.closed();
      bad.sendRaw('\n');
      await dropped;
      await eventually(() => legacy.t.table.get('legacy-offender') === undefined);
    }
    expect(legacy.logs.filter((line) => line.msg === 'legacy bolt closed: bad input')).toEqual([
      expect.objectContaining({
        cname: 'legacy-offender',
        error: 'LEGACY_ERR_INVALID_JSON',
        remote: '127.0.0.1',
      }),
    ]);
  });
});
