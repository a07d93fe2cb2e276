/**
 * The revocation gate over a bolt table: which bolts a new list closes, the TLS contexts it tells,
 * and a bolt whose certificate was revoked between its handshake and its listing.
 */
import { describe, expect, it } from 'vitest';
import { BoltTable } from '../../src/link/bolt-table.js';
import { RevocationGate } from '../../src/link/revocation-gate.js';
import { FakeBolt } from '../helpers/fake-bolt.js';

const listed = (table: BoltTable, cname: string): FakeBolt => {
  const bolt = new FakeBolt(cname, '127.0.0.1');
  bolt.onClose = (reason) => table.removed(bolt, reason, 'closed by the test');
  table.add(bolt);
  return bolt;
};

describe('RevocationGate', () => {
  it('closes exactly the live bolts whose serials a new list revokes', () => {
    const table = new BoltTable();
    const gate = new RevocationGate(table);
    const [a, b, unknown] = [listed(table, 'a'), listed(table, 'b'), listed(table, 'c')];
    gate.follow(a, 'aa');
    gate.follow(b, 'bb');
    // `unknown` was never followed (no serial known): a new list cannot match it.
    const closed = gate.update({ pem: 'PEM', serials: new Set(['bb', 'cc']) });
    expect(closed).toEqual([b]);
    expect(b.closes).toEqual(['revoked']);
    expect(a.closes).toEqual([]);
    expect(unknown.closes).toEqual([]);
    expect(gate.isRevoked('bb')).toBe(true);
    // The same list again closes nothing more.
    expect(gate.update({ pem: 'PEM', serials: new Set(['bb', 'cc']) })).toEqual([]);
  });

  it('hands each list to the TLS contexts, and none while nothing is revoked', () => {
    const gate = new RevocationGate(new BoltTable());
    const seen: (string | undefined)[] = [];
    gate.onChange((crl) => seen.push(crl));
    expect(gate.crl).toBeUndefined();
    gate.update({ pem: 'LIST-1', serials: new Set(['aa']) });
    gate.update({ pem: '', serials: new Set() });
    expect(seen).toEqual(['LIST-1', undefined]);
  });

  it('closes a bolt revoked between its handshake and its listing', () => {
    const table = new BoltTable();
    const gate = new RevocationGate(table, { pem: 'PEM', serials: new Set(['dd']) });
    const late = listed(table, 'd');
    gate.follow(late, 'dd');
    expect(late.closes).toEqual(['revoked']);
    expect(table.get('d')).toBeUndefined();
  });
});
