// Loaded into `ticketvault serve` with `node --import` by full-disk.test.ts where no tmpfs can be
// mounted (not root): while the file FAULTS_PAGE_LIMIT_FILE exists, every SQLite connection of the
// process is capped at the pages it has (PRAGMA max_page_count), so SQLite itself answers
// SQLITE_FULL as on a full disk; once the file is gone the cap is lifted. Nothing else changes.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const control = process.env.FAULTS_PAGE_LIMIT_FILE;
if (control) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const connections = new Set();
  const prepare = Database.prototype.prepare;
  // Every query goes through prepare (pragma too): a cheap way to learn each connection.
  Database.prototype.prepare = function (...args) {
    connections.add(this);
    return prepare.apply(this, args);
  };
  const capped = new Set();
  setInterval(() => {
    const full = fs.existsSync(control);
    for (const db of connections) {
      if (!db.open) connections.delete(db);
      else if (db.inTransaction) continue;
      else if (full) {
        db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
        capped.add(db);
      } else if (capped.delete(db)) {
        db.pragma('max_page_count = 4294967294');
      }
    }
  }, 20).unref();
}
