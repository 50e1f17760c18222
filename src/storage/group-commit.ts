import { StorageUnavailable } from '../errors.js';
import type { Stores } from './storage.js';

/** Units of grouped work sharing one commit at most (one durable flush for all of them). */
export const MAX_UNITS_PER_COMMIT = 256;

/** Runs `fn` in one write transaction of the backend, with the stores bound to it. */
export type RunTransaction = <T>(fn: (stores: Stores) => Promise<T>) => Promise<T>;

/** Runs a group's units in one write transaction of the backend; their values in order. */
export type RunUnits = (fns: ReadonlyArray<(stores: Stores) => Promise<unknown>>) => Promise<unknown[]>;

interface Unit {
  fn: (stores: Stores) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit (the port's `grouped`, docs/decisions/011): units that arrive while the event loop
 * is busy run one after another in one transaction and share its commit, so a burst of reveals
 * costs one durable flush (SQLite's fsync, PostgreSQL's WAL flush and one hold of the audit
 * chain's lock) instead of one each. Each unit settles only after that commit. If a unit throws,
 * the group rolls back and each unit runs again alone, so one failure decides only its own unit:
 * units must be plain database work that can run again from the start. A storage fault fails the
 * whole group: run again, each would only meet it again.
 *
 * `maxInFlight` bounds the groups under way at once; units arriving meanwhile wait and form the
 * next group. SQLite's transactions queue in the process anyway (no bound); PostgreSQL's groups
 * queue on the audit chain's lock, so waiting in the process instead makes larger groups and keeps
 * pooled connections free. `runUnits` runs a group (by default one unit after another, in `run`).
 */
export function createGroupCommit(
  run: RunTransaction,
  options: { maxUnits?: number; maxInFlight?: number; runUnits?: RunUnits } = {},
) {
  const { maxUnits = MAX_UNITS_PER_COMMIT, maxInFlight = Infinity } = options;
  const runUnits: RunUnits =
    options.runUnits ??
    ((fns) =>
      run(async (stores) => {
        const out: unknown[] = [];
        for (const fn of fns) out.push(await fn(stores));
        return out;
      }));
  let queue: Unit[] = [];
  let scheduled = false;
  let inFlight = 0;

  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(() => void flush());
  };

  async function flush(): Promise<void> {
    scheduled = false;
    const group = queue.length > maxUnits ? queue.splice(0, maxUnits) : queue;
    if (group === queue) queue = [];
    inFlight++;
    try {
      await runGroup(group);
    } finally {
      inFlight--;
    }
    if (queue.length) schedule();
  }

  async function runGroup(group: Unit[]): Promise<void> {
    if (queue.length) schedule();
    try {
      const values = await runUnits(group.map((unit) => unit.fn));
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
        unit.resolve(await run(unit.fn));
      } catch (error) {
        if (error instanceof StorageUnavailable) fault = error;
        unit.reject(error);
      }
    }
  }

  return <T>(fn: (stores: Stores) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
}
