import Database from 'better-sqlite3';
import pg from 'pg';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { signIn } from './harness/staff-sessions.js';
import { auditEvents, BY_OPERATOR, createTestVault, expectProblem, onPostgres, snapshotVault, type TestVault } from './harness/test-vault.js';

/** Another process's own connection to the vault's database (the CLI's): a second SQLite connection, or a PostgreSQL client. */
interface OtherConnection {
  /** Runs one statement (`?` placeholders), committed at once. */
  run(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

async function connectElsewhere(tv: TestVault): Promise<OtherConnection> {
  if (tv.postgres) {
    const client = new pg.Client({ connectionString: tv.postgres.url });
    await client.connect();
    return {
      run: async (sql, ...params) => {
        let n = 0;
        await client.query(sql.replace(/\?/g, () => `$${++n}`), params);
      },
      close: () => client.end(),
    };
  }
  const db = new Database(tv.vault.config.databasePath);
  db.pragma('busy_timeout = 5000');
  return {
    run: async (sql, ...params) => {
      db.prepare(sql).run(...params);
    },
    close: async () => {
      db.close();
    },
  };
}

// Verified tokens are cached until they expire; these pin that the cache never outlives what
// the token and the staff row allow.
describe('staff bearer tokens', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** The engineer's token works as an engineer's, `makeAuditor` runs, and the same token is an auditor's at once. */
  async function expectNewRoleAtOnce(makeAuditor: () => unknown) {
    await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
    await makeAuditor();
    expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 403, 'forbidden');
    await tv.http.get('/api/v1/audit').set(tv.auth('engineer')).expect(200);
  }

  describe('when a token that has been used is later disabled', () => {
    it('is refused on the next request', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      await tv.vault.staff.disableStaff('engineer@vendor.test', BY_OPERATOR);
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 401, 'invalid_token');
    });
  });

  describe('when a token that has been used passes its expiry', () => {
    it('answers 401 token_expired, cached or not', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      tv.clock.advance(8 * 3600 * 1000 + 31_000);
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 401, 'token_expired');
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 401, 'token_expired');
    });
  });

  describe('when a used token is within the clock tolerance of its expiry', () => {
    it('still works', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      tv.clock.advance(8 * 3600 * 1000 + 10_000);
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
    });
  });

  describe('when a role changes after the token was used', () => {
    it('takes the new role at once', async () => {
      await expectNewRoleAtOnce(() => tv.vault.storage.write((s) => s.staff.update(tv.staffIds.engineer, { role: 'auditor' }, tv.clock.now())));
    });
  });

  // The staff row read on every request is kept in memory between requests; these pin that
  // nothing changed elsewhere is ever answered from it.
  describe('when another process (the CLI) changes the staff row after the token was used', () => {
    let cli: OtherConnection;
    beforeEach(async () => {
      cli = await connectElsewhere(tv);
    });
    afterEach(() => cli.close());

    it('refuses a member disabled there on the next request', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      await cli.run('UPDATE staff SET disabled_at = ? WHERE id = ?', tv.clock.now(), tv.staffIds.engineer);
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 401, 'invalid_token');
    });

    it('takes a role changed there at once', async () => {
      await expectNewRoleAtOnce(() => cli.run("UPDATE staff SET role = 'auditor' WHERE id = ?", tv.staffIds.engineer));
    });
  });

  describe('when a change to the staff row is rolled back', () => {
    it('answers from what was committed, not from what the transaction had read', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('admin')).expect(200);
      await tv.vault.storage.write((s) => s.staff.update(tv.staffIds.admin, { role: 'auditor' }, tv.clock.now()));
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('admin')), 403, 'forbidden');
      // Made admin again, and the row read, inside a transaction of the vault's own that then fails.
      await expect(
        tv.vault.storage.write(async (s) => {
          await s.staff.update(tv.staffIds.admin, { role: 'admin' }, tv.clock.now());
          expect((await s.staff.get(tv.staffIds.admin))!.role).toBe('admin');
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('admin')), 403, 'forbidden');
      if (!onPostgres) {
        // The same on the test's own SQLite connection (synchronous stores, a cache of their own).
        expect(() =>
          tv.db.transaction(() => {
            tv.stores.staff.update(tv.staffIds.admin, { role: 'admin' }, tv.clock.now());
            expect(tv.stores.staff.get(tv.staffIds.admin)!.role).toBe('admin');
            throw new Error('rolled back');
          })(),
        ).toThrow('rolled back');
        expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('admin')), 403, 'forbidden');
      }
    });
  });

  describe('when a token is tampered with after a good one was cached', () => {
    it('is refused', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      const [h, p, sig] = tv.tokens.engineer.split('.');
      const forged = `${h}.${p}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'BB' : 'AA'}`;
      expectProblem(await tv.http.get('/api/v1/tickets').set({ Authorization: `Bearer ${forged}` }), 401, 'invalid_token');
    });
  });
});

