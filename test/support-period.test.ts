import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from '../src/config.js';
import pg from 'pg';
import { migratePostgres, POSTGRES_MIGRATIONS_DIR } from '../src/storage/postgres/migrations.js';
import { openDatabase } from '../src/storage/sqlite/database.js';
import { migrateDatabase, MIGRATIONS_DIR } from '../src/storage/sqlite/migrations.js';
import { dateIn, supportPeriodEnd } from '../src/tickets/support-period.js';
import { signIn } from './harness/staff-sessions.js';
import { createTestDatabase } from './harness/postgres.js';
import {
  advanceClock,
  createTestVault,
  DAY,
  expectProblem,
  makeTempDir,
  onPostgres,
  openTicketWithLink,
  reopenTestVault,
  revealAs,
  sqliteOnly,
  START,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// Issue 15 item 2 and DESIGN.md "Smaller contract changes": supportUntil is a calendar date; the
// support period ends at the end of that day in SUPPORT_TIMEZONE (default UTC).

const API = '/api/v1';

const newTicket = (supportUntil: string, externalRef = `ZD-${Math.random().toString(36).slice(2, 10)}`) => ({
  externalRef,
  subject: 'Upload to shop fails',
  customerEmail: 'customer@shop.test',
  supportUntil,
});

describe('supportPeriodEnd', () => {
  it.each([
    ['UTC', '2026-12-03', '2026-12-03T23:59:59.999Z'],
    ['Europe/Berlin', '2026-12-03', '2026-12-03T22:59:59.999Z'],
    ['Europe/Berlin', '2026-07-31', '2026-07-31T21:59:59.999Z'],
    // The day the clocks go forward ends in summer time; the day before, in winter time.
    ['Europe/Berlin', '2026-03-28', '2026-03-28T22:59:59.999Z'],
    ['Europe/Berlin', '2026-03-29', '2026-03-29T21:59:59.999Z'],
    ['America/New_York', '2026-10-31', '2026-11-01T03:59:59.999Z'],
    ['America/New_York', '2026-11-01', '2026-11-02T04:59:59.999Z'],
    ['Asia/Kolkata', '2026-03-10', '2026-03-10T18:29:59.999Z'],
    ['Pacific/Kiritimati', '2026-03-10', '2026-03-10T09:59:59.999Z'],
    // Santiago skips midnight when its clocks go forward (23:59 → 01:00), and has two 23:xx hours when they go back.
    ['America/Santiago', '2026-09-05', '2026-09-06T03:59:59.999Z'],
    ['America/Santiago', '2026-04-04', '2026-04-05T03:59:59.999Z'],
  ])('in %s, %s ends at %s, the last moment of that date there', (zone, date, end) => {
    const ms = supportPeriodEnd(date, zone);
    expect(new Date(ms).toISOString()).toBe(end);
    expect(dateIn(ms, zone)).toBe(date);
    expect(dateIn(ms + 1, zone)).not.toBe(date);
  });
});

describe('SUPPORT_TIMEZONE', () => {
  it('defaults to UTC and takes an IANA zone name, spelt as Intl spells it', () => {
    expect(parseConfig({}).supportTimeZone).toBe('UTC');
    expect(parseConfig({ SUPPORT_TIMEZONE: 'Europe/Berlin' }).supportTimeZone).toBe('Europe/Berlin');
    expect(parseConfig({ SUPPORT_TIMEZONE: 'europe/berlin' }).supportTimeZone).toBe('Europe/Berlin');
  });

  it.each(['Mars/Olympus_Mons', '+01:00', 'CET+1', 'Europe/Berlin; DROP'])('refuses %p at start-up, naming the key', (zone) => {
    expect(() => parseConfig({ SUPPORT_TIMEZONE: zone })).toThrow(ConfigError);
    expect(() => parseConfig({ SUPPORT_TIMEZONE: zone })).toThrow(/^SUPPORT_TIMEZONE: must be an IANA time zone name/);
  });
});

describe('supportUntil, a calendar date', () => {
  let tv: TestVault;
  afterEach(() => tv?.close());

  it('without SUPPORT_TIMEZONE, ends at the end of the day in UTC', async () => {
    tv = await createTestVault();
    const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket('2026-12-03')).expect(201);
    expect(res.body).toMatchObject({ supportUntil: '2026-12-03T23:59:59.999Z', supportUntilDate: '2026-12-03' });
  });

  describe('with SUPPORT_TIMEZONE=Europe/Berlin', () => {
    beforeEach(async () => {
      tv = await createTestVault({ SUPPORT_TIMEZONE: 'Europe/Berlin' });
    });

    it('ends at midnight in Berlin, in winter and in summer; a full timestamp keeps the date it is written with', async () => {
      const create = (supportUntil: string) => tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(supportUntil)).expect(201);
      expect((await create('2026-12-03')).body).toMatchObject({ supportUntil: '2026-12-03T22:59:59.999Z', supportUntilDate: '2026-12-03' });
      expect((await create('2026-07-31')).body).toMatchObject({ supportUntil: '2026-07-31T21:59:59.999Z', supportUntilDate: '2026-07-31' });
      // 23:30 in New York is already the 4th in UTC and in Berlin: the date as written is kept.
      const stamped = await create('2026-12-03T23:30:00-05:00');
      expect(stamped.body).toMatchObject({ supportUntil: '2026-12-03T22:59:59.999Z', supportUntilDate: '2026-12-03' });
      const read = await tv.http.get(`${API}/tickets/${stamped.body.id}`).set(tv.auth()).expect(200);
      expect(read.body).toMatchObject({ supportUntil: '2026-12-03T22:59:59.999Z', supportUntilDate: '2026-12-03' });
    });

    it('bounds credentials: revealable until the last millisecond of the day in Berlin, expired from midnight', async () => {
      const { linkToken } = await openTicketWithLink(tv, { supportUntil: '2026-03-10' });
      const { credentialId, expiresAt } = await submitCredential(tv, linkToken);
      const end = Date.parse('2026-03-10T22:59:59.999Z');
      expect(expiresAt).toBe(new Date(end).toISOString());
      await advanceClock(tv, end - 1 - START);
      await revealAs(tv, credentialId).expect(200);
      await advanceClock(tv, 1);
      expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
    });

    it('refuses a date that is not a calendar date with 400 validation_failed, and stores nothing', async () => {
      for (const supportUntil of ['2027-02-30', '2027-13-01', '31.12.2027', 'next week', '']) {
        const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(supportUntil, 'ZD-BAD'));
        expectProblem(res, 400, 'validation_failed');
      }
      expect(await tv.query("SELECT id FROM tickets WHERE external_ref = 'ZD-BAD'")).toEqual([]);
    });

    it('the new-ticket form offers a date a year on, and says in which zone the period ends', async () => {
      const page = await tv.http.get('/console/tickets/new').set('Cookie', await signIn(tv)).expect(200);
      expect(page.text).toContain(`value="${dateIn(START + 365 * DAY, 'Europe/Berlin')}"`);
      expect(page.text).toContain('it ends at midnight (Europe/Berlin)');
    });
  });
});

