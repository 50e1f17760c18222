import { spawn } from 'node:child_process';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { StaffRole } from '../src/staff-auth/staff-roles.js';
import { emailOf, login, sameOrigin, signIn } from './harness/staff-sessions.js';
import { databaseEnv, auditEvents, BY_OPERATOR, createTestVault, expectProblem, onPostgres, openTicketWithLink, revealAs, snapshotVault, submitCredential, type TestVault } from './harness/test-vault.js';

// The staff endpoints added for the console: staff administration (admin), the audit export and
// chain verification (admin, auditor), and `ticketvault staff passwd`.

jest.setTimeout(60_000);

const API = '/api/v1';
/** The test vault's three members, each audited as staff.added when it was made. */
const SEEDED_EVENTS = 3;
const ROOT = path.resolve(import.meta.dirname, '..');

describe('staff administration and audit endpoints', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const as = (role: StaffRole) => tv.auth(role);

  describe('role checks', () => {
    // Every row has four members: jest hands a test with more parameters than values a `done` callback.
    const endpoints: Array<[string, string, (t: TestVault) => string, Record<string, unknown> | null]> = [
      ['GET', '/staff', () => '/staff', null],
      ['POST', '/staff', () => '/staff', { email: 'new@vendor.test', role: 'engineer' }],
      ['PATCH', '/staff/:id', (t) => `/staff/${t.staffIds.engineer}`, { name: 'Renamed' }],
      ['POST', '/staff/:id/disable', (t) => `/staff/${t.staffIds.engineer}/disable`, null],
      ['POST', '/staff/:id/enable', (t) => `/staff/${t.staffIds.engineer}/enable`, null],
      ['PUT', '/staff/:id/password', (t) => `/staff/${t.staffIds.engineer}/password`, { password: 'twelve chars or more' }],
      ['POST', '/staff/:id/revoke-tokens', (t) => `/staff/${t.staffIds.engineer}/revoke-tokens`, null],
    ];
    const send = (method: string, url: string, body: Record<string, unknown> | null) => {
      const req = tv.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'put'](`${API}${url}`);
      return body ? req.send(body) : req;
    };

    it.each(endpoints)('%s %s is for admins only: engineer and auditor get 403, nobody gets 401', async (method, _path, url, body) => {
      expectProblem(await send(method, url(tv), body).set(as('engineer')), 403, 'forbidden');
      expectProblem(await send(method, url(tv), body).set(as('auditor')), 403, 'forbidden');
      expectProblem(await send(method, url(tv), body), 401, 'unauthorized');
      expect((await send(method, url(tv), body).set(as('admin'))).status).toBeLessThan(300);
    });

    it.each([['/audit/export'], ['/audit/verify'], ['/audit']])('GET %s is for auditors and admins: an engineer gets 403', async (url) => {
      await tv.http.get(`${API}${url}`).set(as('auditor')).expect(200);
      await tv.http.get(`${API}${url}`).set(as('admin')).expect(200);
      expectProblem(await tv.http.get(`${API}${url}`).set(as('engineer')), 403, 'forbidden');
      expectProblem(await tv.http.get(`${API}${url}`), 401, 'unauthorized');
    });

    it('an auditor signed in to the console cannot work tickets, and an engineer cannot read the audit log', async () => {
      const auditor = await signIn(tv, 'auditor');
      const engineer = await signIn(tv, 'engineer');
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', auditor), 403, 'forbidden');
      expectProblem(await tv.http.get(`${API}/audit`).set('Cookie', engineer), 403, 'forbidden');
      await tv.http.get(`${API}/audit/verify`).set('Cookie', auditor).expect(200);
    });
  });

  describe('/staff', () => {
    it('lists members without password hashes', async () => {
      const res = await tv.http.get(`${API}/staff`).set(as('admin')).expect(200);
      expect(res.body.items.map((s: { email: string }) => s.email)).toEqual([emailOf('admin'), emailOf('auditor'), emailOf('engineer')]);
      expect(Object.keys(res.body.items[0]).sort()).toEqual(['createdAt', 'disabled', 'email', 'hasPassword', 'hasSso', 'id', 'name', 'role', 'secondFactors', 'tokensValidAfter']);
      expect(JSON.stringify(res.body)).not.toContain('argon2');
    });

    it('adds a member with a password who can then sign in; a duplicate e-mail is 409 staff_exists; a short password 400', async () => {
      const added = await tv.http
        .post(`${API}/staff`)
        .set(as('admin'))
        .send({ email: 'Sam@Vendor.test', name: 'Sam Support', role: 'engineer', password: 'sam has a long password' })
        .expect(201);
      expect(added.body).toMatchObject({ email: 'sam@vendor.test', name: 'Sam Support', role: 'engineer', hasPassword: true, disabled: false });
      await login(tv, 'sam@vendor.test', 'sam has a long password').expect(200);
      expectProblem(await tv.http.post(`${API}/staff`).set(as('admin')).send({ email: 'sam@vendor.test', role: 'auditor' }), 409, 'staff_exists');
      expectProblem(await tv.http.post(`${API}/staff`).set(as('admin')).send({ email: 'kim@vendor.test', role: 'auditor', password: 'short' }), 400, 'validation_failed');
      expectProblem(await tv.http.post(`${API}/staff`).set(as('admin')).send({ email: 'kim@vendor.test', role: 'owner' }), 400, 'validation_failed');
    });

    it('changes a role, which applies to the member’s very next request', async () => {
      const cookie = await signIn(tv, 'engineer');
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      const res = await tv.http.patch(`${API}/staff/${tv.staffIds.engineer}`).set(as('admin')).send({ role: 'auditor' }).expect(200);
      expect(res.body.role).toBe('auditor');
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 403, 'forbidden');
      await tv.http.get(`${API}/audit`).set('Cookie', cookie).expect(200);
    });

    it('never leaves the vault without an active admin, and an admin cannot disable themself', async () => {
      expectProblem(await tv.http.patch(`${API}/staff/${tv.staffIds.admin}`).set(as('admin')).send({ role: 'engineer' }), 409, 'last_admin');
      expectProblem(await tv.http.post(`${API}/staff/${tv.staffIds.admin}/disable`).set(as('admin')), 409, 'cannot_disable_self');
      await expect(tv.vault.staff.disableStaff(emailOf('admin'), BY_OPERATOR)).rejects.toMatchObject({ code: 'last_admin' });
      await tv.http.patch(`${API}/staff/${tv.staffIds.engineer}`).set(as('admin')).send({ role: 'admin' }).expect(200);
      await tv.http.patch(`${API}/staff/${tv.staffIds.admin}`).set(as('admin')).send({ role: 'engineer' }).expect(200);
    });

    it('resets a password: the old one and its sessions stop working', async () => {
      const cookie = await signIn(tv, 'engineer');
      const res = await tv.http.put(`${API}/staff/${tv.staffIds.engineer}/password`).set(as('admin')).send({ password: 'reset by the admin today' }).expect(200);
      expect(res.body.hasPassword).toBe(true);
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 401, 'session_expired');
      await login(tv, emailOf('engineer'), 'reset by the admin today').expect(200);
    });

    it('answers 404 staff_not_found for an unknown id and 400 for unknown fields', async () => {
      expectProblem(await tv.http.patch(`${API}/staff/00000000-0000-4000-8000-000000000000`).set(as('admin')).send({ name: 'x' }), 404, 'staff_not_found');
      expectProblem(await tv.http.patch(`${API}/staff/not-an-id`).set(as('admin')).send({ name: 'x' }), 404, 'staff_not_found');
      expectProblem(await tv.http.patch(`${API}/staff/${tv.staffIds.engineer}`).set(as('admin')).send({ email: 'x@y.test' }), 400, 'unknown_field');
    });

    it('through the console takes the CSRF rules like every cookie request', async () => {
      const admin = await signIn(tv, 'admin');
      expectProblem(await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set('Cookie', admin), 403, 'csrf_rejected');
      await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set('Cookie', admin).set(sameOrigin(tv)).expect(200);
    });
  });

  describe('auditing staff administration (DESIGN "Security rules")', () => {
    /** The newest staff.* change, its detail parsed. */
    const lastChange = async () => {
      const event = (await tv.vault.audit.listEvents({ limit: 1 })).items[0]!;
      return { ...event, detail: JSON.parse(event.detail!) as Record<string, unknown> };
    };
    const ADMIN_ACTOR = () => ({ type: 'staff', id: tv.staffIds.admin, name: 'Admin Person' });

    it('writes one row per change, naming the admin, their address and the member, never a password', async () => {
      const password = 'a password nobody may log';
      const added = await tv.http.post(`${API}/staff`).set(as('admin')).set('User-Agent', 'admin-script/1').send({ email: 'sam@vendor.test', role: 'engineer', password }).expect(201);
      const sam = added.body.id as string;
      expect(await lastChange()).toMatchObject({
        action: 'staff.added',
        actor: ADMIN_ACTOR(),
        ip: expect.stringMatching(/127\.0\.0\.1/),
        userAgent: 'admin-script/1',
        detail: { staffId: sam, email: 'sam@vendor.test', role: 'engineer', hasPassword: true },
      });

      await tv.http.patch(`${API}/staff/${sam}`).set(as('admin')).send({ role: 'auditor', name: 'Sam Renamed' }).expect(200);
      expect(await lastChange()).toMatchObject({ action: 'staff.changed', actor: ADMIN_ACTOR(), detail: { staffId: sam, changed: ['name', 'role'], role: { from: 'engineer', to: 'auditor' } } });
      await tv.http.patch(`${API}/staff/${sam}`).set(as('admin')).send({ name: 'Sam Again' }).expect(200);
      expect((await lastChange()).detail).toEqual({ staffId: sam, email: 'sam@vendor.test', changed: ['name'] });

      await tv.http.post(`${API}/staff/${sam}/disable`).set(as('admin')).expect(200);
      expect(await lastChange()).toMatchObject({ action: 'staff.disabled', actor: ADMIN_ACTOR(), detail: { staffId: sam } });
      await tv.http.post(`${API}/staff/${sam}/enable`).set(as('admin')).expect(200);
      expect(await lastChange()).toMatchObject({ action: 'staff.enabled', actor: ADMIN_ACTOR(), detail: { staffId: sam } });
      const newPassword = 'another one nobody may log';
      await tv.http.put(`${API}/staff/${sam}/password`).set(as('admin')).send({ password: newPassword }).expect(200);
      expect(await lastChange()).toMatchObject({ action: 'staff.password_set', actor: ADMIN_ACTOR(), detail: { staffId: sam, email: 'sam@vendor.test' } });
      await tv.http.post(`${API}/staff/${sam}/revoke-tokens`).set(as('admin')).expect(200);
      expect(await lastChange()).toMatchObject({ action: 'staff.tokens_revoked', actor: ADMIN_ACTOR() });

      const rows = JSON.stringify(await tv.query('SELECT * FROM audit_events ORDER BY seq'));
      for (const secret of [password, newPassword, tv.tokens.admin, '$argon2']) expect(rows).not.toContain(secret);
      expect((await tv.vault.audit.verifyChain()).ok).toBe(true);
    });

    it('writes nothing for a change that changes nothing (disabling twice, the same role, a refused change)', async () => {
      await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set(as('admin')).expect(200);
      const before = await snapshotVault(tv);
      await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set(as('admin')).expect(200);
      await tv.http.patch(`${API}/staff/${tv.staffIds.auditor}`).set(as('admin')).send({ role: 'auditor' }).expect(200);
      expectProblem(await tv.http.patch(`${API}/staff/${tv.staffIds.admin}`).set(as('admin')).send({ role: 'engineer' }), 409, 'last_admin');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('commits the change and its row together: when the row cannot be written, the change is not made', async () => {
      const before = await snapshotVault(tv);
      if (onPostgres) {
        await tv.exec("CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$");
        await tv.exec('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
      } else {
        await tv.exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END");
      }
      try {
        expect((await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/disable`).set(as('admin'))).status).toBeGreaterThanOrEqual(500);
        expect((await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/revoke-tokens`).set(as('admin'))).status).toBeGreaterThanOrEqual(500);
        expect((await tv.http.put(`${API}/staff/${tv.staffIds.engineer}/password`).set(as('admin')).send({ password: 'never stored at all' })).status).toBeGreaterThanOrEqual(500);
        expect((await tv.http.post(`${API}/staff`).set(as('admin')).send({ email: 'nobody@vendor.test', role: 'engineer' })).status).toBeGreaterThanOrEqual(500);
      } finally {
        if (onPostgres) {
          await tv.exec('DROP TRIGGER refuse_audit ON audit_events');
          await tv.exec('DROP FUNCTION refuse_audit()');
        } else {
          await tv.exec('DROP TRIGGER refuse_audit');
        }
      }
      expect(await snapshotVault(tv)).toEqual(before);
      await tv.http.get(`${API}/tickets`).set(as('engineer')).expect(200);
    });

    it('names the CLI as a system actor for changes made there', async () => {
      await tv.vault.staff.disableStaff(emailOf('engineer'), BY_OPERATOR);
      expect(await lastChange()).toMatchObject({ action: 'staff.disabled', actor: { type: 'system', id: null, name: 'ticketvault cli (test)' }, ip: null });
    });
  });

  describe('GET /audit/export', () => {
    it('downloads the filtered events as JSON Lines, newest first, as GET /audit lists them', async () => {
      const { linkToken, ticketId } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId, 'engineer', 'first look').expect(200);
      await revealAs(tv, credentialId, 'engineer', 'second look').expect(200);
      await openTicketWithLink(tv);

      const res = await tv.http.get(`${API}/audit/export`).query({ ticketId }).set(as('auditor')).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        r.on('end', () => done(null, text));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/jsonl; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="ticketvault-audit-2026-03-01.jsonl"');
      expect(res.headers['cache-control']).toBe('no-store');
      const lines = (res.body as string).trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; ticketId: string; action: string; reason: string | null });
      const listed = await auditEvents(tv, { ticketId });
      expect(lines).toEqual(JSON.parse(JSON.stringify(listed)));
      expect(lines.map((l) => l.action)).toEqual([
        'credential.revealed',
        'credential.revealed',
        'credential.submitted',
        'intake_link.created',
        'ticket.created',
      ]);
      expect(lines[0]!.reason).toBe('second look');

      const reveals = await tv.http.get(`${API}/audit/export`).query({ action: 'credential.revealed', actorId: tv.staffIds.engineer }).set(as('admin')).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        r.on('end', () => done(null, text));
      });
      expect((reveals.body as string).trimEnd().split('\n')).toHaveLength(2);
    });

    it('exports more than one page (pages of 500)', async () => {
      const actor = { type: 'staff' as const, id: tv.staffIds.engineer, name: 'Engineer Person' };
      for (let i = 0; i < 1010; i++) await tv.vault.tickets.createTicket({ externalRef: `ZD-${i}`, subject: 's', customerEmail: 'c@shop.test', supportUntil: '2027-01-01' }, actor);
      const res = await tv.http.get(`${API}/audit/export`).set(as('auditor')).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        r.on('end', () => done(null, text));
      });
      const seqs = (res.body as string).trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
      const all = 1010 + SEEDED_EVENTS;
      expect(seqs).toEqual(Array.from({ length: all }, (_, i) => all - i));
    });

    it('answers 400 for a bad filter', async () => {
      expectProblem(await tv.http.get(`${API}/audit/export`).query({ action: 'staff.fired' }).set(as('auditor')), 400, 'validation_failed');
      expectProblem(await tv.http.get(`${API}/audit/export`).query({ cursor: 'x' }).set(as('auditor')), 400, 'unknown_field');
    });
  });

  describe('GET /audit/verify', () => {
    it('reports an intact chain with its head, and names the first altered row', async () => {
      await openTicketWithLink(tv);
      const ok = await tv.http.get(`${API}/audit/verify`).set(as('auditor')).expect(200);
      const count = 2 + SEEDED_EVENTS;
      expect(ok.body).toMatchObject({ ok: true, count, headSeq: count, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      await tv.http.get(`${API}/audit/verify`).query({ head: ok.body.headHash }).set(as('auditor')).expect(200);

      await tv.exec(onPostgres ? 'DROP TRIGGER audit_events_no_update ON audit_events' : 'DROP TRIGGER audit_events_no_update');
      await tv.exec("UPDATE audit_events SET reason = 'tampered' WHERE seq = 1");
      const broken = await tv.http.get(`${API}/audit/verify`).set(as('auditor')).expect(200);
      expect(broken.body).toMatchObject({ ok: false, firstBadSeq: 1 });
      expectProblem(await tv.http.get(`${API}/audit/verify`).query({ head: 'nope' }).set(as('auditor')), 400, 'validation_failed');
    });
  });
});

