import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, noteStorageFault, noteStorageSuccess } from './storage-faults.js';


export type Database = BetterSqlite3.Database;
export type Statement<Params extends unknown[] | {} = unknown[], Row = unknown> = BetterSqlite3.Statement<Params, Row>;

export interface OpenDatabaseOptions {
  readonly?: boolean;
}

/** The WAL is cut back to this after a checkpoint: it bounds what a long-held reader let it grow to. */
export const JOURNAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Opens the SQLite file with the pragmas the vault's guarantees rest on:
 * WAL + synchronous=FULL (a committed audit row survives power loss), secure_delete
 * (purged bytes are zeroed, not just unlinked), foreign keys, and a busy timeout so the
 * CLI and a running server can share the file.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    try {
      fs.chmodSync(file, 0o600);
    } catch {
      // not fatal: some filesystems do not support modes
    }
  }
  return db;
}

/**
 * Runs fn in a write transaction (BEGIN IMMEDIATE), so readers of the audit head never race.
 * A storage fault rolls it back and is thrown as StorageUnavailable (a 503, never a 500).
 */
export function writeTransaction<T>(db: Database, fn: () => T): T {
  let result: T;
  try {
    result = db.transaction(fn).immediate();
  } catch (error) {
    throw noteStorageFault(db, error) ?? error;
  }
  noteStorageSuccess(db);
  return result;
}

/** Whether the database answers a trivial query (readiness probes). */
export function databaseAnswers(db: Database): boolean {
  try {
    db.prepare('SELECT 1').get();
    return true;
  } catch {
    return false;
  }
}
