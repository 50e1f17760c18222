import { ConfigError, parseConfig } from '../src/config.js';
import { dateIn, supportPeriodEnd } from '../src/tickets/support-period.js';
import { signIn } from './harness/staff-sessions.js';
import { advanceClock, createTestVault, DAY, expectProblem, openTicketWithLink, revealAs, START, submitCredential, type TestVault } from './harness/test-vault.js';

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
