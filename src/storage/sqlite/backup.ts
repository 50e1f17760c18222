import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { BadRequest, Conflict, VaultError } from '../../errors.js';
import { openDatabase, type Database } from './database.js';
import { lockDatabaseExclusively } from './database-lock.js';
import { migrateDatabase } from './migrations.js';
import { sqliteCodeOf } from './storage-faults.js';

export interface BackupSummary {
  backup: string;
  bytes: number;
}

/** A file beside `file`, created 0600 and exclusively (never an existing file or a symbolic link). */
function createPartialBeside(file: string): string {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial-${randomBytes(6).toString('hex')}`);
  fs.closeSync(fs.openSync(partial, 'wx', 0o600));
  return partial;
}

function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Gives the finished `partial` its final name without ever replacing what is there: link(2)
 * fails if the name exists, even as a dangling symbolic link. Filesystems without hard links
 * get a check, then rename(2).
 */
function publishExclusively(partial: string, file: string, exists: () => VaultError): void {
  try {
    fs.linkSync(partial, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    if (pathExists(file)) throw exists();
    fs.renameSync(partial, file);
  }
  fs.rmSync(partial, { force: true });
  fsyncPath(path.dirname(file));
}

const pathExists = (file: string) => {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
};

const backupExists = (file: string) => new Conflict('backup_exists', `${file} already exists; choose a new file name.`);

/**
 * `ticketvault backup <file>`: a consistent copy of the live database (one read snapshot, VACUUM
 * INTO: no free page, so no zeroed-but-once-secret page either), written under a temporary name
 * beside `file`, synced, then given its name. A failed or killed backup never leaves a file under
 * that name; it may leave a `.<name>.partial-…` file, which is safe to delete.
 */
export function backupDatabase(db: Database, file: string): BackupSummary {
  if (pathExists(file)) throw backupExists(file);
  const partial = createPartialBeside(file);
  try {
    db.prepare('VACUUM INTO ?').run(partial);
    fsyncPath(partial);
    publishExclusively(partial, file, () => backupExists(file));
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(`${partial}-journal`, { force: true });
  }
  return { backup: file, bytes: fs.statSync(file).size };
}

/** Overwrites a file with zeros and syncs it before it is unlinked: the replaced database leaves no readable copy behind. */
function shredOpenFile(fd: number): void {
  const size = fs.fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.min(size, 1 << 20));
  for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  fs.fsyncSync(fd);
}

function shredFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    shredOpenFile(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file, { force: true });
}

export interface RestoreInput<T> {
  databasePath: string;
  backupFile: string;
  /**
   * Checks the copy before it is swapped in (the audit chain, under the configured master key),
   * and may bring it up to date from the database it replaces, if that can still be read
   * (destruction that happened after the backup was taken). Throws to refuse; the live database
   * is then untouched.
   */
  check: (copy: Database, replaced: Database | null) => Promise<T>;
}

export interface RestoreSummary {
  restored: string;
  from: string;
  /** What became of the database that was there: its bytes are overwritten with zeros, then it is unlinked. */
  replaced: 'destroyed' | 'none';
}

/** Opens the database being replaced read-only for `check`, or null when it is missing or unreadable (a restore after a loss). */
function openReplaced(databasePath: string): Database | null {
  if (!fs.existsSync(databasePath)) return null;
  try {
    const db = new BetterSqlite3(databasePath, { readonly: true, fileMustExist: true });
    if (db.pragma('quick_check', { simple: true }) === 'ok') return db;
    db.close();
  } catch {
    // unreadable: nothing can be learned from it
  }
  return null;
}

/**
 * `ticketvault restore <file>`: replaces the database with a backup. Refused while any vault
 * process has the database open. The backup is copied beside the database, checked
 * (integrity_check, migrations, `check`), synced and renamed over the database in one step; the
 * replaced file is overwritten with zeros before it goes.
 */
export async function restoreDatabase<T>(input: RestoreInput<T>): Promise<RestoreSummary & T> {
  const { databasePath, backupFile } = input;
  if (!fs.existsSync(backupFile) || !fs.statSync(backupFile).isFile()) throw new BadRequest('backup_not_found', `${backupFile} is not a file.`);
  const lock = lockDatabaseExclusively(databasePath);
  let partial: string | null = null;
  try {
    partial = createPartialBeside(databasePath);
    copyBackup(backupFile, partial);
    const copy = openDatabase(partial);
    let checked: T;
    try {
      if (copy.pragma('integrity_check', { simple: true }) !== 'ok') {
        throw new BadRequest('backup_damaged', `${backupFile} fails SQLite's integrity_check; nothing was restored.`);
      }
      if (!copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) {
        throw new BadRequest('not_a_backup', `${backupFile} is not a ticketvault backup; nothing was restored.`);
      }
      migrateDatabase(copy);
      const replaced = openReplaced(databasePath);
      try {
        checked = await input.check(copy, replaced);
      } finally {
        replaced?.close();
      }
      copy.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      copy.close(); // the last connection: SQLite folds the WAL in and deletes it
    }
    for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(`${partial}${side}`, { force: true });
    fsyncPath(partial);

    // The old WAL must go before the rename: left beside the new file, SQLite would replay it onto it.
    const oldFd = fs.existsSync(databasePath) ? fs.openSync(databasePath, 'r+') : null;
    try {
      shredFile(`${databasePath}-wal`);
      shredFile(`${databasePath}-shm`);
      fs.renameSync(partial, databasePath);
      partial = null;
      fsyncPath(path.dirname(databasePath));
      if (oldFd !== null) shredOpenFile(oldFd);
    } finally {
      if (oldFd !== null) fs.closeSync(oldFd);
    }
    return { restored: databasePath, from: backupFile, replaced: oldFd === null ? 'none' : 'destroyed', ...checked };
  } finally {
    if (partial) for (const side of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${partial}${side}`, { force: true });
    lock.release();
  }
}

/** A consistent copy of the backup file (it may carry a WAL of its own), refusing what is not a SQLite database. */
function copyBackup(backupFile: string, target: string): void {
  try {
    const source = new BetterSqlite3(backupFile, { readonly: true, fileMustExist: true });
    try {
      // The copy inherits secure_delete: without it, a table root that splits while VACUUM INTO
      // fills it keeps its former cells in its unused space, where a later purge never reaches.
      source.pragma('secure_delete = ON');
      source.prepare('VACUUM INTO ?').run(target);
    } finally {
      source.close();
    }
  } catch (error) {
    const code = sqliteCodeOf(error);
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
      throw new BadRequest('not_a_backup', `${backupFile} is not a ticketvault backup (not a SQLite database); nothing was restored.`);
    }
    throw error;
  }
}
