/**
 * How log lines look and at which level the bolt's life is told: JSON for collectors, pretty lines
 * for a person (pino-pretty as a stream in this thread, so every line is written before `info`
 * returns); an expiry is a warning, an ordinary connect and close are info.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, defaultLogFormat } from '../../src/log/logger.js';
import { agent, announced, closeAll, eventually, rawBolt, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';

afterEach(closeAll);

function memory(): { destination: Writable; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination, text: () => chunks.join('') };
}

describe('log format', () => {
  it('writes pretty lines synchronously, without colour when not on a terminal', () => {
    const out = memory();
    const log = createLogger({ format: 'pretty', destination: out.destination });
    log.warn({ cname: 'pretty-one', reason: 'expired' }, 'bolt closed');
    const text = out.text();
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN \(stormtower\): bolt closed\n/);
    expect(text).toContain('cname: "pretty-one"');
    expect(text).not.toContain('\u001b[');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('writes one JSON object per line otherwise', () => {
    const out = memory();
    createLogger({ format: 'json', destination: out.destination }).info({ n: 1 }, 'hello');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, name: 'stormtower', n: 1, msg: 'hello' });
  });

  it('picks pretty only for stdout on a terminal', () => {
    expect(defaultLogFormat(true, true)).toBe('pretty');
    expect(defaultLogFormat(true, false)).toBe('json');
    expect(defaultLogFormat(false, true)).toBe('json');
  });
});

describe('log levels of a bolt', () => {
  it('tells an ordinary connect and close at info, an expiry at warn', async () => {
    const { log, lines } = captureLog();
    const t = await tower({ beaconInterval: 0.2, beaconValidity: 0.6 }, log);
    const client = await agent(t.boltUrl, 'level-plain', [1234], {
      beaconInterval: 0.2,
      beaconValidity: 0.6,
    });
    await announced(t, 'level-plain');
    await client.close();
    const line = (cname: string, msg: string) =>
      lines.find((entry) => entry.cname === cname && entry.msg === msg);
    expect(line('level-plain', 'bolt connected')?.level).toBe(30);
    expect((await eventually(() => line('level-plain', 'bolt closed')))?.level).toBe(30);

    // A peer that announces and then says nothing more is expired by the tower.
    await rawBolt(t, 'level-silent');
    const expired = await eventually(() => line('level-silent', 'bolt closed'));
    expect(expired).toMatchObject({ level: 40, reason: 'expired' });
  });
});
