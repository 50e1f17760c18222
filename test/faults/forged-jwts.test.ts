import fc from 'fast-check';
import { FORGED_JWTS, forgeContext, type ForgeContext } from './forged-jwts.js';
import { checkRequest, fuzzRuns, fuzzVaultPerFile, type PlainRequest } from './fuzz-vault.js';

// Issue 12, "fuzzing": a corpus of forged bearer tokens against every kind of staff route, each
// answered 401 with a problem body and no change; then random JWT-shaped tokens.

const ACCEPTED_CODES = ['unauthorized', 'invalid_token', 'token_expired'];

describe('forged bearer tokens', () => {
  const fuzzVault = fuzzVaultPerFile();
  let context: Promise<ForgeContext> | undefined;
  /** Made once the vault is up: the forger's keys and the vault's public key. */
  const forgery = () => (context ??= forgeContext(fuzzVault()));

  /** One request per kind of staff route: reads, writes, the reveal, the audit log, staff administration. */
  function targets(token: string): PlainRequest[] {
    const { pools } = fuzzVault();
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    return [
      { method: 'GET', url: '/api/v1/tickets', headers },
      { method: 'POST', url: '/api/v1/tickets', headers, body: json({ externalRef: 'FORGED-1', subject: 'x', customerEmail: 'a@b.test', supportUntil: '2027-01-01' }) },
      { method: 'POST', url: `/api/v1/tickets/${pools.tickets[0]}/intake-links`, headers, body: json({}) },
      { method: 'POST', url: `/api/v1/credentials/${pools.credentials[0]}/reveal`, headers, body: json({ reason: 'forged' }) },
      { method: 'DELETE', url: `/api/v1/credentials/${pools.credentials[0]}`, headers },
      { method: 'GET', url: '/api/v1/audit', headers },
      { method: 'GET', url: '/api/v1/audit/verify', headers },
      { method: 'GET', url: '/api/v1/staff', headers },
      { method: 'POST', url: `/api/v1/staff/${pools.staff[0]}/disable`, headers },
      { method: 'GET', url: '/api/v1/auth/session', headers },
    ];
  }

  it.each(FORGED_JWTS)('%s: 401 on every staff route, a problem body, nothing changed, no secret', async (_name, forge) => {
    for (const req of targets(forge(await forgery()))) {
      const answer = await checkRequest(fuzzVault(), req, { kind: 'api', status: 401 });
      expect(ACCEPTED_CODES).toContain(JSON.parse(answer.text).code);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="ticketvault"');
      expect(answer.text).not.toContain('CANARY');
    }
  });

  it('the genuine admin token, by contrast, passes every one of those routes', async () => {
    const fv = fuzzVault();
    for (const req of targets(fv.tv.tokens.admin)) {
      const answer = await fv.send(req);
      expect({ url: req.url, status: answer.status }).toEqual({ url: req.url, status: expect.any(Number) });
      expect(answer.status).toBeLessThan(300);
    }
  });

  /** Three base64url parts of arbitrary JSON (any alg, any claims), signed by nobody the vault trusts. */
  const jwtShaped = fc
    .record({
      header: fc.record({ alg: fc.constantFrom('EdDSA', 'none', 'HS256', 'RS256', 'ES256', 'PS256', '', 'EdDSA '), kid: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 })), typ: fc.constantFrom('JWT', 'at+jwt', undefined) }, { requiredKeys: [] }),
      claims: fc.record(
        { sub: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 })), iss: fc.string({ maxLength: 20 }), aud: fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 8 }))), exp: fc.integer(), iat: fc.integer(), nbf: fc.integer() },
        { requiredKeys: [] },
      ),
      signature: fc.uint8Array({ maxLength: 96 }),
      extra: fc.constantFrom('', '.', '..'),
    })
    .map(({ header, claims, signature, extra }) => {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${part(header)}.${part(claims)}.${Buffer.from(signature).toString('base64url')}${extra}`;
    });

  it('random JWT-shaped tokens: 401 with a problem body, nothing changed', async () => {
    const fv = fuzzVault();
    await fc.assert(
      fc.asyncProperty(jwtShaped, fc.nat(9), async (token, which) => {
        await fv.restoreFixtures();
        await checkRequest(fv, targets(token)[which]!, { kind: 'api', status: 401 });
      }),
      fuzzRuns(200),
    );
  });
});
