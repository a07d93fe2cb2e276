/**
 * The agent's record of a relayed request: handed over once, with the tower's request id, the path
 * without its query string, and only the fields that apply.
 */
import { describe, expect, it } from 'vitest';
import { type RelayRecord, RelayRecording } from '../../src/bolt/agent/relay-record.js';

const head = (headers: string[]) => ({ port: 8080, method: 'PUT', path: '/a/b?token=x', headers });

describe('RelayRecording', () => {
  it('hands over one record, however often the request is said to be over', () => {
    const records: RelayRecord[] = [];
    const recording = new RelayRecording(head(['X-Request-Id', 'abc']), (record) => records.push(record));
    recording.received(3);
    recording.received(4);
    recording.answered(201);
    recording.sent(10);
    recording.over();
    recording.over('cancelled');
    expect(records).toEqual([
      {
        requestId: 'abc',
        port: 8080,
        method: 'PUT',
        path: '/a/b',
        status: 201,
        bytesIn: 7,
        bytesOut: 10,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('names the error and leaves out what it does not know', () => {
    const records: RelayRecord[] = [];
    new RelayRecording(head([]), (record) => records.push(record)).over('upstream-unreachable');
    expect(records).toEqual([
      {
        port: 8080,
        method: 'PUT',
        path: '/a/b',
        bytesIn: 0,
        bytesOut: 0,
        durationMs: expect.any(Number),
        error: 'upstream-unreachable',
      },
    ]);
  });
});
