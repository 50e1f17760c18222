import { createHash } from 'node:crypto';
import { jest } from '@jest/globals';
import { ACCOUNT_ATTEMPTS, IP_ATTEMPTS, LOGIN_WINDOW_MS } from '../src/staff-auth/login-throttle.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS, STEP_UP_AFTER_MS } from '../src/staff-auth/staff-sessions.js';
import { emailOf, givePassword, login, PASSWORD, sameOrigin, sessionCookieFrom, signIn } from './harness/staff-sessions.js';
import {
  auditEvents,
  BY_OPERATOR,
  createTestVault,
  expectProblem,
  FTP_FIELDS,
  onPostgres,
  openTicketWithLink,
  placesHolding,
  reopenTestVault,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// Console sign-in (DESIGN.md "HTTP contract": POST /auth/login, POST /auth/logout), its session
// cookie, sliding expiry, CSRF rules, attempt limits and step-up, against a real vault.

jest.setTimeout(60_000);

const API = '/api/v1';
const MINUTE = 60_000;

const newTicket = (ref: string) => ({
  externalRef: ref,
  subject: 'Shop upload fails',
  customerEmail: 'casey@shop.test',
  supportUntil: '2027-06-30',
});

const countSessions = async (tv: TestVault, where = '1 = 1') =>
  ((await tv.query(`SELECT COUNT(*) AS n FROM staff_sessions WHERE ${where}`))[0] as { n: number }).n;

describe('staff sign-in', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('POST /auth/login', () => {
    it('with the right e-mail and password answers 200 with a HttpOnly, SameSite=Strict, Secure session cookie and audits staff.login', async () => {
      await givePassword(tv, 'engineer');
      const res = await login(tv, 'Engineer@Vendor.test').expect(200);
      const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-tv_session='))!;
      expect(cookie).toMatch(/^__Host-tv_session=[A-Za-z0-9_-]{43};/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Strict/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toMatch(new RegExp(`; Max-Age=${SESSION_IDLE_MS / 1000}`));
      expect(res.body).toEqual({
        staff: { id: tv.staffIds.engineer, email: 'engineer@vendor.test', name: 'Engineer Person', role: 'engineer' },
        session: expect.objectContaining({ method: 'password', authenticatedAt: new Date(tv.clock.now()).toISOString() }),
      });
      const [event] = await auditEvents(tv, { action: 'staff.login' });
      expect(event).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' }, detail: 'password' });
      // Only the token's hash is stored.
      const token = cookie.split(';')[0]!.slice('__Host-tv_session='.length);
      const raw = JSON.stringify(await tv.query('SELECT * FROM staff_sessions'));
      expect(raw.includes(token)).toBe(false);
    });

    it('leaves Secure off when PUBLIC_URL is plain http (a local install)', async () => {
      const local = await createTestVault({ PUBLIC_URL: 'http://127.0.0.1:8080' });
      try {
        await givePassword(local, 'engineer');
        const res = await login(local, emailOf('engineer')).expect(200);
        expect(String(res.headers['set-cookie'])).not.toMatch(/Secure/);
      } finally {
        await local.close();
      }
    });

    it('answers an unknown e-mail, a wrong password, a disabled member and a member without a password with the same 401 invalid_credentials', async () => {
      await givePassword(tv, 'engineer');
      await givePassword(tv, 'auditor');
      await tv.vault.staff.disableStaff(emailOf('auditor'), BY_OPERATOR);
      const answers = [
        await login(tv, 'nobody@vendor.test'),
        await login(tv, emailOf('engineer'), 'wrong password, long enough'),
        await login(tv, emailOf('auditor')),
        await login(tv, emailOf('admin')),
      ];
      for (const res of answers) {
        expectProblem(res, 401, 'invalid_credentials');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      const bodies = new Set(answers.map((r) => JSON.stringify(r.body)));
      expect(bodies.size).toBe(1);
      const failed = (await auditEvents(tv, { action: 'staff.login_failed' })).reverse();
      expect(failed.map((e) => [e.actor.id, e.detail])).toEqual([
        [null, 'unknown_account'],
        [tv.staffIds.engineer, 'wrong_password'],
        [tv.staffIds.auditor, 'staff_disabled'],
        [tv.staffIds.admin, 'no_password'],
      ]);
      // What was typed into the e-mail field is never written (people paste passwords there).
      expect(JSON.stringify(failed)).not.toContain('nobody@vendor.test');
    });

    it('does the argon2id work for an unknown e-mail exactly as for a known one', async () => {
      await givePassword(tv, 'engineer');
      const verify = tv.vault.passwords.verify;
      const checked: string[] = [];
      tv.vault.passwords.verify = async (hash, password) => {
        checked.push(hash.split('$').slice(0, 4).join('$'));
        return verify(hash, password);
      };
      try {
        await login(tv, 'nobody@vendor.test').expect(401);
        await login(tv, emailOf('engineer'), 'wrong password, long enough').expect(401);
      } finally {
        tv.vault.passwords.verify = verify;
      }
      expect(checked).toHaveLength(2);
      expect(checked[0]).toBe(checked[1]);
      expect(checked[0]).toMatch(/^\$argon2id\$v=19\$m=65536,t=2,p=1$/);
    });

    it('answers 400 for a missing password or an unknown field, and counts nothing', async () => {
      expectProblem(await login(tv, emailOf('engineer'), '').send({ email: emailOf('engineer') }), 400, 'validation_failed');
      expectProblem(await tv.http.post(`${API}/auth/login`).send({ email: 'a@b.test', password: 'x', remember: true }), 400, 'unknown_field');
      expect(await auditEvents(tv, { action: 'staff.login_failed' })).toEqual([]);
      // Refused before the attempt limit: no throttle row for the account or the address ...
      expect(await tv.query('SELECT * FROM login_throttles')).toEqual([]);
      // ... so the account still has all its attempts.
      for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) await login(tv, emailOf('engineer'), `wrong password number ${i}`).expect(401);
    });

    it('refuses a sign-in posted from another site (login CSRF) but lets a script without browser headers sign in', async () => {
      await givePassword(tv, 'engineer');
      const body = { email: emailOf('engineer'), password: PASSWORD };
      expectProblem(await tv.http.post(`${API}/auth/login`).set('Origin', 'https://evil.example').send(body), 403, 'csrf_rejected');
      expectProblem(await tv.http.post(`${API}/auth/login`).set('Sec-Fetch-Site', 'cross-site').send(body), 403, 'csrf_rejected');
      await tv.http.post(`${API}/auth/login`).send(body).expect(200);
    });
  });

  describe('attempt limits', () => {
    // Addresses come from X-Forwarded-For through TRUST_PROXY=loopback (supertest connects from 127.0.0.1).
    const from = (address: string) => ({ 'X-Forwarded-For': address });

    it(`after ${ACCOUNT_ATTEMPTS} failures on one account from one address answers 429 with Retry-After there, with the right password too`, async () => {
      const proxied = await createTestVault({ TRUST_PROXY: 'loopback' });
      try {
        await givePassword(proxied, 'engineer');
        for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) {
          await login(proxied, emailOf('engineer'), `wrong password number ${i}`).set(from('203.0.113.9')).expect(401);
        }
        proxied.clock.advance(5 * MINUTE);
        const limited = await login(proxied, emailOf('engineer')).set(from('203.0.113.9'));
        expectProblem(limited, 429, 'rate_limited');
        expect(limited.headers['retry-after']).toBe(String((LOGIN_WINDOW_MS - 5 * MINUTE) / 1000));
        // An unknown e-mail is limited the same way, so a 429 says nothing about who exists.
        for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) await login(proxied, 'ghost@vendor.test').set(from('192.0.2.1')).expect(401);
        expectProblem(await login(proxied, 'ghost@vendor.test').set(from('192.0.2.1')), 429, 'rate_limited');

        proxied.clock.advance(LOGIN_WINDOW_MS);
        await login(proxied, emailOf('engineer')).set(from('203.0.113.9')).expect(200);
      } finally {
        await proxied.close();
      }
    });

    it('a failure streak from one address never locks the account for its owner at another address (finding 5)', async () => {
      const proxied = await createTestVault({ TRUST_PROXY: 'loopback' });
      try {
        await givePassword(proxied, 'admin');
        for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) {
          await login(proxied, emailOf('admin'), `an attacker's guess ${i}`).set(from('203.0.113.66')).expect(401);
        }
        expectProblem(await login(proxied, emailOf('admin')).set(from('203.0.113.66')), 429, 'rate_limited');
        // The owner, at the office, signs in at once; and again after the attacker tried more.
        await login(proxied, emailOf('admin')).set(from('198.51.100.7')).expect(200);
        await login(proxied, emailOf('admin'), 'another guess entirely').set(from('203.0.113.66')).expect(429);
        await login(proxied, emailOf('admin')).set(from('198.51.100.7')).expect(200);
      } finally {
        await proxied.close();
      }
    });

    it(`a failure streak spread over many addresses locks none of them out for the owner (35 rotating addresses)`, async () => {
      const proxied = await createTestVault({ TRUST_PROXY: 'loopback' });
      try {
        await givePassword(proxied, 'admin');
        for (let i = 0; i < 35; i++) await login(proxied, emailOf('admin'), `rotating guess ${i}`).set(from(`203.0.113.${i + 1}`)).expect(401);
        await login(proxied, emailOf('admin')).set(from('198.51.100.7')).expect(200);
      } finally {
        await proxied.close();
      }
    });

    it('a successful sign-in starts the account afresh', async () => {
      await givePassword(tv, 'engineer');
      for (let i = 0; i < ACCOUNT_ATTEMPTS - 1; i++) await login(tv, emailOf('engineer'), `wrong password number ${i}`).expect(401);
      await login(tv, emailOf('engineer')).expect(200);
      for (let i = 0; i < ACCOUNT_ATTEMPTS - 1; i++) await login(tv, emailOf('engineer'), `wrong password again ${i}`).expect(401);
      await login(tv, emailOf('engineer')).expect(200);
    });

    it(`after ${IP_ATTEMPTS} attempts from one address answers 429 for any account`, async () => {
      await givePassword(tv, 'admin');
      for (let i = 0; i < IP_ATTEMPTS; i++) await login(tv, `guess${i}@vendor.test`, 'a guessed password').expect(401);
      const limited = await login(tv, emailOf('admin'));
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('keys the account count with a vault secret, so a password typed into the e-mail field is not on disk as its plain SHA-256', async () => {
      const typed = 'Tr0ub4dor&3 Summer'; // a password pasted into the e-mail field
      for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) await login(tv, typed, `the password field ${i}`).expect(401);
      expectProblem(await login(tv, typed, 'the password field again'), 429, 'rate_limited');

      const rows = await tv.query('SELECT * FROM login_throttles ORDER BY key');
      const keys = rows.map((r) => r.key as string);
      expect(keys.filter((k) => k.startsWith('account:'))).toEqual([expect.stringMatching(/^account:[0-9a-f]{64}$/)]);
      // Scanning the SQLite file's bytes is SQLite's; on either backend the stored rows hold none of it.
      if (!onPostgres) tv.db.pragma('wal_checkpoint(PASSIVE)'); // the row is in the database file as well as the WAL
      const stored = JSON.stringify(rows);
      for (const text of [typed, typed.toLowerCase()]) {
        const sha256 = createHash('sha256').update(text, 'utf8').digest();
        for (const needle of [text, sha256, sha256.toString('hex'), sha256.toString('base64'), sha256.toString('base64url')]) {
          if (typeof needle === 'string') expect({ needle, inRows: stored.includes(needle) }).toEqual({ needle, inRows: false });
          if (!onPostgres) expect({ needle, places: placesHolding(tv, needle) }).toEqual({ needle, places: [] });
        }
      }
    });

    it('the keyed count survives a restart, so restarting does not lift a lockout', async () => {
      for (let i = 0; i < ACCOUNT_ATTEMPTS; i++) await login(tv, emailOf('engineer'), `wrong password number ${i}`).expect(401);
      tv = await reopenTestVault(tv);
      expectProblem(await login(tv, emailOf('engineer'), 'one more guess'), 429, 'rate_limited');
    });

    it('drops ended windows on every attempt, not only after a successful sign-in', async () => {
      await login(tv, 'Winter2023? typed as the e-mail', 'whatever').expect(401);
      const first = await tv.query('SELECT key FROM login_throttles ORDER BY key');
      expect(first).toHaveLength(2); // the account and the address
      tv.clock.advance(LOGIN_WINDOW_MS + 1);
      await login(tv, 'someone-else@vendor.test', 'whatever').expect(401);
      const rows = (await tv.query('SELECT key, window_started_at FROM login_throttles ORDER BY key')) as { key: string; window_started_at: number }[];
      expect(rows).toHaveLength(2);
      expect(rows.every((r) => r.window_started_at === tv.clock.now())).toBe(true);
      const accountBefore = (first as { key: string }[]).find((r) => r.key.startsWith('account:'))!.key;
      expect(rows.map((r) => r.key)).not.toContain(accountBefore);
    });

    it('counts parallel attempts before their passwords are checked, so a burst cannot slip past the limit', async () => {
      await givePassword(tv, 'engineer');
      const burst = await Promise.all(
        Array.from({ length: ACCOUNT_ATTEMPTS + 3 }, (_, i) => login(tv, emailOf('engineer'), `parallel guess ${i}`)),
      );
      expect(burst.filter((r) => r.status === 401)).toHaveLength(ACCOUNT_ATTEMPTS);
      expect(burst.filter((r) => r.status === 429)).toHaveLength(3);
    });
  });

  describe('the session cookie', () => {
    it('authenticates staff API requests and GET /auth/session', async () => {
      const cookie = await signIn(tv, 'engineer');
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      const me = await tv.http.get(`${API}/auth/session`).set('Cookie', cookie).expect(200);
      expect(me.body).toMatchObject({
        staff: { id: tv.staffIds.engineer, role: 'engineer' },
        session: { method: 'password', reauthenticateAfter: new Date(tv.clock.now() + STEP_UP_AFTER_MS).toISOString() },
      });
    });

    it(`expires after ${SESSION_IDLE_MS / MINUTE} idle minutes and is cleared from the browser`, async () => {
      const cookie = await signIn(tv, 'engineer');
      tv.clock.advance(SESSION_IDLE_MS);
      const res = await tv.http.get(`${API}/tickets`).set('Cookie', cookie);
      expectProblem(res, 401, 'session_expired');
      expect(String(res.headers['set-cookie'])).toMatch(/__Host-tv_session=;.*Expires=Thu, 01 Jan 1970/);
    });

    it('slides forward while used (sending the cookie again) and ends at the absolute limit however busy', async () => {
      const cookie = await signIn(tv, 'engineer');
      tv.clock.advance(20 * MINUTE);
      const renewed = await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      expect(sessionCookieFrom(renewed)).toBe(cookie);
      expect(String(renewed.headers['set-cookie'])).toMatch(new RegExp(`Max-Age=${SESSION_IDLE_MS / 1000}`));
      tv.clock.advance(20 * MINUTE); // 40 minutes after sign-in, 20 after the last request
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);

      // Within a minute of the last renewal nothing is written and no cookie is sent.
      tv.clock.advance(10_000);
      const quiet = await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      expect(quiet.headers['set-cookie']).toBeUndefined();

      const signedInAt = tv.clock.now() - 40 * MINUTE - 10_000;
      let answer = quiet;
      while (answer.status === 200) {
        tv.clock.advance(25 * MINUTE);
        answer = await tv.http.get(`${API}/tickets`).set('Cookie', cookie);
      }
      expectProblem(answer, 401, 'session_expired');
      expect(tv.clock.now()).toBeGreaterThanOrEqual(signedInAt + SESSION_MAX_MS);
      expect(tv.clock.now()).toBeLessThan(signedInAt + SESSION_MAX_MS + 25 * MINUTE);
      const row = (await tv.query('SELECT created_at, expires_at FROM staff_sessions'))[0] as { created_at: number; expires_at: number };
      expect(row.expires_at).toBe(row.created_at + SESSION_MAX_MS);
    });

    it('behind https is named __Host-tv_session, with Secure, Path=/ and no Domain (finding 11)', async () => {
      await givePassword(tv, 'engineer');
      const res = await login(tv, emailOf('engineer')).expect(200);
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^__Host-tv_session=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/);
      expect(cookie).not.toMatch(/Domain=/i);
    });

    it('behind https ignores a session planted under the plain name tv_session (as a sibling subdomain could)', async () => {
      const victim = await signIn(tv, 'engineer');
      const attacker = (await signIn(tv, 'auditor')).replace(/^__Host-/, '');
      expect(attacker).toMatch(/^tv_session=/);
      expectProblem(await tv.http.get(`${API}/auth/session`).set('Cookie', attacker), 401, 'unauthorized');
      // Planted first, beside the member's own cookie: the member stays themself.
      const me = await tv.http.get(`${API}/auth/session`).set('Cookie', `${attacker}; ${victim}`).expect(200);
      expect(me.body.staff.id).toBe(tv.staffIds.engineer);
      const page = await tv.http.get('/console/audit').set('Cookie', attacker);
      expect(page.status).toBe(303);
      expect(page.headers.location).toMatch(/^\/console\/sign-in/);
    });

    it('on plain http is named tv_session without Secure, and a __Host- cookie there is ignored', async () => {
      const local = await createTestVault({ PUBLIC_URL: 'http://127.0.0.1:8080' });
      try {
        await givePassword(local, 'engineer');
        const res = await login(local, emailOf('engineer')).expect(200);
        expect(String(res.headers['set-cookie'])).toMatch(/^tv_session=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
        const cookie = sessionCookieFrom(res)!;
        await local.http.get(`${API}/auth/session`).set('Cookie', cookie).expect(200);
        expectProblem(await local.http.get(`${API}/auth/session`).set('Cookie', `__Host-${cookie}`), 401, 'unauthorized');
      } finally {
        await local.close();
      }
    });

    it('a cookie that is not one of ours gets 401 session_expired', async () => {
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', `__Host-tv_session=${'A'.repeat(43)}`), 401, 'session_expired');
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', '__Host-tv_session=../../etc'), 401, 'session_expired');
      expectProblem(await tv.http.get(`${API}/tickets`), 401, 'unauthorized');
    });
  });

  describe('POST /auth/logout', () => {
    it('answers 204, ends the session on the server and clears the cookie', async () => {
      const cookie = await signIn(tv, 'engineer');
      const res = await tv.http.post(`${API}/auth/logout`).set('Cookie', cookie).set(sameOrigin(tv)).expect(204);
      expect(String(res.headers['set-cookie'])).toMatch(/__Host-tv_session=;/);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 401, 'session_expired');
      expect(await countSessions(tv, "ended_because = 'logout'")).toBe(1);
    });

    it('is refused from another site (403 csrf_rejected) and the session lives on', async () => {
      const cookie = await signIn(tv, 'engineer');
      expectProblem(await tv.http.post(`${API}/auth/logout`).set('Cookie', cookie).set('Origin', 'https://evil.example'), 403, 'csrf_rejected');
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
    });

    it('without a session answers 204 all the same', async () => {
      await tv.http.post(`${API}/auth/logout`).expect(204);
    });
  });

  describe('ending sessions', () => {
    it('disabling a member (API or CLI) ends their sessions at once', async () => {
      const engineer = await signIn(tv, 'engineer');
      const auditor = await signIn(tv, 'auditor');
      const admin = await signIn(tv, 'admin');
      await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set('Cookie', admin).set(sameOrigin(tv)).expect(200);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', engineer), 401, 'session_expired');
      await tv.vault.staff.disableStaff(emailOf('auditor'), BY_OPERATOR);
      expectProblem(await tv.http.get(`${API}/audit`).set('Cookie', auditor), 401, 'session_expired');
      expect(await countSessions(tv, "ended_because = 'staff_disabled'")).toBe(2);
      // Enabling again does not bring the old sessions back.
      await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/enable`).set('Cookie', admin).set(sameOrigin(tv)).expect(200);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', engineer), 401, 'session_expired');
      await login(tv, emailOf('engineer')).expect(200);
    });

    it('a new password ends the sessions that knew the old one', async () => {
      const cookie = await signIn(tv, 'engineer');
      await tv.vault.staff.setStaffPassword(tv.staffIds.engineer, { password: 'a brand new password' }, BY_OPERATOR);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 401, 'session_expired');
      expectProblem(await login(tv, emailOf('engineer')), 401, 'invalid_credentials');
      await login(tv, emailOf('engineer'), 'a brand new password').expect(200);
    });
  });

  describe('CSRF on cookie-authenticated requests', () => {
    let cookie: string;
    beforeEach(async () => {
      cookie = await signIn(tv, 'engineer');
    });
    const post = (ref: string) => tv.http.post(`${API}/tickets`).set('Cookie', cookie).send(newTicket(ref));
    const ticketCount = async () => ((await tv.query('SELECT COUNT(*) AS n FROM tickets'))[0] as { n: number }).n;

    it.each([
      ['no Origin and no Referer', {}],
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['Origin null', { Origin: 'null' }],
      ['our Origin over another scheme', { Origin: 'http://vault.example.test' }],
      ['a foreign Referer and no Origin', { Referer: 'https://evil.example/page' }],
      ['Sec-Fetch-Site cross-site', { Origin: 'https://vault.example.test', 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { Origin: 'https://vault.example.test', 'Sec-Fetch-Site': 'same-site' }],
      ['Sec-Fetch-Site none', { 'Sec-Fetch-Site': 'none', Referer: 'https://vault.example.test/console' }],
    ])('with %s answers 403 csrf_rejected and changes nothing', async (_name, headers) => {
      expectProblem(await post('ZD-CSRF').set(headers as Record<string, string>), 403, 'csrf_rejected');
      expect(await ticketCount()).toBe(0);
    });

    it('with our Origin, or our Referer when there is no Origin, goes through', async () => {
      await post('ZD-1').set(sameOrigin(tv)).expect(201);
      await post('ZD-2').set('Referer', 'https://vault.example.test/console/tickets').expect(201);
    });

    it('applies to DELETE too, and never to GET', async () => {
      const ticket = await post('ZD-3').set(sameOrigin(tv)).expect(201);
      const link = await tv.http.post(`${API}/tickets/${ticket.body.id}/intake-links`).set('Cookie', cookie).set(sameOrigin(tv)).send({}).expect(201);
      expectProblem(await tv.http.delete(`${API}/intake-links/${link.body.id}`).set('Cookie', cookie).set('Origin', 'https://evil.example'), 403, 'csrf_rejected');
      await tv.http.get(`${API}/tickets/${ticket.body.id}`).set('Cookie', cookie).set('Sec-Fetch-Site', 'cross-site').expect(200);
    });

    it('does not apply to bearer requests, whatever their headers say', async () => {
      await tv.http
        .post(`${API}/tickets`)
        .set(tv.auth('engineer'))
        .set({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })
        .send(newTicket('ZD-BEARER'))
        .expect(201);
    });
  });

  describe('step-up before a reveal', () => {
    it(`after ${STEP_UP_AFTER_MS / MINUTE} minutes asks for the password again (401 reauthentication_required), then reveals`, async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const cookie = await signIn(tv, 'engineer');
      const reveal = (c: string) => tv.http.post(`${API}/credentials/${credentialId}/reveal`).set('Cookie', c).set(sameOrigin(tv)).send({ reason: 'Fixing uploads' });

      await reveal(cookie).expect(200);
      tv.clock.advance(STEP_UP_AFTER_MS + 1000);
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      expectProblem(await reveal(cookie), 401, 'reauthentication_required');
      expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toHaveLength(1);
      expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' })).toHaveLength(0);

      const again = await login(tv, emailOf('engineer')).set('Cookie', cookie).expect(200);
      const fresh = sessionCookieFrom(again)!;
      expect(fresh).not.toBe(cookie);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 401, 'session_expired');
      const revealed = await reveal(fresh).expect(200);
      expect(revealed.body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
      expect(await countSessions(tv, "ended_because = 'replaced'")).toBe(1);
    });

    it('never applies to bearer tokens', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      tv.clock.advance(STEP_UP_AFTER_MS * 4);
      const token = (await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.findStaffByEmail(emailOf('engineer')), 3600)).token;
      await tv.http.post(`${API}/credentials/${credentialId}/reveal`).set('Authorization', `Bearer ${token}`).send({ reason: 'script' }).expect(200);
    });
  });
});
