/**
 * Says in the log that two agents share a cname, naming both remote addresses: once per cname per
 * window (LimitLog), however often the refused agent redials or the two replace each other.
 */
import { LimitLog } from '../log/limit-log.js';
import type { Logger } from '../log/logger.js';
import type { BoltTable } from './bolt-table.js';

export function logConflicts(table: BoltTable, log: Logger): void {
  const limits = new LimitLog(log);
  table.on('conflict', ({ holder, contender, outcome }) => {
    limits.hit(
      holder.cname,
      'onDuplicate',
      {
        cname: holder.cname,
        outcome,
        holder: holder.address,
        contender: contender.address,
        conflicts: outcome === 'refused' ? holder.conflicts : contender.conflicts,
      },
      outcome === 'refused'
        ? 'two agents share a cname: the newer bolt is refused while the older one is alive'
        : 'two agents share a cname: the newer bolt replaced the older one',
    );
  });
}
