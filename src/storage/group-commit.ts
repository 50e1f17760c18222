import { StorageUnavailable } from '../errors.js';
import type { Database } from './database.js';
import { writeTransaction } from './database.js';

/**
 * Group commit: units of work that arrive while the event loop is busy run in one write
 * transaction and share one durable commit (one fsync under synchronous=FULL). A unit's promise
 * settles only after that commit: its caller never answers before its rows are on disk. If the
 * group's transaction fails because a unit threw, it is rolled back and each unit is run again in
 * a transaction of its own, so one failure decides only its own unit. Units are therefore plain
 * database work that can be run again from the start. A storage fault (disk full, locked past the
 * busy timeout) fails every unit of the group at once: run again, each would only meet it again,
 * and a lock would cost one busy timeout per unit.
 */
export interface GroupCommit {
  run<T>(work: () => T): Promise<T>;
}

interface Unit {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export const MAX_UNITS_PER_COMMIT = 256;

export function createGroupCommit(db: Database, maxUnits = MAX_UNITS_PER_COMMIT): GroupCommit {
  let queue: Unit[] = [];
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  function flush(): void {
    scheduled = false;
    const group = queue.length > maxUnits ? queue.splice(0, maxUnits) : queue;
    if (group === queue) queue = [];
    if (queue.length) schedule();

    try {
      const values = writeTransaction(db, () => group.map((unit) => unit.work()));
      group.forEach((unit, i) => unit.resolve(values[i]));
      return;
    } catch (error) {
      if (group.length === 1 || error instanceof StorageUnavailable) {
        for (const unit of group) unit.reject(error);
        return;
      }
    }
    let fault: StorageUnavailable | null = null;
    for (const unit of group) {
      if (fault) {
        unit.reject(fault);
        continue;
      }
      try {
        unit.resolve(writeTransaction(db, unit.work));
      } catch (error) {
        if (error instanceof StorageUnavailable) fault = error;
        unit.reject(error);
      }
    }
  }

  return {
    run: <T>(work: () => T) =>
      new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      }),
  };
}
