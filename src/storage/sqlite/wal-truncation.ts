import type { Database } from './database.js';
import { withoutBusyWait } from './storage-faults.js';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

interface Truncation {
  timer: NodeJS.Timeout | null;
  delayMs: number;
  pendingSince: number | null;
  waiters: (() => void)[];
}

const truncations = new WeakMap<Database, Truncation>();

function truncationOf(db: Database): Truncation {
  let t = truncations.get(db);
  if (!t) {
    t = { timer: null, delayMs: FIRST_RETRY_MS, pendingSince: null, waiters: [] };
    truncations.set(db, t);
  }
  return t;
}

/**
 * One TRUNCATE checkpoint that never waits: SQLite answers busy=1 when a reader's snapshot (a
 * backup, an export, another process) still needs WAL frames, or a writer elsewhere holds the lock.
 * Only busy=0 means every frame reached the database file and the WAL is empty.
 */
function tryTruncate(db: Database): boolean {
  if (!db.open || db.inTransaction) return false;
  try {
    const [result] = withoutBusyWait(db, () => db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]);
    return result?.busy === 0;
  } catch {
    // a storage fault (disk full, I/O error): the destroyed pages are still there, so try again
    return false;
  }
}

function settle(t: Truncation): void {
  if (t.timer) clearTimeout(t.timer);
  t.timer = null;
  t.delayMs = FIRST_RETRY_MS;
  t.pendingSince = null;
  for (const wake of t.waiters.splice(0)) wake();
}

function retryLater(db: Database, t: Truncation): void {
  if (t.timer || !db.open) return;
  t.timer = setTimeout(() => {
    t.timer = null;
    if (!db.open) return settle(t);
    if (tryTruncate(db)) return settle(t);
    t.delayMs = Math.min(t.delayMs * 2, MAX_RETRY_MS);
    retryLater(db, t);
  }, t.delayMs);
  t.timer.unref();
}

/**
 * After key material was destroyed: empties the WAL so no destroyed page stays on disk (the
 * database file then holds the zeroed pages, secure_delete). A reader holding an older snapshot
 * only delays it: the truncation is retried in the background, with backoff, until it succeeds.
 * Returns whether the WAL is empty now.
 */
export function checkpointWal(db: Database): boolean {
  const t = truncationOf(db);
  if (tryTruncate(db)) {
    settle(t);
    return true;
  }
  t.pendingSince ??= Date.now();
  retryLater(db, t);
  return false;
}

const othersCommitted = new WeakMap<Database, { version: () => number; seen: number }>();

/**
 * Whether another connection committed since the last call (PRAGMA data_version moves only for
 * other connections' commits): a CLI in another process may have destroyed key material and left
 * its truncation to the server. This connection's own writes do not count, so a busy server does
 * not checkpoint on every purge pass.
 */
function anotherConnectionCommitted(db: Database): boolean {
  let state = othersCommitted.get(db);
  if (!state) {
    const statement = db.prepare<[], number>('PRAGMA data_version').pluck();
    state = { version: () => statement.get()!, seen: -1 };
    othersCommitted.set(db, state);
  }
  const now = state.version();
  const moved = now !== state.seen;
  state.seen = now;
  return moved;
}

/**
 * The end of a purge pass: truncates the WAL when this pass destroyed key material, when an
 * earlier truncation is still pending, or when another process wrote (it may have destroyed
 * some); otherwise the WAL holds nothing destroyed, and the pass does not pay for a checkpoint.
 */
export function checkpointWalAfterPass(db: Database, destroyedHere: boolean): boolean {
  const others = anotherConnectionCommitted(db);
  if (!destroyedHere && !others && !walTruncationPending(db)) return true;
  return checkpointWal(db);
}

/** Whether destroyed pages may still be in the WAL (a truncation is waiting for a reader). */
export function walTruncationPending(db: Database): boolean {
  return truncations.get(db)?.pendingSince != null;
}

/** Resolves true once no truncation is pending, or false after `timeoutMs` (a CLI about to exit). */
export function settleWalTruncation(db: Database, timeoutMs: number): Promise<boolean> {
  const t = truncations.get(db);
  if (!t || t.pendingSince === null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      t.waiters.splice(t.waiters.indexOf(wake), 1);
      resolve(false);
    }, timeoutMs);
    const wake = () => {
      clearTimeout(timer);
      resolve(true);
    };
    t.waiters.push(wake);
  });
}

/** Stops retrying (the database is closing; SQLite truncates the WAL itself when the last connection closes). */
export function stopWalTruncation(db: Database): void {
  const t = truncations.get(db);
  if (t?.timer) clearTimeout(t.timer);
  if (t) t.timer = null;
}
