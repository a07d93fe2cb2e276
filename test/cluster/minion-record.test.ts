/**
 * The cluster's bucket is another tower's output, so its keys and values are decoded as untrusted
 * input: any bytes give a record or a one-line problem, never a throw; names survive the key mapping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CNAME_ALPHABET } from '../../src/certs/cname.js';
import { bucketKey, nameOfKey } from '../../src/cluster/bucket-keys.js';
import { isListed, type MinionRecord, parseRecord, recordEntry } from '../../src/cluster/minion-record.js';

const KV_KEY = /^[-/_=.a-zA-Z0-9]+$/;
const cnameChars = [...'ABCXYZabcxyz0189'].concat([...'._:-']);
const cname = fc
  .array(fc.constantFrom(...cnameChars), { minLength: 1, maxLength: 128 })
  .map((chars) => chars.join(''));

const record: MinionRecord = {
  v: 1,
  cname: 'm:1..x',
  owner: 'tower-a',
  boltId: 'b'.repeat(32),
  epoch: 3,
  state: 'ready',
  checksum: '0123456789abcdef0123456789abcdef',
  document: { id: 'm:1..x', packages: [] },
  lastError: null,
  consecutiveFailures: 0,
  connectedAt: 1,
  lastPollAt: null,
  lastChangeAt: null,
  link: { ports: [5000], address: '10.0.0.1', transport: 'ws' },
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('bucket keys', () => {
  it('maps every cname to a valid KV key and back', () => {
    expect(CNAME_ALPHABET).toBe('A-Za-z0-9._:-');
    fc.assert(
      fc.property(cname, (name) => {
        const key = bucketKey(name);
        expect(key).toMatch(KV_KEY);
        expect(key.startsWith('.') || key.endsWith('.') || key.includes('..')).toBe(false);
        expect(nameOfKey(key)).toBe(name);
      }),
    );
  });

  it('refuses keys no tower writes', () => {
    for (const key of ['', 'a.b', 'a=3', 'a=zz', 'a=3a', 'a b']) expect(nameOfKey(key)).toBeUndefined();
  });
});

describe('minion records', () => {
  it('round-trips a record, serving the document under the key’s cname', () => {
    const parsed = parseRecord(encode(record));
    expect(parsed).toEqual({ ok: true, record });
    if (!parsed.ok) return;
    const entry = recordEntry({
      ...parsed.record,
      checksum: record.checksum ?? '',
      document: { id: 'someone-else' },
    });
    expect(entry.document.id).toBe('m:1..x');
    expect(JSON.parse(entry.json)).toEqual({ id: 'm:1..x' });
  });

  it('takes a bolt with no document yet, which other towers relay to but do not list', () => {
    const parsed = parseRecord(encode({ ...record, state: 'connecting', checksum: null, document: null }));
    expect(parsed.ok && isListed(parsed.record)).toBe(false);
    expect(parsed.ok).toBe(true);
  });

  it('names the wrong field of a bad record', () => {
    const problems = [
      { ...record, epoch: 0 },
      { ...record, checksum: 'nope' },
      { ...record, cname: 'has space' },
      { ...record, extra: true },
      { ...record, link: { ports: [70000], address: '', transport: 'ws' } },
    ].map((value) => parseRecord(encode(value)));
    expect(problems.map((p) => (p.ok ? 'ok' : p.message.split(':')[0]))).toEqual([
      'epoch',
      'checksum',
      'cname',
      'value',
      'link.ports.0',
    ]);
    expect(parseRecord(new Uint8Array([0xff, 0xfe]))).toEqual({ ok: false, message: 'not UTF-8 JSON' });
  });

  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.jsonValue().map(encode)), (bytes) => {
        const parsed = parseRecord(bytes);
        expect(typeof parsed.ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ ...Object.fromEntries(Object.keys(record).map((k) => [k, fc.jsonValue()])) }),
        (value) => {
          const parsed = parseRecord(encode({ ...record, ...value }));
          if (parsed.ok) expect(parsed.record.v).toBe(1);
        },
      ),
    );
  });
});
