import { describe, expect, it, vi } from 'vitest';
import { minionState, sanitizeMinionContext } from '../../machines/minion.machine.js';
import { documentChecksum, toServedDocument } from '../../machines/status-document.js';
import { statePath } from './helpers.js';
import { BOLT, CNAME, goodStatus, type MinionHarness, startMinion, T0 } from './minion-harness.js';

describe('minionMachine lifecycle', () => {
  it('waits in connecting, then monitors once the capability arrives', async () => {
    const h = startMinion();
    expect(h.state()).toBe('connecting');
    expect(h.view()).toMatchObject({
      cname: CNAME,
      boltId: BOLT,
      ports: [],
      connectedAt: T0,
      document: null,
    });

    h.actor.send({ type: 'bolt.capability', ports: [5000, 5001] });
    expect(h.state()).toBe('monitoring');
    expect(h.view().ports).toEqual([5000, 5001]);
    expect(h.seen.errors).toEqual([]);
  });

  it('closes the bolt and ends when no capability comes within the timeout', async () => {
    const h = startMinion({ capabilityTimeout: 5_000 });
    await h.advance(4_999);
    expect(h.state()).toBe('connecting');
    expect(h.link.closes).toEqual([]);

    await h.advance(1);
    expect(h.state()).toBe('removed');
    expect(h.view().removedReason).toBe('capability-timeout');
    expect(h.link.closes).toEqual(['capability-timeout']);
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.actor.getSnapshot().output).toEqual({
      cname: CNAME,
      boltId: BOLT,
      removedReason: 'capability-timeout',
    });
  });

  it('goes monitoring -> ready on the first good document, without passing through changed', async () => {
    const h = startMinion();
    await h.connect();
    expect(h.link.polls).toHaveLength(1);
    await h.advance(700);
    await h.answer(goodStatus());

    const { document } = toServedDocument(goodStatus(), CNAME);
    expect(h.state()).toBe('ready');
    expect(h.view()).toMatchObject({
      document,
      checksum: documentChecksum(document),
      lastPollAt: T0 + 700,
      lastChangeAt: T0 + 700,
      consecutiveFailures: 0,
      lastError: null,
    });
    expect(statePath(h.seen.values)).toEqual(['connecting', 'monitoring', 'ready']);
  });

  it('publishes a different checksum as ready -> changed -> ready', async () => {
    const h = startMinion();
    await h.toReady();
    await h.advance(15_000);
    await h.answer(goodStatus({ running: false }));

    // Subscribers really get a `changed` snapshot, until the zero-delay timer fires.
    expect(h.state()).toBe('changed');
    expect(h.view().document?.running).toBe(false);
    expect(h.view().lastChangeAt).toBe(T0 + 15_000);
    await h.advance(0);
    expect(h.state()).toBe('ready');
    expect(h.seen.values.slice(-3)).toEqual(['ready', 'changed', 'ready']);
  });

  it('stays ready when only os changed, but serves the newest os', async () => {
    const h = startMinion();
    await h.toReady();
    const checksum = h.view().checksum;
    await h.advance(15_000);
    await h.answer(goodStatus({ os: { hostname: 'kvm570', uptime: 48.5 } }));

    expect(h.state()).toBe('ready');
    expect(h.seen.values).not.toContain('changed');
    expect(h.view()).toMatchObject({ checksum, lastChangeAt: T0, lastPollAt: T0 + 15_000 });
    expect(h.view().document?.os).toEqual({ hostname: 'kvm570', uptime: 48.5 });
  });

  it('handles poll reports that arrive while changed is being published', async () => {
    const h = startMinion();
    await h.toReady();
    await h.advance(15_000);
    await h.answer(goodStatus({ running: false }));
    expect(h.state()).toBe('changed');

    h.actor.send({ type: 'status.failed', failure: { code: 'timeout', message: 'late', at: T0 + 15_000 } });
    expect(h.view().consecutiveFailures).toBe(1);
    const same = toServedDocument(goodStatus({ running: false }), CNAME).document;
    h.actor.send({
      type: 'status.received',
      document: same,
      checksum: documentChecksum(same),
      foreignId: undefined,
      at: T0 + 15_000,
    });
    expect(h.state()).toBe('ready');
    expect(h.view().consecutiveFailures).toBe(0);
  });

  it('takes a new capability announcement in ready', async () => {
    const h = startMinion();
    await h.toReady();
    h.actor.send({ type: 'bolt.capability', ports: [5000, 8080] });
    expect(h.state()).toBe('ready');
    expect(h.view().ports).toEqual([5000, 8080]);
  });
});

