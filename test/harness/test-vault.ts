import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { buildApp } from '../../src/app.js';
import type { Actor, AuditAction } from '../../src/audit/audit.js';
import type { Clock } from '../../src/clock.js';
import { parseConfig, type Env } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { composeVault, type Vault } from '../../src/main.js';
import type { ChangedBy } from '../../src/staff-auth/staff.js';
import type { StaffRole } from '../../src/staff-auth/staff-roles.js';
import { openDatabase, type Database } from '../../src/storage/sqlite/database.js';
import { createSqliteStores, type SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

/**
 * The backend the suite runs on: TEST_DATABASE=postgres runs every vault on its own fresh
 * PostgreSQL database (dropped when the vault closes); anything else, on a SQLite file.
 */
export const TEST_BACKEND: 'sqlite' | 'postgres' = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_BACKEND === 'postgres';

/**
 * For tests of what only the SQLite backend has (its files, WAL, pragmas, backup/restore, its
 * connection): they run on SQLite and are skipped, by name, on PostgreSQL.
 */
export const sqliteOnly = { it: onPostgres ? it.skip : it, describe: onPostgres ? describe.skip : describe };

export const DAY = 24 * 3600 * 1000;
export const START = Date.parse('2026-03-01T09:00:00.000Z');

/** The UTC date `ms` from the test clock's now (YYYY-MM-DD): a support period's last day, as supportUntil takes it. */
export const dateFromNow = (tv: { clock: Clock }, ms: number) => new Date(tv.clock.now() + ms).toISOString().slice(0, 10);
/** When a support period whose last day is `date` ends with SUPPORT_TIMEZONE unset: the end of that day in UTC. */
export const endOfDay = (date: string) => Date.parse(`${date}T23:59:59.999Z`);

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private t = START) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
  set(ms: number) {
    this.t = ms;
  }
}

/** Staff changes a test makes as the operator at the shell would (the CLI's kind of actor). */
export const BY_OPERATOR: ChangedBy = { actor: { type: 'system', id: null, name: 'ticketvault cli (test)' } };

