/**
 * The tower's logger: pino writing JSON lines (stdout unless a destination is given),
 * so logs stay machine-readable for whatever collects them.
 */
import { type DestinationStream, pino } from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** A pino level name; 'info' when omitted. */
  level?: string;
  /** Goes into every line as `name`, to tell components (or processes) apart. */
  name?: string;
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  // `base` replaces pino's default pid/hostname: one tower per host makes them noise.
  return pino(
    {
      level: opts.level ?? 'info',
      base: { name: opts.name ?? 'stormtower' },
      // ISO times read well in a terminal and sort the same as epoch numbers in a collector.
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