describe('periods set before', () => {
  let tv: TestVault;
  afterEach(() => tv?.close());

  it('a later change of SUPPORT_TIMEZONE moves neither the date nor the end of a period already set', async () => {
    tv = await createTestVault();
    const created = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket('2026-12-03')).expect(201);
    tv = await reopenTestVault(tv, { SUPPORT_TIMEZONE: 'America/New_York' });
    const read = await tv.http.get(`${API}/tickets/${created.body.id}`).set(tv.auth()).expect(200);
    expect(read.body).toMatchObject({ supportUntil: '2026-12-03T23:59:59.999Z', supportUntilDate: '2026-12-03' });
    // A period set from now on ends at midnight in New York.
    const moved = await tv.http.patch(`${API}/tickets/${created.body.id}`).set(tv.auth()).send({ supportUntil: '2026-12-04' }).expect(200);
    expect(moved.body).toMatchObject({ supportUntil: '2026-12-05T04:59:59.999Z', supportUntilDate: '2026-12-04' });
  });

  sqliteOnly.it('migration 024 gives each existing ticket the date its period ended on in UTC, and keeps the instant', () => {
    const dir = makeTempDir();
    const before = path.join(dir, 'migrations-before-024');
    fs.mkdirSync(before);
    for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '024')) fs.copyFileSync(path.join(MIGRATIONS_DIR, file), path.join(before, file));
    const db = openDatabase(path.join(dir, 'old.db'));
    try {
      migrateDatabase(db, before);
      const insert = db.prepare("INSERT INTO tickets (id, external_ref, subject, customer_email, support_until, status, created_at, updated_at) VALUES (?, ?, 's', 'c@shop.test', ?, 'open', 1, 1)");
      insert.run('t-1', 'ZD-OLD-1', Date.parse('2027-06-30T23:59:59.999Z')); // a bare date under the old rule
      insert.run('t-2', 'ZD-OLD-2', Date.parse('2027-01-15T00:00:00.000Z')); // a timestamp given as such
      migrateDatabase(db);
      expect(db.prepare('SELECT id, support_until, support_until_date FROM tickets ORDER BY id').all()).toEqual([
        { id: 't-1', support_until: Date.parse('2027-06-30T23:59:59.999Z'), support_until_date: '2027-06-30' },
        { id: 't-2', support_until: Date.parse('2027-01-15T00:00:00.000Z'), support_until_date: '2027-01-15' },
      ]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  (onPostgres ? it : it.skip)('migration 024 does the same on PostgreSQL', async () => {
    const dir = makeTempDir();
    for (const file of fs.readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => f < '024')) fs.copyFileSync(path.join(POSTGRES_MIGRATIONS_DIR, file), path.join(dir, file));
    const database = await createTestDatabase({ empty: true });
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await migratePostgres(pool, dir);
      const insert = "INSERT INTO tickets (id, external_ref, subject, customer_email, support_until, status, created_at, updated_at) VALUES ($1, $2, 's', 'c@shop.test', $3, 'open', 1, 1)";
      await pool.query(insert, ['t-1', 'ZD-OLD-1', Date.parse('2027-06-30T23:59:59.999Z')]);
      await pool.query(insert, ['t-2', 'ZD-OLD-2', Date.parse('2027-01-15T00:00:00.000Z')]);
      await migratePostgres(pool);
      const rows = (await pool.query('SELECT id, support_until::text AS support_until, support_until_date FROM tickets ORDER BY id')).rows;
      expect(rows).toEqual([
        { id: 't-1', support_until: String(Date.parse('2027-06-30T23:59:59.999Z')), support_until_date: '2027-06-30' },
        { id: 't-2', support_until: String(Date.parse('2027-01-15T00:00:00.000Z')), support_until_date: '2027-01-15' },
      ]);
    } finally {
      await pool.end();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
