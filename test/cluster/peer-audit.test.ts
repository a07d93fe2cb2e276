/**
 * A relay handed to a peer tower is audited once, by the tower the client talked to: its request id
 * goes on through the peer tower to the agent and its service, and comes back to the client. Two
 * real towers on loopback, B's peer listener over mutual TLS, a real agent on B.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteRelay } from '../../src/api/routes/proxy.js';
import type { RelayRecord } from '../../src/bolt/agent/relay-record.js';
import { createPeerClient } from '../../src/peer/peer-client.js';
import {
  agent,
  announced,
  api,
  closeAll,
  eventually,
  onCloseAll,
  service,
  tower,
} from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { testPeerListener } from '../helpers/peer-listener.js';
import { testPki } from '../helpers/pki.js';

afterEach(closeAll);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the audit of a relay through a peer tower', () => {
  it('is one line on the tower the client called, with the id the agent sees', async () => {
    const pki = await testPki();
    const seen: (string | undefined)[] = [];
    const port = await service((req, res) => {
      const id = req.headers['x-request-id'];
      seen.push(typeof id === 'string' ? id : undefined);
      res.end('from b');
    });
    const auditB = captureLog();
    const b = await tower({ auditLogger: auditB.log });
    const records: RelayRecord[] = [];
    await agent(b.boltUrl, 'm1', [port], { onRelayed: (record) => records.push(record) });
    await announced(b, 'm1');
    const peerB = await testPeerListener(pki, b.table, auditB.log);
    const peers = createPeerClient({ ca: pki.ca, ...pki.tower });
    onCloseAll(() => peers.close());
    const remoteRelay: RemoteRelay = (cname) => (cname === 'm1' ? peers.target(cname, peerB.url) : undefined);
    const auditA = captureLog();
    const a = await tower({ remoteRelay, auditLogger: auditA.log });

    const given = await api(a, `/proxy/m1@${port}/p?q=1`, { headers: { 'x-request-id': 'peer-trace-1' } });
    expect(await given.text()).toBe('from b');
    expect(given.headers.get('x-request-id')).toBe('peer-trace-1');
    const minted = await api(a, `/proxy/m1@${port}/p`);
    await minted.text();
    const mintedId = minted.headers.get('x-request-id');
    expect(mintedId).toMatch(UUID);

    const lines = await eventually(() => auditA.lines.length >= 2 && auditA.lines);
    expect(lines.map((line) => [line.requestId, line.cname, line.path, line.status, line.bytesOut])).toEqual([
      ['peer-trace-1', 'm1', '/p', 200, 6],
      [mintedId, 'm1', '/p', 200, 6],
    ]);
    expect(seen).toEqual(['peer-trace-1', mintedId]);
    await eventually(() => records.length === 2);
    expect(records.map((record) => record.requestId)).toEqual(['peer-trace-1', mintedId]);
    // Tower B relayed both, and wrote no audit line for either.
    expect(auditB.lines.filter((line) => line.msg === 'relayed')).toEqual([]);
    expect(auditA.lines).toHaveLength(2);
  });
});