// DESIGN "Bearer tokens can be revoked": tokensValidAfter, moved to now by a new password,
// disabling, enabling and `staff revoke-tokens`; and `keys rotate` replaces the signing key.
describe('revoking staff bearer tokens', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const tickets = (token: string) => tv.http.get('/api/v1/tickets').set({ Authorization: `Bearer ${token}` });
  const issue = async (role: 'engineer' | 'admin' = 'engineer') =>
    (await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.requireStaff(tv.staffIds[role]), 3600)).token;
  const revoke = (role: 'engineer' | 'admin' = 'engineer') => tv.vault.staff.revokeStaffTokens(tv.staffIds[role], BY_OPERATOR);

  it('a token issued before a revocation gets 401 token_revoked, even when it was verified and cached before', async () => {
    const token = await issue();
    await tickets(token).expect(200);
    tv.clock.advance(1000);
    await revoke();
    expectProblem(await tickets(token), 401, 'token_revoked');
    expectProblem(await tickets(token), 401, 'token_revoked');
    await tickets(await issue()).expect(200);
  });

  it('within one second: a token issued just before the revocation is refused, one issued just after works', async () => {
    tv.clock.set(Date.parse('2026-03-01T09:00:00.100Z'));
    const before = await issue();
    tv.clock.set(Date.parse('2026-03-01T09:00:00.400Z'));
    await revoke();
    tv.clock.set(Date.parse('2026-03-01T09:00:00.700Z'));
    const after = await issue();
    // Both carry the same whole-second iat: only the millisecond claim tells them apart.
    const iat = (t: string) => (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { iat: number }).iat;
    expect(iat(before)).toBe(iat(after));
    expectProblem(await tickets(before), 401, 'token_revoked');
    await tickets(after).expect(200);
  });

  it('within one millisecond: what was issued before the revocation is refused, what after works', async () => {
    const before = await issue();
    await revoke();
    const after = await issue();
    expectProblem(await tickets(before), 401, 'token_revoked');
    await tickets(after).expect(200);
  });

  it('within one millisecond, twice: a token issued between two revocations is refused by the second', async () => {
    await revoke();
    const between = await issue();
    await tickets(between).expect(200);
    await revoke();
    expectProblem(await tickets(between), 401, 'token_revoked');
    await tickets(await issue()).expect(200);
  });

  it('a new password revokes the tokens issued before it', async () => {
    const token = await issue();
    await tickets(token).expect(200);
    await tv.vault.staff.setStaffPassword(tv.staffIds.engineer, { password: 'a fresh password, long' }, BY_OPERATOR);
    expectProblem(await tickets(token), 401, 'token_revoked');
  });

  it('a member disabled and enabled again does not get their old tokens back (finding 2)', async () => {
    const token = await issue();
    await tickets(token).expect(200);
    await tv.vault.staff.disableStaff('engineer@vendor.test', BY_OPERATOR);
    expectProblem(await tickets(token), 401, 'invalid_token');
    await tv.vault.staff.enableStaff('engineer@vendor.test', BY_OPERATOR);
    expectProblem(await tickets(token), 401, 'token_revoked');
    await tickets(await issue()).expect(200);
  });

  it('a revocation committed by another process (the CLI) applies to the running server at once', async () => {
    const token = await issue();
    await tickets(token).expect(200);
    await tickets(token).expect(200);
    const cli = await connectElsewhere(tv);
    try {
      await cli.run('UPDATE staff SET tokens_valid_after = ? WHERE id = ?', tv.clock.now(), tv.staffIds.engineer);
    } finally {
      await cli.close();
    }
    expectProblem(await tickets(token), 401, 'token_revoked');
  });

  describe('POST /staff/:id/revoke-tokens', () => {
    it('revokes the member’s tokens and ends their console sessions, audited with the admin as actor', async () => {
      const token = await issue();
      const cookie = await signIn(tv, 'engineer');
      const res = await tv.http.post(`/api/v1/staff/${tv.staffIds.engineer}/revoke-tokens`).set(tv.auth('admin')).expect(200);
      expect(res.body).toMatchObject({ id: tv.staffIds.engineer });
      // Now, or a millisecond past an earlier revocation at the same instant (signing in set a password).
      expect(Date.parse(res.body.tokensValidAfter)).toBeGreaterThanOrEqual(tv.clock.now());
      expectProblem(await tickets(token), 401, 'token_revoked');
      expectProblem(await tv.http.get('/api/v1/tickets').set('Cookie', cookie), 401, 'session_expired');
      const [event] = await auditEvents(tv, { action: 'staff.tokens_revoked' });
      expect(event).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.admin, name: 'Admin Person' } });
      expect(JSON.parse(event!.detail!)).toEqual({ staffId: tv.staffIds.engineer, email: 'engineer@vendor.test' });
    });

    it('answers 404 staff_not_found for an unknown member and changes nothing', async () => {
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.post('/api/v1/staff/00000000-0000-4000-8000-000000000000/revoke-tokens').set(tv.auth('admin')), 404, 'staff_not_found');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });
});

describe('rotating the token-signing key (keys rotate)', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** `keys rotate` from another process's point of view: its own connection and stores on the same file. */
  async function rotateElsewhere() {
    const other = await composeVault(tv.vault.config, { log: createLogger('silent'), clock: tv.clock });
    try {
      return await other.rotateKeys();
    } finally {
      await other.close();
    }
  }

  it('makes every token signed before fail on the server that is already running, and signs new ones with the new key', async () => {
    const old = tv.tokens.engineer;
    await tv.http.get('/api/v1/tickets').set({ Authorization: `Bearer ${old}` }).expect(200);
    const oldKeyId = (await tv.vault.keys.signing.current()).id;

    const summary = await rotateElsewhere();
    expect(summary).toMatchObject({ signingKeyId: expect.stringMatching(/^signing_/), signingKeysDeleted: 1 });
    expect(summary.signingKeyId).not.toBe(oldKeyId);
    expect((await tv.query("SELECT id FROM vault_keys WHERE purpose = 'signing'")).map((r) => r.id)).toEqual([summary.signingKeyId]);

    expectProblem(await tv.http.get('/api/v1/tickets').set({ Authorization: `Bearer ${old}` }), 401, 'invalid_token');
    const fresh = (await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.requireStaff(tv.staffIds.engineer), 3600)).token;
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: summary.signingKeyId });
    await tv.http.get('/api/v1/tickets').set({ Authorization: `Bearer ${fresh}` }).expect(200);
  });
});
