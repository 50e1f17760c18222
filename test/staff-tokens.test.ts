import { createTestVault, expectProblem, type TestVault } from './harness/test-vault.js';

// Verified tokens are cached until they expire; these pin that the cache never outlives what
// the token and the staff row allow.
describe('staff bearer tokens', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

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
      await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')).expect(200);
      tv.vault.stores.staffStore.update(tv.staffIds.engineer, { role: 'auditor' }, tv.clock.now());
      expectProblem(await tv.http.get('/api/v1/tickets').set(tv.auth('engineer')), 403, 'forbidden');
      await tv.http.get('/api/v1/audit').set(tv.auth('engineer')).expect(200);
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
