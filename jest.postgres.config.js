// The integration suite on PostgreSQL (`npm run test:postgres`, TEST_DATABASE=postgres): every
// test vault on its own fresh database on 127.0.0.1:5432 (test/harness/postgres.ts), plus the
// PostgreSQL-only tests in test/postgres/. Files about the SQLite files themselves are left out,
// each for the reason given; single SQLite-only tests inside other files are marked `sqliteOnly`.
import unit from './jest.config.js';

export default {
  ...unit,
  // Test files wait on the database more than on the CPU: two at a time keep both cores busy.
  maxWorkers: 2,
  // The first test to need it builds the migrated template database; a busy machine makes that slow.
  testTimeout: 30_000,
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/e2e/',
    '<rootDir>/test/faults/',
    // A full disk, a locked or read-only SQLite file: PostgreSQL's faults are in test/postgres/postgres-storage.test.ts.
    '<rootDir>/test/storage-faults.test.ts',
    // `backup`/`restore` copy the SQLite file; PostgreSQL uses pg_dump/pg_restore (README "Several instances").
    '<rootDir>/test/backup-restore.test.ts',
    // The SQLite WAL and its truncation after a purge.
    '<rootDir>/test/wal-truncation.test.ts',
    // Byte scans of the SQLite file, WAL and SHM for canaries; PostgreSQL's shredding is documented, not byte-scanned.
    '<rootDir>/test/secrets-at-rest.test.ts',
  ],
};
