import { createTestVault, expectProblem, type TestVault } from './harness/test-vault.js';

// DESIGN.md "Security rules": /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; without the
// key set it answers 404; never inferred from the client address. supertest connects over
// loopback with no X-Forwarded-For: what a same-host proxy that adds none looks like (finding 6).

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

describe('GET /metrics', () => {
  let tv: TestVault | undefined;
  afterEach(() => tv?.close());

  describe('with METRICS_TOKEN set', () => {
    beforeEach(async () => {
      tv = await createTestVault({ METRICS_TOKEN });
    });

    it('answers the Prometheus text, uncached, to its bearer token', async () => {
      const res = await tv!.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('ticketvault_');
    });

    it.each<[string, Record<string, string>]>([
      ['no Authorization (a loopback client, as a same-host proxy makes every client look)', {}],
      ['a wrong token', { Authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}x` }],
      ['the token with a suffix', { Authorization: `Bearer ${METRICS_TOKEN}x` }],
      ['the token as Basic credentials', { Authorization: `Basic ${Buffer.from(`metrics:${METRICS_TOKEN}`).toString('base64')}` }],
    ])('answers 401 with WWW-Authenticate to %s', async (_case, headers) => {
      const res = await tv!.http.get('/metrics').set(headers);
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.text).not.toContain('ticketvault_');
    });

    it("answers 401 to an admin's staff token: metrics have their own token", async () => {
      expectProblem(await tv!.http.get('/metrics').set(tv!.auth('admin')), 401, 'unauthorized');
    });

    it('answers 401 to a request a trusted proxy forwarded from loopback', async () => {
      await tv!.close();
      tv = await createTestVault({ METRICS_TOKEN, TRUST_PROXY: 'loopback' });
      expectProblem(await tv.http.get('/metrics').set('X-Forwarded-For', '127.0.0.1'), 401, 'unauthorized');
    });
  });

  describe('without METRICS_TOKEN', () => {
    it('answers 404 (a problem body) to everyone, admin token or loopback alike', async () => {
      tv = await createTestVault();
      expectProblem(await tv.http.get('/metrics'), 404, 'not_found');
      expectProblem(await tv.http.get('/metrics').set(tv.auth('admin')), 404, 'not_found');
      expectProblem(await tv.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`), 404, 'not_found');
    });
  });
});
