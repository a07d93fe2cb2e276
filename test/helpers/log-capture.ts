/**
 * A real pino logger writing into memory, so a test can count and read what the tower logged.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

/** One parsed log line. */
export type LogEntry = Record<string, unknown> & { msg?: string };

export interface CapturedLog {
  readonly log: Logger;
  /** Every line written so far, parsed, in order. */
  readonly lines: LogEntry[];
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: LogEntry[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as LogEntry);
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}