export interface TestVault {
  vault: Vault;
  app: ReturnType<typeof buildApp>;
  http: ReturnType<typeof request>;
  clock: TestClock;
  dir: string;
  /** The test's own connection to the vault's SQLite file, to look at (or tamper with) what is stored (SQLite only). */
  db: Database;
  /** The SQLite stores on that connection, synchronous (SQLite only). */
  stores: ReturnType<typeof createSqliteStores>;
  /** The vault's own connection, for tests of its per-connection settings (busy timeout, page limit, secure_delete…; SQLite only). */
  vaultDb: Database;
  /** Rows of a plain SELECT on either backend (`?` placeholders). */
  query(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs SQL valid on both backends (DDL, an UPDATE that tampers with a row), outside the vault's transactions. */
  exec(sql: string, ...params: unknown[]): Promise<void>;
  /** The PostgreSQL database the vault runs on (PostgreSQL only). */
  postgres?: TestDatabase;
  logs: string[];
  tokens: Record<StaffRole, string>;
  staffIds: Record<StaffRole, string>;
  auth(role?: StaffRole): { Authorization: string };
  close(): Promise<void>;
}

export function makeTempDir(prefix = 'tv-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const ROLES = ['engineer', 'admin', 'auditor'] as const;

/** The PostgreSQL database of each open vault, by its temp folder. */
const databases = new Map<string, TestDatabase>();
/**
 * Databases of closed vaults, emptied, for the next vault of this test file: a CREATE DATABASE
 * costs ~200 ms, a TRUNCATE a few. Dropped when the file's tests are done.
 */
const spareDatabases: TestDatabase[] = [];
if (onPostgres) {
  afterAll(async () => {
    for (const database of spareDatabases.splice(0)) await database.drop();
  }, 60_000);
}

/** What tv.db and tv.stores are on PostgreSQL: any use says the test is SQLite-only. */
function sqliteOnlyDatabase(): Database {
  return new Proxy({} as Database, {
    get: (_target, name) => {
      if (name === 'open') return false;
      throw new Error(`tv.db.${String(name)}: this test reads the SQLite file; mark it sqliteOnly (TEST_DATABASE=postgres)`);
    },
  });
}

/** A real vault on a real SQLite file in a temp folder, real libsodium, a fixed clock, captured logs. */
export async function createTestVault(env: Env = {}, options: { clock?: TestClock; sealedBoxThreads?: number } = {}): Promise<TestVault> {
  const dir = makeTempDir();
  if (onPostgres && env.DATABASE_URL === undefined) {
    const database = spareDatabases.pop() ?? (await createTestDatabase());
    // Commits need not wait for the disk in these tests (none kills the server): a test vault's
    // sessions skip the WAL flush, the largest part of a small transaction on PostgreSQL.
    env = { ...env, DATABASE_URL: `${database.url}?options=${encodeURIComponent('-c synchronous_commit=off')}` };
    databases.set(dir, database);
  }
  return startTestVault(dir, options.clock ?? new TestClock(), env, options.sealedBoxThreads, (vault, role) =>
    vault.staff.addStaff({ email: `${role}@vendor.test`, role, name: `${role[0]!.toUpperCase()}${role.slice(1)} Person` }, BY_OPERATOR),
  );
}

/** Composes a vault on `dir`'s database with `env` over the test defaults, and a token per role. */
async function startTestVault(
  dir: string,
  clock: TestClock,
  env: Env,
  sealedBoxThreads: number | undefined,
  staffFor: (vault: Vault, role: StaffRole) => Promise<{ id: string; email: string }>,
): Promise<TestVault> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_PATH: path.join(dir, 'ticketvault.db'),
    PUBLIC_URL: 'https://vault.example.test',
    MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'info',
    VENDOR_NAME: 'Acme Software',
    // Tests make many customer requests from one address; the limiter's own tests turn it on.
    CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  const vault = await composeVault(config, { clock, log: createLogger('info', sink), warn: () => {}, sealedBoxThreads });
  const app = buildApp(vault);
  const tokens = {} as Record<StaffRole, string>;
  const staffIds = {} as Record<StaffRole, string>;
  for (const role of ROLES) {
    const member = await staffFor(vault, role);
    staffIds[role] = member.id;
    tokens[role] = (await vault.staffTokens.issueStaffToken(await vault.staff.findStaffByEmail(member.email), 8 * 3600)).token;
  }
  const postgres = databases.get(dir);
  const db = postgres ? sqliteOnlyDatabase() : openDatabase(config.databasePath);
  const pgPool = postgres ? (vault.storage as PostgresStorage).pool : undefined;
  return {
    vault,
    app,
    http: request(app),
    clock,
    dir,
    db,
    stores: postgres ? (sqliteOnlyDatabase() as never) : createSqliteStores(db),
    vaultDb: postgres ? sqliteOnlyDatabase() : (vault.storage as SqliteStorage).db,
    postgres,
    query: async (sql, ...params) => {
      if (!pgPool) return db.prepare(sql).all(...params) as Record<string, unknown>[];
      let n = 0;
      return (await pgPool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as Record<string, unknown>[];
    },
    exec: async (sql, ...params) => {
      if (!pgPool) {
        if (params.length) db.prepare(sql).run(...params);
        else db.exec(sql);
        return;
      }
      let n = 0;
      await pgPool.query(sql.replace(/\?/g, () => `$${++n}`), params);
    },
    logs,
    tokens,
    staffIds,
    auth: (role = 'engineer') => ({ Authorization: `Bearer ${tokens[role]}` }),
    close: async () => {
      if (!postgres && db.open) db.close();
      await vault.close();
      fs.rmSync(dir, { recursive: true, force: true });
      if (postgres) {
        databases.delete(dir);
        if (await postgres.reset()) spareDatabases.push(postgres);
        else await postgres.drop();
      }
    },
  };
}

export interface Scenario {
  ticketId: string;
  linkToken: string;
  linkId: string;
}

/** Arranges an open ticket with one intake link, through the real API. */
export async function openTicketWithLink(
  tv: TestVault,
  overrides: Record<string, unknown> = {},
  link: Record<string, unknown> = {},
): Promise<Scenario> {
  const ticket = await tv.http
    .post('/api/v1/tickets')
    .set(tv.auth())
    .send({
      externalRef: `ZD-${Math.random().toString(36).slice(2, 10)}`,
      subject: 'Upload to shop fails',
      customerEmail: 'customer@shop.test',
      customerName: 'Casey Customer',
      supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString(),
      ...overrides,
    })
    .expect(201);
  const created = await tv.http.post(`/api/v1/tickets/${ticket.body.id}/intake-links`).set(tv.auth()).send(link).expect(201);
  return { ticketId: ticket.body.id, linkId: created.body.id, linkToken: tokenOf(created.body.url) };
}

export const FTP_FIELDS = { host: 'ftp.shop.test', username: 'vendor-support', password: 'CANARY-ftp-7f3a9c', port: '22' };

export interface Submitted {
  credentialId: string;
  receiptToken: string;
  expiresAt: string;
}

export async function submitCredential(
  tv: TestVault,
  linkToken: string,
  body: Record<string, unknown> = { kind: 'ftp', label: 'Shop FTP', fields: FTP_FIELDS },
): Promise<Submitted> {
  const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(body).expect(201);
  return { credentialId: res.body.credentialId, receiptToken: tokenOf(res.body.receiptUrl), expiresAt: res.body.expiresAt };
}

export function tokenOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

export function revealBody(reason = 'Customer asked us to fix the upload'): { reason: string } {
  return { reason };
}

/** Audit events (newest first) as the auditor's API would list them. */
export async function auditEvents(tv: TestVault, filter: { credentialId?: string; ticketId?: string; action?: AuditAction }) {
  return (await tv.vault.audit.listEvents({ ...filter, limit: 200 })).items;
}

/** A staff reveal through the real API. */
export function revealAs(tv: TestVault, credentialId: string, role: StaffRole = 'engineer', reason = 'Customer asked us to fix the upload') {
  return tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth(role)).send({ reason });
}

/** A staff actor for calling domain functions directly (e.g. vault.tickets.reopenTicket). */
export function staffActorOf(tv: TestVault, role: StaffRole = 'engineer'): Actor {
  return { type: 'staff', id: tv.staffIds[role], name: `${role[0]!.toUpperCase()}${role.slice(1)} Person` };
}

/** The environment that points the CLI, a server process or another vault at this vault's database (either backend). */
export function databaseEnv(tv: TestVault): Record<string, string> {
  const { databasePath, databaseUrl } = tv.vault.config;
  return databaseUrl ? { DATABASE_PATH: databasePath, DATABASE_URL: databaseUrl } : { DATABASE_PATH: databasePath };
}

/** Moves the clock and re-issues the staff tokens, which would otherwise expire with the time travelled. */
export async function advanceClock(tv: TestVault, ms: number): Promise<void> {
  tv.clock.advance(ms);
  for (const role of Object.keys(tv.tokens) as StaffRole[]) {
    const member = await tv.vault.staff.findStaffByEmail(`${role}@vendor.test`);
    tv.tokens[role] = (await tv.vault.staffTokens.issueStaffToken(member, 8 * 3600)).token;
  }
}

/**
 * Restarts a vault on the same folder and database file, as `ticketvault serve` would after a
 * restart: closes the previous vault (if still open), composes a new one with `env` on top of the
 * defaults createTestVault uses, and issues fresh tokens for the staff already stored.
 */
export async function reopenTestVault(previous: TestVault, env: Env = {}): Promise<TestVault> {
  if (!previous.postgres && previous.db.open) previous.db.close();
  await previous.vault.close();
  if (previous.postgres) env = { DATABASE_URL: previous.vault.config.databaseUrl!, ...env };
  return startTestVault(previous.dir, previous.clock, env, undefined, (vault, role) => vault.staff.findStaffByEmail(`${role}@vendor.test`));
}

/** The raw bytes on disk: the database file and its write-ahead log (empty when absent). */
export function readDatabaseFiles(tv: TestVault): { db: Buffer; wal: Buffer } {
  const file = tv.vault.config.databasePath;
  return { db: fs.readFileSync(file), wal: fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0) };
}