describe('minionMachine removal', () => {
  const driveTo: Record<string, (h: MinionHarness) => Promise<void>> = {
    connecting: async () => {},
    monitoring: async (h) => h.connect(),
    ready: async (h) => h.toReady(),
    changed: async (h) => {
      await h.toReady();
      await h.advance(15_000);
      await h.answer(goodStatus({ running: false }));
    },
  };

  it.each(Object.keys(driveTo))('goes %s -> removed on bolt.closed, closing its link', async (state) => {
    const h = startMinion();
    await driveTo[state]?.(h);
    expect(h.state()).toBe(state);

    h.actor.send({ type: 'bolt.closed', reason: 'expired' });
    expect(h.state()).toBe('removed');
    expect(h.view().removedReason).toBe('expired');
    expect(h.link.closes).toEqual(['expired']);
    expect(h.actor.getSnapshot().output).toEqual({ cname: CNAME, boltId: BOLT, removedReason: 'expired' });

    // Nothing polls any more.
    const polls = h.link.polls.length;
    await h.advance(60_000);
    expect(h.link.polls).toHaveLength(polls);
    expect(h.seen.errors).toEqual([]);
  });

  it('aborts the poll in flight when the bolt closes', async () => {
    const h = startMinion();
    await h.connect();
    const poll = h.link.lastPoll();
    h.actor.send({ type: 'bolt.closed', reason: 'closed' });
    expect(poll.signal.aborted).toBe(true);
    expect(h.link.inFlight).toBe(0);
  });
});

describe('foreign ids', () => {
  it('serves the document under the CN and warns once per foreign id', async () => {
    const warn = vi.fn();
    const h = startMinion({ warn });
    await h.toReady(goodStatus({ id: 'impostor' }));

    expect(h.view().document?.id).toBe(CNAME);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.any(String), {
      cname: CNAME,
      boltId: BOLT,
      foreignId: 'impostor',
    });

    await h.advance(15_000);
    await h.answer(goodStatus({ id: 'impostor' }));
    expect(warn).toHaveBeenCalledTimes(1);

    await h.advance(15_000);
    await h.answer(goodStatus({ id: 'other-impostor' }));
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenLastCalledWith(
      expect.any(String),
      expect.objectContaining({ foreignId: 'other-impostor' }),
    );
  });

  it('does not warn when the id is missing or is the CN', async () => {
    const warn = vi.fn();
    const h = startMinion({ warn });
    const { id: _id, ...withoutId } = goodStatus();
    await h.toReady(withoutId);
    expect(h.view().document?.id).toBe(CNAME);
    expect(Object.keys(h.view().document ?? {}).at(-1)).toBe('id');
    await h.advance(15_000);
    await h.answer(goodStatus());
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('views', () => {
  it('minionView holds exactly the MinionView fields and minionState the state name', async () => {
    const h = startMinion();
    await h.toReady();
    expect(Object.keys(h.view()).sort()).toEqual(
      [
        'boltId',
        'checksum',
        'cname',
        'connectedAt',
        'consecutiveFailures',
        'document',
        'lastChangeAt',
        'lastError',
        'lastPollAt',
        'ports',
        'removedReason',
      ].sort(),
    );
    expect(minionState(h.actor.getSnapshot())).toBe('ready');
  });

  it('sanitizeMinionContext drops the document, the link and the settings', async () => {
    const h = startMinion();
    await h.toReady(goodStatus({ env: { token: 'secret-token' } }));
    const sanitized = sanitizeMinionContext(h.actor.getSnapshot().context);
    expect(sanitized).toMatchObject({ cname: CNAME, boltId: BOLT, checksum: h.view().checksum });
    expect(Object.keys(sanitized)).not.toContain('document');
    expect(Object.keys(sanitized)).not.toContain('link');
    expect(Object.keys(sanitized)).not.toContain('settings');
    expect(JSON.stringify(sanitized)).not.toContain('secret-token');
  });
});
