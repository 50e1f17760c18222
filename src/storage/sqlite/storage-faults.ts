import type BetterSqlite3 from 'better-sqlite3';
import { StorageUnavailable, type StorageFaultKind } from '../../errors.js';

// The driver's type, not database.ts's alias of it: database.ts imports this file.
type Database = BetterSqlite3.Database;

/** How long a statement waits for another connection's lock before the storage counts as unavailable. */
export const BUSY_TIMEOUT_MS = 5000;

// Result-code families (extended codes share the prefix: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…).
const FAULT_CODES: readonly [prefix: string, kind: StorageFaultKind][] = [
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_IOERR', 'io_error'],
  ['SQLITE_CANTOPEN', 'cannot_open'],
  ['SQLITE_BUSY', 'locked'],
  ['SQLITE_LOCKED', 'locked'],
  ['SQLITE_PROTOCOL', 'locked'],
];

/**
 * The typed fault a driver error stands for, or undefined when it is not the storage's fault
 * (a constraint, a bug). A corrupt file is not here: that needs an operator, not a retry.
 */
export function storageFaultOf(error: unknown): StorageUnavailable | undefined {
  if (error instanceof StorageUnavailable) return error;
  const code = sqliteCodeOf(error);
  if (code === undefined) return undefined;
  const kind = FAULT_CODES.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`))?.[1];
  return kind && new StorageUnavailable(kind, { cause: error });
}

/**
 * The SQLite result code of a driver error (SQLITE_BUSY…), else undefined. Told by its name, not
 * `instanceof`: the native addon keeps throwing the class it was first loaded with, which a
 * second module registry (a test runner's) does not share.
 */
export function sqliteCodeOf(error: unknown): string | undefined {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'SqliteError' && typeof code === 'string' ? code : undefined;
}

interface FaultState {
  /** Set while a lock episode lasts: statements fail at once instead of each waiting the busy timeout. */
  failingFast: boolean;
  faults: Record<StorageFaultKind, number>;
}

const states = new WeakMap<Database, FaultState>();

function stateOf(db: Database): FaultState {
  let state = states.get(db);
  if (!state) {
    state = { failingFast: false, faults: { full: 0, read_only: 0, io_error: 0, cannot_open: 0, locked: 0 } };
    states.set(db, state);
  }
  return state;
}

const setBusyTimeout = (db: Database, ms: number) => db.pragma(`busy_timeout = ${ms}`);

/**
 * Classifies a failed write on `db`. A lock held past the busy timeout starts an episode in which
 * every statement fails at once: better-sqlite3 waits synchronously, so each further wait would
 * hold the whole event loop for the full timeout. The next write that gets through ends it.
 */
export function noteStorageFault(db: Database, error: unknown): StorageUnavailable | undefined {
  if (error instanceof StorageUnavailable) return error; // already noted (a nested transaction)
  const fault = storageFaultOf(error);
  if (!fault) return undefined;
  const state = stateOf(db);
  state.faults[fault.fault]++;
  if (fault.fault === 'locked' && !state.failingFast && db.open) {
    state.failingFast = true;
    setBusyTimeout(db, 0);
  }
  return fault;
}

/** A write committed: a lock episode, if any, is over. */
export function noteStorageSuccess(db: Database): void {
  const state = states.get(db);
  if (!state?.failingFast) return;
  state.failingFast = false;
  setBusyTimeout(db, BUSY_TIMEOUT_MS);
}

/** Runs `fn` without waiting on other connections' locks (a checkpoint that must not hold the event loop), then restores the wait. */
export function withoutBusyWait<T>(db: Database, fn: () => T): T {
  const state = states.get(db);
  if (state?.failingFast) return fn();
  setBusyTimeout(db, 0);
  try {
    return fn();
  } finally {
    setBusyTimeout(db, BUSY_TIMEOUT_MS);
  }
}

/** For metrics: whether a lock episode is under way, and the faults seen so far by kind. */
export function storageFaultStatus(db: Database): { failingFast: boolean; faults: Readonly<Record<StorageFaultKind, number>> } {
  const state = stateOf(db);
  return { failingFast: state.failingFast, faults: state.faults };
}