describe('ticketvault staff passwd', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  function runCli(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const env = {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        PUBLIC_URL: tv.vault.config.publicUrl,
        ...databaseEnv(tv),
      };
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ticketvault.js'), ...args], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  it('--password-stdin sets the password: the member can sign in and their old sessions end', async () => {
    const cookie = await signIn(tv, 'engineer');
    const res = await runCli(['staff', 'passwd', 'Engineer@vendor.test', '--password-stdin'], 'typed into a pipe, long\n');
    expect(res).toMatchObject({ code: 0, stdout: 'password set for engineer@vendor.test; their console sessions have ended\n' });
    expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', cookie), 401, 'session_expired');
    await login(tv, emailOf('engineer'), 'typed into a pipe, long').expect(200);
  });

  it('refuses a short password, an unknown member, and asking without a terminal, changing nothing', async () => {
    const short = await runCli(['staff', 'passwd', emailOf('engineer'), '--password-stdin'], 'short\n');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const unknown = await runCli(['staff', 'passwd', 'nobody@vendor.test', '--password-stdin'], 'long enough password\n');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/No staff member with e-mail nobody@vendor.test/);
    const noTty = await runCli(['staff', 'passwd', emailOf('engineer')], '');
    expect(noTty.code).not.toBe(0);
    expect(noTty.stderr).toMatch(/--password-stdin/);
    expect((await tv.vault.staff.findStaffByEmail(emailOf('engineer'))).passwordHash).toBeNull();
  });

  describe('asked at a real terminal', () => {
    // util-linux `script` gives the CLI a pseudo-terminal, as an admin's shell would; the test
    // types each answer only once its prompt has appeared (raw mode is on by then).
    function runInTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
      return new Promise((resolve, reject) => {
        const env = {
          PATH: process.env.PATH ?? '',
          TERM: 'dumb',
          NODE_ENV: 'test',
          LOG_LEVEL: 'warn',
          MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
          PUBLIC_URL: tv.vault.config.publicUrl,
          ...databaseEnv(tv),
        };
        const command = [process.execPath, path.join(ROOT, 'bin', 'ticketvault.js'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
        const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, env });
        let screen = '';
        const promptsSeen = () => screen.split('New password: ').length - 1 + (screen.split('Repeat it: ').length - 1);
        let answered = 0;
        child.stdout.on('data', (d) => {
          screen += d;
          while (answered < answers.length && promptsSeen() > answered) child.stdin.write(answers[answered++]!);
        });
        child.stderr.on('data', (d) => (screen += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, screen });
        });
      });
    }

    it('asks twice without echoing, sets the password, and the member can sign in', async () => {
      const password = 'typed at a terminal 42';
      const res = await runInTerminal(['staff', 'passwd', emailOf('engineer')], [`${password}\r`, `${password}\r`]);
      expect(res.screen).toContain('New password: ');
      expect(res.screen).toContain('Repeat it: ');
      expect(res.screen).toContain('password set for engineer@vendor.test');
      expect(res.screen).not.toContain(password);
      expect(res.code).toBe(0);
      await login(tv, emailOf('engineer'), password).expect(200);
    });

    it('refuses two different answers, and stops on Ctrl-C, changing nothing', async () => {
      const mismatch = await runInTerminal(['staff', 'passwd', emailOf('engineer')], ['first answer long\r', 'second answer long\r']);
      expect(mismatch.code).not.toBe(0);
      expect(mismatch.screen).toMatch(/the two passwords differ/);
      const cancelled = await runInTerminal(['staff', 'passwd', emailOf('engineer')], ['half typed\u0003']);
      expect(cancelled.code).not.toBe(0);
      expect(cancelled.screen).toMatch(/cancelled/);
      expect(cancelled.screen).not.toContain('half typed');
      expect((await tv.vault.staff.findStaffByEmail(emailOf('engineer'))).passwordHash).toBeNull();
    });
  });
});
