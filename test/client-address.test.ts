import { jest } from '@jest/globals';
import { IP_ATTEMPTS } from '../src/staff-auth/login-throttle.js';
import { login } from './harness/staff-sessions.js';
import { auditEvents, createTestVault, expectProblem, FTP_FIELDS, openTicketWithLink, type TestVault } from './harness/test-vault.js';

// DESIGN.md "Security rules", TRUST_PROXY: audit rows and limits use the address Express derives
// from it (req.ip). supertest connects over loopback, so the socket's peer is 127.0.0.1 or ::ffff:127.0.0.1.

jest.setTimeout(60_000);

const LOOPBACK_PEER = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

async function submittedFrom(tv: TestVault, forwardedFor: string | null): Promise<string | null> {
  const { linkToken } = await openTicketWithLink(tv);
  const post = tv.http.post(`/api/v1/intake/${linkToken}/credentials`);
  if (forwardedFor !== null) post.set('X-Forwarded-For', forwardedFor);
  const res = await post.send({ kind: 'ftp', label: 'Shop FTP', fields: FTP_FIELDS }).expect(201);
  const [event] = await auditEvents(tv, { credentialId: res.body.credentialId, action: 'credential.submitted' });
  return event!.ip;
}

describe('the client address in audit rows', () => {
  let tv: TestVault | undefined;
  afterEach(() => tv?.close());

  it.each([
    ['loopback', 'loopback'],
    ['a hop count', '1'],
    ["the proxy's own address", '127.0.0.1, ::1'],
  ])('with TRUST_PROXY naming %s, is the address the trusted proxy forwarded', async (_case, value) => {
    tv = await createTestVault({ TRUST_PROXY: value });
    // The proxy appends the address it saw; whatever the client wrote before it is not believed.
    expect(await submittedFrom(tv, '203.0.113.66, 198.51.100.7')).toBe('198.51.100.7');
  });

  it("with TRUST_PROXY unset, is the socket's peer whatever X-Forwarded-For says", async () => {
    tv = await createTestVault();
    expect(await submittedFrom(tv, '198.51.100.7')).toMatch(LOOPBACK_PEER);
  });

  it("with TRUST_PROXY naming another proxy than the peer, is the socket's peer", async () => {
    tv = await createTestVault({ TRUST_PROXY: '10.0.0.0/8' });
    expect(await submittedFrom(tv, '198.51.100.7')).toMatch(LOOPBACK_PEER);
  });
});

describe('the per-address sign-in limit against rotating X-Forwarded-For (finding 3)', () => {
  let tv: TestVault | undefined;
  afterEach(() => tv?.close());

  /** 35 failures, each to another account (the per-account limit never trips), each naming another address. */
  async function rotatingFailures(tv: TestVault, forwarded: (i: number) => string): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      const res = await login(tv, `guess${i}@vendor.test`, 'a guessed password').set('X-Forwarded-For', forwarded(i));
      statuses.push(res.status);
      if (res.status === 429) expectProblem(res, 429, 'rate_limited');
    }
    return statuses;
  }

  const throttledAfterLimit = [...Array<number>(IP_ATTEMPTS).fill(401), ...Array<number>(35 - IP_ATTEMPTS).fill(429)];

  it('TRUST_PROXY=true, under which all 35 were answered 401, no longer starts a vault', async () => {
    await expect(createTestVault({ TRUST_PROXY: 'true' })).rejects.toMatchObject({ name: 'ConfigError', key: 'TRUST_PROXY' });
  });

  it(`with TRUST_PROXY unset: the header is ignored and the ${IP_ATTEMPTS + 1}st failure answers 429`, async () => {
    tv = await createTestVault();
    expect(await rotatingFailures(tv, (i) => `203.0.113.${i + 1}`)).toEqual(throttledAfterLimit);
  });

  it('behind a trusted proxy that appends the real address: the forged part is ignored and the client is throttled', async () => {
    tv = await createTestVault({ TRUST_PROXY: 'loopback' });
    expect(await rotatingFailures(tv, (i) => `203.0.113.${i + 1}, 198.51.100.7`)).toEqual(throttledAfterLimit);
    // Another client behind the same proxy is not held up by that one.
    expect((await login(tv, 'someone@vendor.test', 'a guessed password').set('X-Forwarded-For', '198.51.100.8')).status).toBe(401);
  });
});
