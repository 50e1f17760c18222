import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { BIN, buildIfStale, cliEnv, lines, MASTER_KEY, PUBLIC_URL, ROOT, runCli, type CliResult } from './harness/cli.js';
import { mountTmpfs, unmountTmpfs } from './harness/storage-faults.js';
import { totpAt } from './harness/totp.js';
import { databaseEnv,
  advanceClock,
  BY_OPERATOR,
  createTestVault,
  DAY,
  FTP_FIELDS,
  makeTempDir,
  onPostgres,
  openTicketWithLink,
  placesHolding,
  revealAs,
  sqliteOnly,
  staffActorOf,
  submitCredential,
  TestClock,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "CLI": the real `bin/ticketvault.js` in a child process, against a real database file.

// Each command is a fresh Node process (~0.5 s); a few run several.
jest.setTimeout(30_000);

beforeAll(buildIfStale, 130_000);

describe('ticketvault CLI', () => {
  describe('--help', () => {
    const commands = [[], ['serve'], ['migrate'], ['purge'], ['staff'], ['staff', 'add'], ['staff', 'token'], ['staff', 'list'], ['staff', 'disable'], ['staff', 'enable'], ['staff', 'revoke-tokens'], ['staff', 'reset-mfa'], ['staff', 'link-sso'], ['audit'], ['audit', 'verify'], ['audit', 'export'], ['keys'], ['keys', 'rotate'], ['backup'], ['restore'], ['webhooks'], ['webhooks', 'add'], ['webhooks', 'list'], ['webhooks', 'remove']];

    it('exits 0 and prints usage for every command', async () => {
      buildIfStale();
      const dir = makeTempDir();
      try {
        // Four processes at a time: nineteen at once on a busy two-core machine outlast runCli's 20 s.
        const results: CliResult[] = [];
        for (let i = 0; i < commands.length; i += 4) {
          results.push(...(await Promise.all(commands.slice(i, i + 4).map((c) => runCli([...c, '--help'], { DATABASE_PATH: path.join(dir, 'tv.db') })))));
        }
        results.forEach((r, i) => {
          expect({ command: commands[i]!.join(' '), code: r.code }).toEqual({ command: commands[i]!.join(' '), code: 0 });
          expect(r.stdout).toContain(`Usage: ticketvault ${commands[i]!.join(' ')}`.trimEnd());
        });
        // Help never touches the database.
        expect(fs.existsSync(path.join(dir, 'tv.db'))).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('an unknown command exits non-zero with the error on stderr', async () => {
      const r = await runCli(['frobnicate'], { DATABASE_PATH: path.join(makeTempDir(), 'tv.db') });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('frobnicate');
    });
  });

  describe('with a vault on disk', () => {
    let tv: TestVault;
    let env: Record<string, string>;
    beforeEach(async () => {
      // Real time: tokens the CLI signs now must verify in the in-process vault.
      tv = await createTestVault({}, { clock: new TestClock(Date.now()) });
      env = databaseEnv(tv);
    });
    afterEach(() => tv.close());

    it('staff add then staff token prints a JWT alone on its last line that works as a bearer token', async () => {
      const added = await runCli(['staff', 'add', 'nia@vendor.test', '--role', 'engineer', '--name', 'Nia New'], env);
      expect(added.code).toBe(0);
      expect(added.stdout).toContain('nia@vendor.test');

      const issued = await runCli(['staff', 'token', 'nia@vendor.test', '--ttl', '1h'], env);
      expect(issued.code).toBe(0);
      const token = lines(issued.stdout).at(-1)!;
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set('Authorization', `Bearer ${token}`).send({ reason: 'via CLI token' }).expect(200);
      expect(res.body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
      const [reveal] = (await tv.vault.audit.listEvents({ credentialId, action: 'credential.revealed' })).items;
      expect(reveal!.actor.name).toBe('Nia New');
    });

    it('staff token names on stderr the vault (PUBLIC_URL) its token is signed for', async () => {
      await runCli(['staff', 'add', 'ola@vendor.test', '--role', 'engineer', '--name', 'Ola'], env);
      const other = await runCli(['staff', 'token', 'ola@vendor.test'], { ...env, PUBLIC_URL: 'http://localhost:4000' });
      expect(other.code).toBe(0);
      expect(other.stderr).toContain('for the vault at http://localhost:4000');
      expect(other.stdout).not.toContain('localhost');
    });

    it('output piped into a reader that stops early (| head -1) ends quietly with exit 0, no EPIPE stack trace', async () => {
      for (let i = 0; i < 5; i++) await runCli(['staff', 'add', `reader${i}@vendor.test`, '--role', 'engineer', '--name', `Reader ${i}`], env);
      const seed = Array.from({ length: 2000 }, () => ({ action: 'staff.login', actor: { type: 'system', id: null, name: 'seed' } }) as const);
      await tv.vault.storage.write((s) => tv.vault.audit.recordMany(s, seed));
      const result = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'audit', 'export'], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        let first = '';
        child.stderr.on('data', (d) => (stderr += d));
        // The reader takes one line and goes away, as `head -1` does.
        child.stdout.once('data', (d: Buffer) => {
          first = d.toString('utf8').split('\n')[0]!;
          child.stdout.destroy();
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr, first }));
      });
      expect(JSON.parse(result.first).seq).toBe(1);
      expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(result.code).toBe(0);
    });

    it('staff token for an unknown e-mail exits non-zero with a message on stderr and no token', async () => {
      const r = await runCli(['staff', 'token', 'nobody@vendor.test'], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/nobody@vendor\.test|not found/i);
      expect(r.stdout.trim()).toBe('');
    });

    describe('staff administration', () => {
      const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
      const tokenFromCli = async (email: string) => lines((await runCli(['staff', 'token', email, '--ttl', '1h'], env)).stdout).at(-1)!;
      const lastEvent = async () => (await tv.vault.audit.listEvents({ limit: 1 })).items[0]!;

      it('staff revoke-tokens: the running server refuses every token issued before at once; one issued after works', async () => {
        const before = tv.tokens.engineer;
        await tv.http.get('/api/v1/tickets').set(bearer(before)).expect(200);
        const r = await runCli(['staff', 'revoke-tokens', 'Engineer@vendor.test'], env);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^revoked the tokens of engineer@vendor\.test issued up to \d{4}-\d{2}-\d{2}T[\d:.]+Z; their console sessions have ended\n$/);
        const refused = await tv.http.get('/api/v1/tickets').set(bearer(before)).expect(401);
        expect(refused.body.code).toBe('token_revoked');
        await tv.http.get('/api/v1/tickets').set(bearer(await tokenFromCli('engineer@vendor.test'))).expect(200);

        const event = await lastEvent();
        expect(event).toMatchObject({ action: 'staff.tokens_revoked', actor: { type: 'system', id: null, name: expect.stringMatching(/^ticketvault cli \(.+\)$/) } });
        expect(JSON.parse(event.detail!)).toEqual({ staffId: tv.staffIds.engineer, email: 'engineer@vendor.test' });
      });

      it('staff reset-mfa: the member who lost their phone has no second factor any more (audited as the CLI)', async () => {
        const started = await tv.vault.secondFactors.startTotpEnrolment(tv.staffIds.engineer, {});
        await tv.vault.secondFactors.confirmTotpEnrolment(tv.staffIds.engineer, started.id, { code: totpAt(started.secret, tv.clock.now()) }, BY_OPERATOR);
        expect((await tv.vault.secondFactors.getAccountSecurity(tv.staffIds.engineer)).factors).toHaveLength(1);
        const r = await runCli(['staff', 'reset-mfa', 'Engineer@vendor.test'], env);
        expect(r).toMatchObject({ code: 0, stdout: 'removed the second factors and recovery codes of engineer@vendor.test\n' });
        expect(await tv.vault.secondFactors.getAccountSecurity(tv.staffIds.engineer)).toEqual({ factors: [], recoveryCodesLeft: 0, required: false });
        const event = await lastEvent();
        expect(event).toMatchObject({ action: 'staff.mfa_changed', actor: { type: 'system', name: expect.stringMatching(/^ticketvault cli \(.+\)$/) } });
        expect(JSON.parse(event.detail!)).toEqual({ staffId: tv.staffIds.engineer, email: 'engineer@vendor.test', change: 'reset', removed: 1 });
      });

      it('staff disable then staff enable: the member is back, their old tokens are not', async () => {
        const before = tv.tokens.engineer;
        expect((await runCli(['staff', 'disable', 'engineer@vendor.test'], env)).stdout).toBe('disabled engineer@vendor.test\n');
        const enabled = await runCli(['staff', 'enable', 'engineer@vendor.test'], env);
        expect(enabled).toMatchObject({ code: 0, stdout: 'enabled engineer@vendor.test\n' });
        expect((await tv.http.get('/api/v1/tickets').set(bearer(before)).expect(401)).body.code).toBe('token_revoked');
        await tv.http.get('/api/v1/tickets').set(bearer(await tokenFromCli('engineer@vendor.test'))).expect(200);
        expect((await tv.vault.audit.listEvents({ limit: 2 })).items.map((e) => e.action)).toEqual(['staff.enabled', 'staff.disabled']);
      });

      it('staff link-sso stores the subject with the configured issuer, audited; refused without OIDC, for an unknown member, or a taken subject', async () => {
        const oidc = { ...env, OIDC_ISSUER: 'https://idp.example.test', OIDC_AUDIENCE: 'ticketvault', OIDC_JWKS_URL: 'https://idp.example.test/jwks' };
        const linked = await runCli(['staff', 'link-sso', 'admin@vendor.test', 'idp|ada-42'], oidc);
        expect(linked).toMatchObject({ code: 0, stdout: 'linked admin@vendor.test to single sign-on subject "idp|ada-42" at https://idp.example.test\n' });
        expect((await tv.vault.staff.findStaffByEmail('admin@vendor.test')).oidcSubject).toBe('https://idp.example.test idp|ada-42');
        expect(await lastEvent()).toMatchObject({ action: 'staff.sso_linked', actor: { type: 'system' } });

        const taken = await runCli(['staff', 'link-sso', 'engineer@vendor.test', 'idp|ada-42'], oidc);
        expect(taken.code).not.toBe(0);
        expect(taken.stderr).toContain('sso_subject_taken');
        const unknown = await runCli(['staff', 'link-sso', 'nobody@vendor.test', 'idp|x'], oidc);
        expect(unknown.stderr).toContain('staff_not_found');
        const noOidc = await runCli(['staff', 'link-sso', 'engineer@vendor.test', 'idp|x'], env);
        expect(noOidc.code).not.toBe(0);
        expect(noOidc.stderr).toContain('oidc_not_configured');
        expect((await tv.vault.staff.findStaffByEmail('engineer@vendor.test')).oidcSubject).toBeNull();
      });

      it('staff list prints a table by default and one JSON object per line with --json', async () => {
        await tv.vault.staff.disableStaff('auditor@vendor.test', BY_OPERATOR);
        const table = await runCli(['staff', 'list'], env);
        expect(table.code).toBe(0);
        const rows = lines(table.stdout);
        expect(rows[0]).toMatch(/^EMAIL +NAME +ROLE +STATUS +SIGN-IN +TOKENS VALID AFTER$/);
        expect(rows.slice(1).map((r) => r.split(/ {2,}/))).toEqual([
          ['admin@vendor.test', 'Admin Person', 'admin', 'active', 'token only', '-'],
          ['auditor@vendor.test', 'Auditor Person', 'auditor', 'disabled', 'token only', expect.stringMatching(/^\d{4}-/)],
          ['engineer@vendor.test', 'Engineer Person', 'engineer', 'active', 'token only', '-'],
        ]);
        // Columns line up: each value starts under its header.
        const roleAt = rows[0]!.indexOf('ROLE');
        expect(rows.slice(1).map((r) => r.slice(roleAt).split(' ')[0])).toEqual(['admin', 'auditor', 'engineer']);

        const json = await runCli(['staff', 'list', '--json'], env);
        const members = lines(json.stdout).map((l) => JSON.parse(l) as { email: string; disabled: boolean });
        expect(members.map((m) => [m.email, m.disabled])).toEqual([
          ['admin@vendor.test', false],
          ['auditor@vendor.test', true],
          ['engineer@vendor.test', false],
        ]);
      });
    });

    describe('webhooks', () => {
      it('add prints the id and the secret once; list shows the endpoint as a table or JSON lines; remove removes it; all audited as the CLI', async () => {
        const added = await runCli(['webhooks', 'add', 'http://127.0.0.1:9/hooks', '--events', 'ticket.closed, ticket.created'], env);
        expect(added.code).toBe(0);
        const [id, secret] = lines(added.stdout);
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
        expect(added.stderr).toContain(`added webhook ${id} for ticket.created, ticket.closed`);
        expect(added.stderr).not.toContain(secret!.slice(6));
        const [event] = (await tv.vault.audit.listEvents({ action: 'webhook.added' })).items;
        expect(event).toMatchObject({ actor: { type: 'system', id: null, name: expect.stringMatching(/^ticketvault cli \(.+\)$/) } });

        // The serving process sees an endpoint the CLI registered within five seconds.
        tv.clock.advance(5000);
        await tv.vault.tickets.createTicket({ externalRef: 'ZD-cli-hook', subject: 'x', customerEmail: 'c@shop.test', supportUntil: '2099-01-01' }, staffActorOf(tv));
        expect(await tv.query('SELECT type FROM webhook_deliveries')).toEqual([{ type: 'ticket.created' }]);

        const table = await runCli(['webhooks', 'list'], env);
        expect(table.code).toBe(0);
        const rows = lines(table.stdout);
        expect(rows[0]).toMatch(/^ID +URL +EVENTS +DELIVERIES$/);
        expect(rows.slice(1).map((r) => r.split(/ {2,}/))).toEqual([[id, 'http://127.0.0.1:9/hooks', 'ticket.created,ticket.closed', '1 pending, 0 delivered, 0 failed']]);
        const json = await runCli(['webhooks', 'list', '--json'], env);
        expect(lines(json.stdout).map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ id, url: 'http://127.0.0.1:9/hooks', events: ['ticket.created', 'ticket.closed'] })]);
        expect(json.stdout).not.toContain(secret!.slice(6));

        const removed = await runCli(['webhooks', 'remove', id!], env);
        expect(removed).toMatchObject({ code: 0, stdout: `removed webhook ${id}\n` });
        expect(await tv.vault.outgoingWebhooks.listWebhookEndpoints()).toEqual([]);
        const again = await runCli(['webhooks', 'remove', id!], env);
        expect(again.code).not.toBe(0);
        expect(again.stderr).toContain('webhook_not_found');
      });

      it('add refuses a bad URL or an unknown event on stderr with a non-zero exit, registering nothing', async () => {
        for (const args of [
          ['ftp://hooks.example.test/x', '--events', 'ticket.created'],
          ['https://user:pw@hooks.example.test/x', '--events', 'ticket.created'],
          ['https://hooks.example.test/x', '--events', 'ticket.nope'],
          ['https://hooks.example.test/x'],
        ]) {
          const r = await runCli(['webhooks', 'add', ...args], env);
          expect(r.code).not.toBe(0);
          expect(r.stdout).toBe('');
          expect(r.stderr.length).toBeGreaterThan(0);
        }
        expect(await tv.vault.outgoingWebhooks.listWebhookEndpoints()).toEqual([]);
      });
    });

    it('purge prints one JSON line and exits 0, having destroyed what ended', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.vault.tickets.closeTicket(ticketId, staffActorOf(tv));

      const r = await runCli(['purge'], env);
      expect(r.code).toBe(0);
      expect(lines(r.stdout)).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ expired: 0, purged: 1, durationMs: expect.any(Number) });
      expect(await tv.vault.storage.read((s) => s.credentials.get(credentialId))).toMatchObject({ status: 'purged', endedBecause: 'ticket_closed' });
    });

    it('purge alongside a serving vault on the same file: reveals keep answering 200 or a documented 410', async () => {
      const live = await openTicketWithLink(tv);
      const kept = await submitCredential(tv, live.linkToken);
      const doomed = await openTicketWithLink(tv);
      const ended = (
        await Promise.all(Array.from({ length: 300 }, () => tv.vault.credentials.submitCredential(doomed.linkToken, { kind: 'ftp', fields: FTP_FIELDS })))
      ).map((s) => s.credentialId);
      await tv.vault.tickets.closeTicket(doomed.ticketId, staffActorOf(tv));

      const purging = runCli(['purge'], env);
      let finished = false;
      void purging.then(() => (finished = true));
      const statuses: string[] = [];
      let i = 0;
      while (!finished || statuses.length < 20) {
        const id = i++ % 2 ? kept.credentialId : ended[i % ended.length]!;
        const res = await revealAs(tv, id);
        statuses.push(id === kept.credentialId ? `${res.status}` : `${res.status} ${res.body.code}`);
        if (statuses.length > 5000) break;
      }
      const r = await purging;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ purged: 300 });
      expect([...new Set(statuses)].sort()).toEqual(['200', '410 ticket_closed']);
    });

    describe('audit verify', () => {
      /** Drops one of the audit log's append-only triggers (each backend's syntax), then runs `sql` on the vault's database. */
      async function tamper(trigger: 'audit_events_no_update' | 'audit_events_no_delete', sql: string, ...params: unknown[]) {
        await tv.exec(onPostgres ? `DROP TRIGGER ${trigger} ON audit_events` : `DROP TRIGGER ${trigger}`);
        await tv.exec(sql, ...params);
      }

      async function arrangeEvents() {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId } = await submitCredential(tv, linkToken);
        await revealAs(tv, credentialId).expect(200);
        await revealAs(tv, credentialId).expect(200);
      }

      it('exits 0 on an intact chain and prints the head', async () => {
        await arrangeEvents();
        const r = await runCli(['audit', 'verify'], env);
        expect(r.code).toBe(0);
        const head = await tv.vault.audit.verifyChain();
        expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ ok: true, count: head.count, headSeq: head.headSeq, headHash: head.headHash });
      });

      it('exits non-zero naming the first altered row after the triggers are dropped and a row is rewritten', async () => {
        await arrangeEvents();
        await tamper('audit_events_no_update', "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3");

        const r = await runCli(['audit', 'verify'], env);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\bseq 3\b/);
        expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ ok: false, firstBadSeq: 3 });
      });

      describe('on several threads (--workers)', () => {
        // Each thread checks a seq range; the ranges must link up. Tamper at a range's edge and inside one.
        async function arrangeManyEvents() {
          await arrangeEvents();
          for (let i = 0; i < 6; i++) await revealAs(tv, (await submitCredential(tv, (await openTicketWithLink(tv)).linkToken)).credentialId).expect(200);
          return tv.vault.audit.verifyChain();
        }

        it('gives the same verdict and head as one thread on an intact chain', async () => {
          const single = await arrangeManyEvents();
          for (const workers of ['2', '3']) {
            const r = await runCli(['audit', 'verify', '--workers', workers], env);
            expect(r.code).toBe(0);
            expect(JSON.parse(lines(r.stdout).at(-1)!)).toEqual(single);
          }
        });

        it.each([
          ['the first row of the second range', (count: number) => Math.ceil(count / 2) + 1],
          ['the last row of the first range', (count: number) => Math.ceil(count / 2)],
          ['a row inside the last range', (count: number) => count - 1],
        ])('names %s when it is rewritten', async (_where, seqOf) => {
          const { count } = await arrangeManyEvents();
          const seq = seqOf(count);
          await tamper('audit_events_no_update', "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = ?", seq);
          const r = await runCli(['audit', 'verify', '--workers', '2'], env);
          expect(r.code).not.toBe(0);
          expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ ok: false, firstBadSeq: seq });
        });

        it('names the missing row when the first row of the second range is deleted', async () => {
          const { count } = await arrangeManyEvents();
          const seq = Math.ceil(count / 2) + 1;
          await tamper('audit_events_no_delete', 'DELETE FROM audit_events WHERE seq = ?', seq);
          const r = await runCli(['audit', 'verify', '--workers', '2'], env);
          expect(r.code).not.toBe(0);
          expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ ok: false, firstBadSeq: seq });
        });

        it('refuses a --workers value that is not a whole number from 1 to 64', async () => {
          const r = await runCli(['audit', 'verify', '--workers', 'many'], env);
          expect(r.code).not.toBe(0);
          expect(r.stderr).toMatch(/--workers/);
        });
      });

      it('with --head saved earlier detects rows cut off the end', async () => {
        await arrangeEvents();
        const before = JSON.parse(lines((await runCli(['audit', 'verify'], env)).stdout).at(-1)!) as { headSeq: number; headHash: string };
        await tamper('audit_events_no_delete', 'DELETE FROM audit_events WHERE seq >= ?', before.headSeq - 1);

        // Without the saved head a cut chain still looks whole; with it, the cut shows.
        expect((await runCli(['audit', 'verify'], env)).code).toBe(0);
        const r = await runCli(['audit', 'verify', '--head', before.headHash], env);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(new RegExp(`\\bseq ${before.headSeq - 1}\\b`));
      });
    });

    it('audit export --since prints JSON Lines of the events at or after that time', async () => {
      const clock = new TestClock(Date.parse('2026-03-01T09:00:00.000Z'));
      const old = await createTestVault({}, { clock });
      try {
        await openTicketWithLink(old);
        await advanceClock(old, DAY);
        const since = new Date(clock.now()).toISOString();
        const { linkToken } = await openTicketWithLink(old);
        await submitCredential(old, linkToken);
        const expected = (await old.vault.audit.listEvents({ since: clock.now(), limit: 200 })).items.map((e) => e.seq).reverse();

        const all = await runCli(['audit', 'export'], databaseEnv(old));
        const r = await runCli(['audit', 'export', '--since', since], databaseEnv(old));
        expect(r.code).toBe(0);
        const events = lines(r.stdout).map((l) => JSON.parse(l) as { seq: number; at: string; action: string; hash: string });
        expect(events.map((e) => e.seq)).toEqual(expected);
        expect(events.map((e) => e.action)).toEqual(['ticket.created', 'intake_link.created', 'credential.submitted']);
        expect(events.every((e) => e.at >= since)).toBe(true);
        expect(lines(all.stdout).length).toBeGreaterThan(events.length);
        expect(all.stdout).not.toContain(FTP_FIELDS.password);

        const bad = await runCli(['audit', 'export', '--since', 'yesterday'], databaseEnv(old));
        expect(bad.code).not.toBe(0);
        expect(bad.stderr).toContain('--since');
      } finally {
        await old.close();
      }
    });

    // `backup` copies the SQLite file; on PostgreSQL it refuses and names pg_dump (the twin below).
    sqliteOnly.it('backup <file> writes a copy that opens and is never readable by others, even under umask 022, and refuses to overwrite', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const dir = path.join(tv.dir, 'backups');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o755); // an ordinary folder others may list
      const file = path.join(dir, 'backup.db');

      // Watch every file that appears in the folder while the CLI runs, and the mode each has.
      const modes = new Set<string>();
      let watching = true;
      const watch = () => {
        for (const name of fs.readdirSync(dir)) {
          try {
            modes.add(`${name} ${(fs.lstatSync(path.join(dir, name)).mode & 0o777).toString(8)}`);
          } catch {
            // gone between readdir and stat
          }
        }
        if (watching) setImmediate(watch);
      };
      const umask = process.umask(0o022); // the child inherits it: new files would be 0644
      let r: CliResult;
      try {
        watch();
        r = await runCli(['backup', file], env);
      } finally {
        watching = false;
        process.umask(umask);
      }
      expect(r.code).toBe(0);
      expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ backup: file, bytes: fs.statSync(file).size });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect([...modes].filter((m) => !m.endsWith(' 600'))).toEqual([]);
      expect(modes).toContain('backup.db 600');
      expect(fs.readdirSync(dir)).toEqual(['backup.db']); // nothing left beside it
      const copy = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.prepare('SELECT status FROM credentials WHERE id = ?').get(credentialId)).toEqual({ status: 'active' });
      } finally {
        copy.close();
      }

      const before = fs.readFileSync(file);
      const again = await runCli(['backup', file], env);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('already exists');
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      // A dangling symbolic link is refused too, not followed to create a file elsewhere.
      const link = path.join(dir, 'link.db');
      fs.symlinkSync(path.join(dir, 'elsewhere.db'), link);
      const throughLink = await runCli(['backup', link], env);
      expect(throughLink.code).not.toBe(0);
      expect(throughLink.stderr).toContain('already exists');
      expect(fs.existsSync(path.join(dir, 'elsewhere.db'))).toBe(false);
    });

    (onPostgres ? it : it.skip)('backup on PostgreSQL refuses (sqlite_only), names pg_dump and writes no file', async () => {
      const dir = path.join(tv.dir, 'backups');
      fs.mkdirSync(dir);
      const r = await runCli(['backup', path.join(dir, 'backup.db')], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('sqlite_only');
      expect(r.stderr).toContain('pg_dump');
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('keys rotate replaces the token-signing key: the running server refuses every token signed before, and takes new ones', async () => {
      const before = tv.tokens.engineer;
      await tv.http.get('/api/v1/tickets').set('Authorization', `Bearer ${before}`).expect(200);
      const r = await runCli(['keys', 'rotate'], env);
      expect(r.code).toBe(0);
      const summary = JSON.parse(lines(r.stdout).at(-1)!);
      expect(summary).toMatchObject({ signingKeyId: expect.stringMatching(/^signing_/), signingKeysDeleted: 1 });
      expect(r.stderr).toContain('every bearer token issued so far has stopped working');

      expect((await tv.http.get('/api/v1/tickets').set('Authorization', `Bearer ${before}`).expect(401)).body.code).toBe('invalid_token');
      const issued = await runCli(['staff', 'token', 'engineer@vendor.test'], env);
      await tv.http.get('/api/v1/tickets').set('Authorization', `Bearer ${lines(issued.stdout).at(-1)!}`).expect(200);
    });

    // The SQLite file's copy killed mid-way (a ballast table made with SQLite's randomblob).
    sqliteOnly.it('backup killed while it copies leaves no file under the backup name, only a partial one beside it', async () => {
      // A database big enough that the copy is still being written when the first bytes appear.
      const raw = new BetterSqlite3(tv.vault.config.databasePath);
      raw.exec('CREATE TABLE test_ballast (x BLOB)');
      const insert = raw.prepare('INSERT INTO test_ballast VALUES (randomblob(65536))');
      raw.transaction(() => {
        for (let i = 0; i < 1500; i++) insert.run();
      })();
      raw.close();
      const dir = path.join(tv.dir, 'backups');
      fs.mkdirSync(dir);
      const file = path.join(dir, 'backup.db');

      const child = spawn(process.execPath, [BIN, 'backup', file], { cwd: ROOT, env: cliEnv(env), stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const writing = () => fs.readdirSync(dir).some((name) => fs.statSync(path.join(dir, name)).size > 0);
      await new Promise<void>((resolve, reject) => {
        const poll = () => {
          if (writing()) return resolve();
          if (child.exitCode !== null) return reject(new Error('backup finished before it was seen writing'));
          setImmediate(poll);
        };
        poll();
      });
      child.kill('SIGKILL');
      await exited;

      // Killed mid-copy: nothing under the final name (a copy that finished first would be whole).
      if (fs.existsSync(file)) {
        const copy = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        copy.close();
      }
      expect(fs.readdirSync(dir).filter((name) => name !== 'backup.db' && !/^\.backup\.db\.partial-[0-9a-f]+(-journal)?$/.test(name))).toEqual([]);
      for (const name of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
      if (!fs.existsSync(file)) {
        const r = await runCli(['backup', file], env, { timeoutMs: 60_000 });
        expect(r.code).toBe(0);
      }
    });

    // The SQLite file's copy onto a full tmpfs.
    sqliteOnly.it('backup onto a full disk fails without leaving a file under the backup name or beside it', async () => {
      const mount = mountTmpfs(1024 * 1024);
      if (!mount) return console.warn('cli.test: mounting a tmpfs was refused; the full-disk backup case is skipped');
      try {
        const raw = new BetterSqlite3(tv.vault.config.databasePath);
        raw.exec('CREATE TABLE test_ballast (x BLOB)');
        raw.prepare('INSERT INTO test_ballast VALUES (randomblob(4 * 1024 * 1024))').run();
        raw.close();
        const file = path.join(mount, 'backup.db');
        const r = await runCli(['backup', file], env);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/full/i);
        expect(fs.readdirSync(mount)).toEqual([]);
      } finally {
        unmountTmpfs(mount);
      }
    });

    it('keys rotate prints JSON and leaves every credential revealable under the new master key alone', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const newKey = Buffer.alloc(32, 9).toString('base64');
      const oldSigningKey = (await tv.query("SELECT wrapped FROM vault_keys WHERE purpose = 'signing'"))[0]!.wrapped as Buffer;
      const storedKeys = async () => (await tv.query('SELECT wrapped FROM vault_keys')).map((row) => Buffer.from(row.wrapped as Uint8Array));
      expect((await storedKeys()).some((key) => key.equals(oldSigningKey))).toBe(true);
      // The SQLite file's bytes (PostgreSQL keeps old bytes in WAL and free space until recycled: README).
      if (!onPostgres) expect(placesHolding(tv, oldSigningKey)).not.toEqual([]);

      const r = await runCli(['keys', 'rotate'], { ...env, MASTER_KEY: `${newKey},${MASTER_KEY}` });
      expect(r.code).toBe(0);
      const summary = JSON.parse(lines(r.stdout).at(-1)!);
      expect(summary).toMatchObject({ kekId: expect.any(String), rewrapped: expect.objectContaining({ dataKeys: 1, receiptTokens: 1 }) });
      // The retired signing key is destroyed key material: no row holds it, and nothing of it is left in the SQLite files.
      expect((await storedKeys()).some((key) => key.equals(oldSigningKey))).toBe(false);
      if (!onPostgres) expect(placesHolding(tv, oldSigningKey)).toEqual([]);

      const rotated = await composeVault(parseConfig({ NODE_ENV: 'test', ...databaseEnv(tv), MASTER_KEY: newKey, PUBLIC_URL }), {
        log: createLogger('silent'),
      });
      try {
        const revealed = await rotated.reveal.revealCredential(credentialId, { reason: 'after rotation' }, staffActorOf(tv));
        expect(revealed.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
      } finally {
        await rotated.close();
      }
    });

    it('migrate prints JSON: every migration on a new file, none the second time', async () => {
      const dir = makeTempDir();
      try {
        const fresh = { DATABASE_PATH: path.join(dir, 'new.db') };
        const first = await runCli(['migrate'], fresh);
        expect(first.code).toBe(0);
        const applied = JSON.parse(lines(first.stdout).at(-1)!) as { applied: string[]; current: number };
        expect(applied.applied.length).toBe(applied.current);
        expect(applied.applied[0]).toMatch(/^001-/);

        const second = await runCli(['migrate'], fresh);
        expect(JSON.parse(lines(second.stdout).at(-1)!)).toEqual({ applied: [], current: applied.current });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('configuration errors', () => {
    it.each([
      ['PORT=abc', { PORT: 'abc' }, 'PORT'],
      ['NODE_ENV=production without a master key', { NODE_ENV: 'production', MASTER_KEY: '' }, 'MASTER_KEY'],
      ['a master key that is not 32 bytes', { MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'MASTER_KEY'],
      ['CREDENTIAL_MAX_AGE_SECONDS below a minute', { CREDENTIAL_MAX_AGE_SECONDS: '5' }, 'CREDENTIAL_MAX_AGE_SECONDS'],
    ])('%s stops the command with a non-zero exit naming the key on stderr', async (_case, bad, key) => {
      const dir = makeTempDir();
      try {
        const r = await runCli(['purge'], { DATABASE_PATH: path.join(dir, 'tv.db'), ...bad });
        expect(r.code).not.toBe(0);
        expect(r.code).not.toBeNull();
        expect(r.stderr).toContain(key);
        expect(r.stdout.trim()).toBe('');
        expect(fs.existsSync(path.join(dir, 'tv.db'))).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('serve', () => {
    it('starts, answers /readyz, and stops cleanly on SIGTERM', async () => {
      const dir = makeTempDir();
      const child = spawn(process.execPath, [BIN, 'serve'], {
        cwd: ROOT,
        // Outside production `serve` refuses an https PUBLIC_URL (test/development-mode.test.ts).
        env: cliEnv({ DATABASE_PATH: path.join(dir, 'tv.db'), PORT: '0', HOST: '127.0.0.1', PURGE_INTERVAL_SECONDS: '3600', PUBLIC_URL: 'http://vault.example.test' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let stderr = '';
        child.stdout.resume();
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`serve did not start in time: ${stderr}`)), 15_000);
          child.stderr.on('data', (d) => {
            stderr += d;
            const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
            if (match) {
              clearTimeout(timer);
              resolve(match[1]!);
            }
          });
          child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
        });
        expect(url).not.toMatch(/:0$/);

        const ready = await fetch(`${url}/readyz`);
        expect(ready.status).toBe(200);
        expect(JSON.parse(await ready.text())).toEqual({ status: 'ready' });

        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('exit', (code, signal) => resolve({ code, signal })),
        );
        child.kill('SIGTERM');
        // The bound's timer is cleared: left running, it kept this jest worker alive for 10 s after the file.
        let bound: NodeJS.Timeout | undefined;
        const bounded = await Promise.race([exited, new Promise<'timeout'>((resolve) => (bound = setTimeout(() => resolve('timeout'), 10_000)))]);
        clearTimeout(bound);
        expect(bounded).toEqual({ code: 0, signal: null });
        expect(stderr).toContain('SIGTERM');
        await expect(fetch(`${url}/readyz`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
