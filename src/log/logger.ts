/**
 * The tower's logger: pino writing JSON lines (stdout unless a destination is given), so logs stay
 * machine-readable for whatever collects them; or pretty, coloured lines for a person at a terminal.
 */
import { type DestinationStream, pino } from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

/** `json` for collectors, `pretty` for people. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** A pino level name; 'info' when omitted. */
  level?: string;
  /** Goes into every line as `name`, to tell components (or processes) apart. */
  name?: string;
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
  /** Omitted: pretty when the lines go to stdout and stdout is a terminal, JSON otherwise. */
  format?: LogFormat;
}

/** The format `createLogger` picks when none is given. */
export function defaultLogFormat(toStdout: boolean, isTerminal = process.stdout.isTTY === true): LogFormat {
  return toStdout && isTerminal ? 'pretty' : 'json';
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? defaultLogFormat(opts.destination === undefined);
  // `base` replaces pino's default pid/hostname: one tower per host makes them noise.
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: opts.name ?? 'stormtower' },
    // ISO times read well in a terminal and sort the same as epoch numbers in a collector.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (format === 'json') return pino(options, opts.destination);
  // A stream in this thread, not a worker transport: lines stay synchronous and in order with the
  // process's own exit, and tests can read them.
  const destination = opts.destination ?? process.stdout;
  const colorize = opts.destination === undefined && process.stdout.isTTY === true;
  return pino(
    options,
    pretty({
      destination,
      sync: true,
      colorize,
      translateTime: 'SYS:HH:MM:ss.l',
      messageKey: 'msg',
    }),
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
