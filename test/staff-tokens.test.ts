import Database from 'better-sqlite3';
import { createTestVault, expectProblem, type TestVault } from './harness/test-vault.js';

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
    makeAuditor();
    expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 403, 'forbidden');
    await tv.http.get('/api/v1/audit').set(tv.auth('engineer')).expect(200);
  }

  describe('when a token that has been used is later disabled', () => {
    it('is refused on the next request', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      tv.vault.staff.disableStaff('engineer@vendor.test');
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
      await expectNewRoleAtOnce(() => tv.vault.stores.staffStore.update(tv.staffIds.engineer, { role: 'auditor' }, tv.clock.now()));
    });
  });

  // The staff row read on every request is kept in memory between requests; these pin that
  // nothing changed elsewhere is ever answered from it.
  describe('when another process (the CLI) changes the staff row after the token was used', () => {
    let cli: Database.Database;
    beforeEach(() => {
      cli = new Database(tv.vault.config.databasePath);
      cli.pragma('busy_timeout = 5000');
    });
    afterEach(() => cli.close());

    it('refuses a member disabled there on the next request', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      cli.prepare('UPDATE staff SET disabled_at = ? WHERE id = ?').run(tv.clock.now(), tv.staffIds.engineer);
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 401, 'invalid_token');
    });

    it('takes a role changed there at once', async () => {
      await expectNewRoleAtOnce(() => cli.prepare("UPDATE staff SET role = 'auditor' WHERE id = ?").run(tv.staffIds.engineer));
    });
  });

  describe('when a change to the staff row is rolled back', () => {
    it('answers from what was committed, not from what the transaction had read', async () => {
      await tv.http.get('/api/v1/tickets').set(tv.auth('admin')).expect(200);
      tv.vault.stores.staffStore.update(tv.staffIds.admin, { role: 'auditor' }, tv.clock.now());
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('admin')), 403, 'forbidden');
      // Made admin again, and the row read, inside a transaction that then fails.
      expect(() =>
        tv.vault.db.transaction(() => {
          tv.vault.stores.staffStore.update(tv.staffIds.admin, { role: 'admin' }, tv.clock.now());
          expect(tv.vault.stores.staffStore.get(tv.staffIds.admin)!.role).toBe('admin');
          throw new Error('rolled back');
        })(),
      ).toThrow('rolled back');
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('admin')), 403, 'forbidden');
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
