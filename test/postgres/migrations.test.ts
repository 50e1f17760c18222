import fs from 'node:fs';
import pg from 'pg';
import { migratePostgres, POSTGRES_MIGRATIONS_DIR } from '../../src/storage/postgres/migrations.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';

describe('PostgreSQL migrations', () => {
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const poolOf = () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(pool);
    return pool;
  };
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  });

  const files = fs.readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();

  it('numbers the PostgreSQL files alike the SQLite ones, 001 upward without a gap', () => {
    expect(files.length).toBeGreaterThanOrEqual(19);
    files.forEach((file, i) => expect(file.slice(0, 3)).toBe(String(i + 1).padStart(3, '0')));
  });

  it('when two instances start at once › each file is applied once, by one of them', async () => {
    const [a, b] = await Promise.all([migratePostgres(poolOf()), migratePostgres(poolOf())]);
    expect([...a.applied, ...b.applied].sort()).toEqual(files);
    expect(a.applied.length === 0 || b.applied.length === 0).toBe(true);
    expect(a.current).toBe(files.length);
    expect(b.current).toBe(files.length);
    const rows = (await poolOf().query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
    expect(rows.map((r) => r.name)).toEqual(files);
  });

  it('when started again › applies nothing', async () => {
    expect(await migratePostgres(poolOf())).toEqual({ applied: [], current: files.length });
  });

  it('a file that fails › is rolled back whole and not recorded; the lock is released', async () => {
    const dir = fs.mkdtempSync('/tmp/tv-pg-migrations-');
    for (const f of files) fs.copyFileSync(`${POSTGRES_MIGRATIONS_DIR}/${f}`, `${dir}/${f}`);
    const next = String(files.length + 1).padStart(3, '0');
    fs.writeFileSync(`${dir}/${next}-broken.sql`, 'CREATE TABLE half_done (id INTEGER);\nSELECT no_such_function();');
    const pool = poolOf();
    await expect(migratePostgres(pool, dir)).rejects.toThrow(/no_such_function/);
    expect((await pool.query("SELECT to_regclass('half_done') AS t")).rows[0].t).toBeNull();
    expect((await pool.query('SELECT MAX(version) AS v FROM schema_migrations')).rows[0].v).toBe(files.length);
    // Not left holding the advisory lock: another runner gets through at once.
    expect(await migratePostgres(poolOf())).toEqual({ applied: [], current: files.length });
    fs.rmSync(dir, { recursive: true });
  });

  it('the audit log refuses UPDATE, DELETE and TRUNCATE', async () => {
    const pool = poolOf();
    await pool.query(
      `INSERT INTO audit_events (seq, at, action, actor_type, prev_hash, hash) VALUES (1, 1, 'ticket.created', 'system', '\\x00', '\\x01')`,
    );
    await expect(pool.query('UPDATE audit_events SET at = 2')).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
  });
});
