/**
 * prom-client's default metrics (event-loop delay, GC, memory, CPU, handles) in one registry per
 * process, made on first use: they describe the process, not a tower, and each collection starts an
 * event-loop monitor and a GC observer that are never stopped, so one per tower would pile up in a
 * process that starts many towers (the tests do).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

export function processMetrics(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
