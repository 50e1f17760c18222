import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { POSTGRES_MIGRATIONS_DIR } from '../../src/storage/postgres/migrations.js';
import { createPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';

/** The PostgreSQL the tests run against (trust auth, see .ci/run); TEST_POSTGRES_URL overrides it. */
export const POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
  /**
   * Empties every table but the migrations' (with the audit log's guards off for the moment), for
   * the next vault; false (and nothing emptied) when a test changed the schema (a renamed table, a
   * dropped trigger), so the database must be dropped instead.
   */
  reset(): Promise<boolean>;
}

const urlOf = (name: string) => {
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

/** Named after the migrations it holds, so a changed migration makes a new one. */
const TEMPLATE = `tv_template_${createHash('sha256')
  .update(
    fs
      .readdirSync(POSTGRES_MIGRATIONS_DIR)
      .sort()
      .map((f) => f + fs.readFileSync(path.join(POSTGRES_MIGRATIONS_DIR, f), 'utf8'))
      .join('\n'),
  )
  .digest('hex')
  .slice(0, 12)}`;

let templateReady: Promise<void> | undefined;

/**
 * Tables, columns, indexes and triggers of a database, as one fingerprint to compare. Read from
 * pg_catalog: information_schema's views took ~25 ms of every reset.
 */
async function schemaOf(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ s: string }>(
    `SELECT md5(string_agg(x, '|' ORDER BY x)) AS s FROM (
       SELECT c.relkind::text || ':' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) AS x
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
       UNION ALL SELECT tgname FROM pg_trigger WHERE NOT tgisinternal) parts`,
  );
  return rows[0]?.s ?? '';
}

/** The template's schema, read once: a reused database must still have it. */
let templateSchema: Promise<string>;
const readTemplateSchema = async () => {
  const client = new pg.Client({ connectionString: urlOf(TEMPLATE) });
  await client.connect();
  try {
    return await schemaOf(client);
  } finally {
    await client.end();
  }
};

/**
 * A migrated database to copy (CREATE DATABASE … TEMPLATE): each test vault then starts on a
 * fresh database in tens of milliseconds instead of running every migration. Made once per
 * server, under an advisory lock, so parallel test workers do not race.
 */
function ensureTemplate(): Promise<void> {
  templateReady ??= (async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock(7476099)');
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE]);
      if (exists.rowCount === 0) {
        const building = `${TEMPLATE}_${randomBytes(3).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${building}`);
        const storage = await createPostgresStorage({ url: urlOf(building) });
        await storage.close();
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${TEMPLATE}`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock(7476099)').catch(() => undefined);
      await admin.end();
    }
  })();
  return templateReady;
}

/** A fresh database (migrated, copied from the template) for one test vault or file; `drop()` removes it (closing what still connects to it). */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `tv_test_${randomBytes(6).toString('hex')}`;
  if (!options.empty) await ensureTemplate();
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  if (!options.empty) templateSchema ??= readTemplateSchema();
  return {
    url: urlOf(name),
    reset: async () => {
      const client = new pg.Client({ connectionString: urlOf(name) });
      await client.connect();
      try {
        if ((await schemaOf(client)) !== (await templateSchema)) return false;
        const { rows } = await client.query<{ t: string }>(
          "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
        );
        // DELETE, not TRUNCATE: the tables of one test hold a few rows, and TRUNCATE's new files cost
        // ~70 ms a reset against ~6 ms. Triggers (the audit log's guards, foreign keys) are off for it;
        // the sequences start again as RESTART IDENTITY would make them.
        await client.query(
          `BEGIN; SET LOCAL session_replication_role = replica; ${rows.map((r) => `DELETE FROM ${r.t};`).join(' ')}
           SELECT setval(c.oid, s.seqstart, false) FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'; COMMIT`,
        );
        return true;
      } finally {
        await client.end();
      }
    },
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
