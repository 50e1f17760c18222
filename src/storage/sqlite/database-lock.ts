import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Conflict } from '../../errors.js';
import { BUSY_TIMEOUT_MS, sqliteCodeOf } from './storage-faults.js';

/**
 * Who has the vault's database open, told by an OS lock on a side file (`<database>-lock`):
 * every process that opens the vault holds it shared, a restore holds it exclusively. The kernel
 * drops a process's locks when it dies, so a server killed with -9 leaves nothing that blocks.
 * SQLite takes the lock (POSIX advisory locks, which Node cannot take itself): a read transaction
 * kept open holds SHARED, BEGIN EXCLUSIVE needs every other holder gone.
 */
export interface DatabaseHold {
  release(): void;
}

export const lockFileOf = (databasePath: string) => `${databasePath}-lock`;

function openLockFile(databasePath: string, timeoutMs: number): BetterSqlite3.Database {
  const file = lockFileOf(databasePath);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  return new BetterSqlite3(file, { timeout: timeoutMs });
}

const isBusy = (error: unknown) => sqliteCodeOf(error)?.startsWith('SQLITE_BUSY') === true;

function hold(lock: BetterSqlite3.Database, take: () => void, refusal: () => Error): DatabaseHold {
  try {
    take();
  } catch (error) {
    lock.close();
    throw isBusy(error) ? refusal() : error;
  }
  return {
    release: () => {
      if (lock.open) lock.close();
    },
  };
}

/** Held for the life of a vault (server or command): a restore cannot swap the file under it. */
export function holdDatabase(databasePath: string): DatabaseHold {
  const lock = openLockFile(databasePath, BUSY_TIMEOUT_MS);
  return hold(
    lock,
    () => {
      lock.exec('BEGIN');
      lock.prepare('SELECT count(*) FROM sqlite_master').get();
    },
    () => new Conflict('restore_in_progress', `a restore is replacing ${databasePath}; start again once it has finished`),
  );
}

/** Held by a restore: refused at once while any server or command has the database open. */
export function lockDatabaseExclusively(databasePath: string): DatabaseHold {
  const lock = openLockFile(databasePath, 0);
  return hold(
    lock,
    () => lock.exec('BEGIN EXCLUSIVE'),
    () =>
      new Conflict(
        'database_in_use',
        `a ticketvault server or command has ${databasePath} open; stop it first (a process that was killed holds nothing)`,
      ),
  );
}