/** Where `needle` occurs in the database file, its WAL and the captured logs (empty when nowhere). */
export function placesHolding(tv: TestVault, needle: string | Uint8Array): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : Buffer.from(needle);
  const { db, wal } = readDatabaseFiles(tv);
  const places: string[] = [];
  if (db.indexOf(bytes) !== -1) places.push('database file');
  if (wal.indexOf(bytes) !== -1) places.push('WAL');
  if (Buffer.from(tv.logs.join(''), 'utf8').indexOf(bytes) !== -1) places.push('logs');
  return places;
}

/** A unique string to plant in a secret field, then search for on disk and in the logs. */
export function canary(label = 'secret'): string {
  return `CANARY-${label}-${Math.random().toString(36).slice(2, 12)}-${Date.now().toString(36)}`;
}

/** The five members of every error body (DESIGN.md "HTTP contract"). */
export const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type'];

/** Asserts a problem+json answer with this status and exact `code`. */
export function expectProblem(res: { status: number; headers: Record<string, string>; body: unknown }, status: number, code: string): void {
  expect({ status: res.status, code: (res.body as { code?: unknown })?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code }),
  );
}

const SNAPSHOT_TABLES = ['tickets', 'intake_links', 'receipts', 'credentials', 'credential_secrets', 'audit_events', 'staff'];

/** Every row of the vault's tables (in key order), to show that a refused request changed nothing. */
export async function snapshotVault(tv: TestVault): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of SNAPSHOT_TABLES) snapshot[table] = await tv.query(`SELECT * FROM ${table} ORDER BY 1`);
  return snapshot;
}

/** Polls `probe` until it returns a value (not undefined/false), failing after `timeoutMs`: a bounded wait, not a timing assertion. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
