/**
 * A logger whose lines a test can read back, parsed, for asserting what was logged and how often.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

export interface LogCapture {
  readonly log: Logger;
  /** Every line logged so far, parsed. */
  readonly logs: Record<string, unknown>[];
}

export function logCapture(name = 'test'): LogCapture {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'debug', name, destination: stream }), logs };
}
