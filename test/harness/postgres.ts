import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';

/** The PostgreSQL the tests run against (trust auth, see .ci/run); TEST_POSTGRES_URL overrides it. */
export const POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file; `drop()` removes it (closing what still connects to it). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tv_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh database with the PostgreSQL storage open on it (migrated); `close()` closes and drops both. */
export async function openTestStorage(): Promise<{ db: TestDatabase; storage: PostgresStorage; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const storage = await createPostgresStorage({ url: db.url });
  return {
    db,
    storage,
    close: async () => {
      await storage.close();
      await db.drop();
    },
  };
}
