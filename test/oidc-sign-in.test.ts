import { jest } from '@jest/globals';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { createOidcSignIn, roleFromClaims } from '../src/staff-auth/oidc-sign-in.js';
import { STEP_UP_AFTER_MS } from '../src/staff-auth/staff-sessions.js';
import { CLIENT_ID, makeProviderKey, startOidcProvider, type TestProvider } from './harness/oidc-provider.js';
import { givePassword, sameOrigin, sessionCookieFrom } from './harness/staff-sessions.js';
import { auditEvents, BY_OPERATOR, createTestVault, expectProblem, openTicketWithLink, submitCredential, TestClock, type TestVault } from './harness/test-vault.js';

// Single sign-on against a real OpenID Connect provider on 127.0.0.1 (test/harness/oidc-provider.ts):
// the authorization code flow with PKCE through the console's routes, and the ID token checks —
// issuer, audience, expiry, nonce, pinned algorithms (no HS256 with the public key, no "none"),
// and the provider's key rotation — with real jose, real HTTP and real signatures.

jest.setTimeout(60_000);

const CALLBACK = '/console/oidc/callback';

interface Flow {
  authorize: URL;
  flowCookie: string;
  callback: Awaited<ReturnType<TestVault['http']['get']>>;
  session?: string;
}

function cookiePair(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return cookies.find((c) => c.startsWith(`${name}=`) && !c.startsWith(`${name}=;`))?.split(';')[0];
}

describe('single sign-on (OIDC)', () => {
  let provider: TestProvider;
  let tv: TestVault;
  const clock = new TestClock();

  beforeAll(async () => {
    provider = await startOidcProvider({ now: () => clock.now() });
  });
  afterAll(() => provider.stop());
  beforeEach(async () => {
    provider.identity = {};
    provider.mint = null;
    provider.discovery.issuer = provider.issuer;
    tv = await createTestVault(
      { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: CLIENT_ID, OIDC_JWKS_URL: provider.jwksUrl, OIDC_ROLE_CLAIM: 'ticketvault_role' },
      { clock },
    );
  });
  afterEach(() => tv.close());

  /** The whole round trip a browser makes: console → provider → console. */
  async function signInThroughProvider(options: { next?: string; reauth?: boolean; cookie?: string; flowCookie?: (c: string) => string } = {}): Promise<Flow> {
    const query = new URLSearchParams({ next: options.next ?? '/console/tickets', ...(options.reauth ? { reauth: '1' } : {}) });
    const start = await tv.http.get(`/console/oidc/start?${query}`).set(options.cookie ? { Cookie: options.cookie } : {}).expect(303);
    const flowCookie = cookiePair(start, '__Host-tv_oidc')!;
    const authorize = new URL(start.headers.location!);
    const answer = await fetch(authorize, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location')!);
    const cookies = [options.flowCookie ? options.flowCookie(flowCookie) : flowCookie, options.cookie].filter(Boolean).join('; ');
    const callback = await tv.http.get(`${back.pathname}${back.search}`).set('Cookie', cookies);
    return { authorize, flowCookie, callback, session: sessionCookieFrom(callback) };
  }

  const failures = async () => (await auditEvents(tv, { action: 'staff.login_failed' })).map((e) => e.detail);

  describe('a good sign-in', () => {
    it('runs the code flow with PKCE and a nonce, provisions the member with the role the provider grants, and starts a session', async () => {
      const { authorize, flowCookie, callback, session } = await signInThroughProvider();
      expect(Object.fromEntries(authorize.searchParams)).toEqual({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: 'https://vault.example.test/console/oidc/callback',
        scope: 'openid email profile',
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
      });
      const token = provider.tokenRequests.at(-1)!;
      expect(token.get('client_id')).toBe(CLIENT_ID);
      expect(token.get('client_secret')).toBeNull();
      expect(token.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);

      expect(callback.status).toBe(200);
      expect(callback.text).toContain('<meta http-equiv="refresh" content="0;url=/console/tickets">');
      // The callback URL holds the one-time code: no Referer carries it to the next page or assets.
      expect(callback.headers['referrer-policy']).toBe('no-referrer');
      expect(String(callback.headers['set-cookie'])).toMatch(/__Host-tv_oidc=;/);
      expect(session).toMatch(/^__Host-tv_session=[A-Za-z0-9_-]{43}$/);
      expect(String(callback.headers['set-cookie'])).toMatch(/__Host-tv_session=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict/);

      // __Host-: Secure, Path=/ and no Domain, or a browser refuses it.
      const raw = (await tv.http.get('/console/oidc/start').expect(303)).headers['set-cookie'] as unknown as string[];
      expect(raw.find((c) => c.startsWith('__Host-tv_oidc='))).toMatch(/; Path=\/; .*HttpOnly; Secure; SameSite=Lax$/);
      expect(String(raw)).not.toMatch(/Domain=/i);
      expect(flowCookie).toMatch(/^__Host-tv_oidc=/);

      const me = await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);
      expect(me.body).toMatchObject({ staff: { email: 'riley@vendor.test', name: 'Riley Idp', role: 'engineer' }, session: { method: 'oidc' } });
      expect(await tv.vault.staff.findStaffByEmail('riley@vendor.test')).toMatchObject({ oidcSubject: `${provider.issuer} idp-user-riley`, passwordHash: null });
      expect((await auditEvents(tv, { action: 'staff.login' }))[0]).toMatchObject({ actor: { name: 'Riley Idp' }, detail: 'oidc' });
      // Provisioning is a staff-administration change of its own, by the provider's word.
      const [added] = await auditEvents(tv, { action: 'staff.added' });
      expect(added).toMatchObject({ actor: { type: 'system', id: null, name: 'single sign-on' } });
      expect(JSON.parse(added!.detail!)).toEqual({
        staffId: me.body.staff.id,
        email: 'riley@vendor.test',
        role: 'engineer',
        issuer: provider.issuer,
        sub: 'idp-user-riley',
      });
      await tv.http.get('/api/v1/tickets').set('Cookie', session!).expect(200);
    });

    it('finds the same member next time by subject, taking the role the provider now grants', async () => {
      await signInThroughProvider();
      provider.identity = { ticketvault_role: ['staff', 'admin'], email: 'riley.new@vendor.test' };
      const { session } = await signInThroughProvider();
      const me = await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);
      expect(me.body.staff).toMatchObject({ email: 'riley@vendor.test', role: 'admin' });
      expect((await tv.vault.staff.listStaff()).filter((s) => s.hasSso)).toHaveLength(1);
      const [changed] = await auditEvents(tv, { action: 'staff.changed' });
      expect(changed).toMatchObject({ actor: { type: 'system', name: 'single sign-on' } });
      expect(JSON.parse(changed!.detail!)).toMatchObject({ changed: ['role'], role: { from: 'engineer', to: 'admin' } });
    });

    it('links an existing local member by verified e-mail', async () => {
      provider.identity = { sub: 'idp-engineer', email: 'Engineer@vendor.test' };
      const { session } = await signInThroughProvider();
      const me = await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);
      expect(me.body.staff.id).toBe(tv.staffIds.engineer);
      expect((await tv.vault.staff.findStaffByEmail('engineer@vendor.test')).oidcSubject).toBe(`${provider.issuer} idp-engineer`);
      const [linked] = await auditEvents(tv, { action: 'staff.sso_linked' });
      expect(linked).toMatchObject({ actor: { type: 'system', name: 'single sign-on' } });
      expect(JSON.parse(linked!.detail!)).toEqual({ staffId: tv.staffIds.engineer, email: 'engineer@vendor.test', issuer: provider.issuer, sub: 'idp-engineer', relinked: false });
    });

    it('never sends the browser to another site afterwards', async () => {
      const { callback } = await signInThroughProvider({ next: 'https://evil.example/console' });
      expect(callback.text).toContain('content="0;url=/console/tickets"');
    });
  });

  describe('an ID token that must be refused', () => {
    const cases: Array<[string, string, (p: TestProvider) => void]> = [
      ['from another issuer', 'oidc_claim_iss', (p) => (p.identity = { iss: 'https://evil.example' })],
      ['for another audience', 'oidc_claim_aud', (p) => (p.identity = { aud: 'some-other-app' })],
      ['that has expired', 'oidc_token_expired', (p) => (p.identity = { iat: Math.floor(clock.now() / 1000) - 900, exp: Math.floor(clock.now() / 1000) - 600 })],
      ['without an expiry', 'oidc_claim_exp', (p) => (p.identity = { exp: null })],
      ['with another nonce', 'oidc_nonce_mismatch', (p) => (p.identity = { nonce: 'replayed-from-another-sign-in' })],
      ['for several audiences without azp', 'oidc_claim_azp', (p) => (p.identity = { aud: [CLIENT_ID, 'other-app'] })],
      [
        'signed with HS256 using the public key as the secret (algorithm confusion)',
        'oidc_algorithm_not_allowed',
        (p) =>
          (p.mint = async (claims) => {
            const pem = await exportSPKI(p.signingKey.publicKey);
            return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: p.signingKey.kid }).sign(new TextEncoder().encode(pem));
          }),
      ],
      ['unsigned (alg none)', 'oidc_algorithm_not_allowed', (p) => (p.mint = async (claims) => new UnsecuredJWT(claims).encode())],
      [
        'signed by a key the provider does not publish',
        'oidc_unknown_key',
        (p) =>
          (p.mint = async (claims) => {
            const stranger = await makeProviderKey('RS256');
            return p.sign(claims, stranger);
          }),
      ],
      [
        'with a published key id but a forged signature',
        'oidc_bad_signature',
        (p) =>
          (p.mint = async (claims) => {
            const impostor = { ...(await makeProviderKey('RS256')), kid: p.signingKey.kid };
            return p.sign(claims, impostor);
          }),
      ],
    ];

    it.each(cases)('%s: 401 on the sign-in page, no session, audited', async (_name, detail, arrange) => {
      arrange(provider);
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(401);
      expect(callback.headers['content-type']).toMatch(/^text\/html/);
      expect(callback.text).toContain('Single sign-on did not succeed. Try again.');
      expect(session).toBeUndefined();
      expect(await failures()).toEqual([detail]);
      expect((await tv.vault.staff.listStaff()).some((s) => s.email === 'riley@vendor.test')).toBe(false);
    });
  });

  describe('who may come in', () => {
    it('refuses someone the provider gives no ticketvault role (403), creating nobody', async () => {
      provider.identity = { ticketvault_role: 'viewer' };
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(403);
      expect(callback.text).toContain('Your single sign-on account has no ticketvault role.');
      expect(session).toBeUndefined();
      expect(await failures()).toEqual(['oidc_no_role']);
      expect(await tv.vault.staff.listStaff()).toHaveLength(3);
    });

    it('refuses a member disabled in ticketvault, whatever the provider says', async () => {
      await signInThroughProvider();
      const riley = await tv.vault.staff.findStaffByEmail('riley@vendor.test');
      await tv.vault.staff.disableStaff('riley@vendor.test', BY_OPERATOR);
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(403);
      expect(session).toBeUndefined();
      expect((await auditEvents(tv, { action: 'staff.login_failed' }))[0]).toMatchObject({ actor: { id: riley.id }, detail: 'staff_disabled' });
    });

    it('reads the role from a nested claim path or a namespaced claim name', () => {
      expect(roleFromClaims({ realm_access: { roles: ['offline', 'auditor'] } }, 'realm_access.roles')).toBe('auditor');
      expect(roleFromClaims({ 'https://vault.example/role': 'admin' }, 'https://vault.example/role')).toBe('admin');
      expect(roleFromClaims({ roles: ['auditor', 'engineer'] }, 'roles')).toBe('engineer');
      expect(roleFromClaims({ roles: 'owner' }, 'roles')).toBeNull();
    });
  });

  /** Every staff row as stored, on either backend. */
  const staffRows = () => tv.query('SELECT * FROM staff ORDER BY id');

  describe('linking to an existing local account (DESIGN "SSO linking")', () => {
    const refusedUntouched = async (identity: Record<string, unknown>, reason: string) => {
      const before = await staffRows();
      provider.identity = identity;
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(403);
      expect(callback.text).toContain('until an admin links it');
      expect(session).toBeUndefined();
      expect(await staffRows()).toEqual(before);
      expect(await failures()).toEqual([`sso_link_refused:${reason}`]);
    };

    it('refuses the reported takeover: ADMIN@ in upper case, no email_verified, role engineer — the admin stays admin and untouched', async () => {
      await refusedUntouched({ sub: 'attacker', email: 'ADMIN@vendor.test', email_verified: null, ticketvault_role: 'engineer' }, 'email_not_verified');
      expect((await tv.vault.staff.listStaff()).filter((s) => s.role === 'admin' && !s.disabled)).toHaveLength(1);
      await tv.http.get('/api/v1/staff').set(tv.auth('admin')).expect(200);
    });

    it.each([
      ['missing', null],
      ['the string "true"', 'true'],
      ['the string "false"', 'false'],
      ['false', false],
      ['1', 1],
    ])('refuses to link when email_verified is %s', async (_name, emailVerified) => {
      await refusedUntouched({ sub: 'idp-engineer', email: 'engineer@vendor.test', email_verified: emailVerified }, 'email_not_verified');
    });

    it('refuses to link an account that has a password, even with a verified e-mail', async () => {
      await tv.vault.staff.setStaffPassword(tv.staffIds.engineer, { password: 'the engineer has a password' }, BY_OPERATOR);
      await refusedUntouched({ sub: 'idp-engineer', email: 'engineer@vendor.test' }, 'account_has_password');
    });

    it('refuses to link an admin account, even with a verified e-mail and the admin role at the provider', async () => {
      await refusedUntouched({ sub: 'idp-admin', email: 'admin@vendor.test', ticketvault_role: 'admin' }, 'account_is_admin');
    });

    it('refuses to re-link an account already linked to another identity', async () => {
      await tv.vault.staff.linkStaffSso(tv.staffIds.engineer, { sub: 'the-real-engineer' }, BY_OPERATOR);
      await refusedUntouched({ sub: 'someone-else', email: 'engineer@vendor.test' }, 'linked_to_another_identity');
    });

    it('an account linked by an admin (PUT /staff/:id/sso) signs in by its subject, password and admin role kept', async () => {
      await givePassword(tv, 'admin');
      const res = await tv.http.put(`/api/v1/staff/${tv.staffIds.admin}/sso`).set(tv.auth('admin')).send({ sub: 'idp-admin' }).expect(200);
      expect(res.body).toMatchObject({ id: tv.staffIds.admin, hasSso: true, hasPassword: true, role: 'admin' });
      const [linked] = await auditEvents(tv, { action: 'staff.sso_linked' });
      expect(linked).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.admin } });
      expect(JSON.parse(linked!.detail!)).toMatchObject({ issuer: provider.issuer, sub: 'idp-admin', relinked: false });

      provider.identity = { sub: 'idp-admin', email: 'ada@elsewhere.test', email_verified: null, ticketvault_role: 'admin' };
      const { session } = await signInThroughProvider();
      const me = await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);
      expect(me.body.staff).toMatchObject({ id: tv.staffIds.admin, email: 'admin@vendor.test', role: 'admin' });
      expect((await tv.vault.staff.requireStaff(tv.staffIds.admin)).passwordHash).not.toBeNull();
    });

    it('PUT /staff/:id/sso refuses a subject already linked to someone else (409) and a bad body (400), changing nothing', async () => {
      await tv.vault.staff.linkStaffSso(tv.staffIds.engineer, { sub: 'idp-engineer' }, BY_OPERATOR);
      const before = await staffRows();
      expectProblem(await tv.http.put(`/api/v1/staff/${tv.staffIds.auditor}/sso`).set(tv.auth('admin')).send({ sub: 'idp-engineer' }), 409, 'sso_subject_taken');
      expectProblem(await tv.http.put(`/api/v1/staff/${tv.staffIds.auditor}/sso`).set(tv.auth('admin')).send({ sub: '' }), 400, 'validation_failed');
      expectProblem(await tv.http.put(`/api/v1/staff/${tv.staffIds.auditor}/sso`).set(tv.auth('admin')).send({ sub: 'x', issuer: 'y' }), 400, 'unknown_field');
      expectProblem(await tv.http.put(`/api/v1/staff/${tv.staffIds.auditor}/sso`).set(tv.auth('engineer')).send({ sub: 'x' }), 403, 'forbidden');
      expect(await staffRows()).toEqual(before);
    });
  });

  describe("the provider's role never removes the vault's last admin", () => {
    it('refuses the sign-in (sso_link_refused) and leaves the admin untouched when the provider demotes the only admin', async () => {
      await tv.vault.staff.linkStaffSso(tv.staffIds.admin, { sub: 'idp-admin' }, BY_OPERATOR);
      const before = await staffRows();
      provider.identity = { sub: 'idp-admin', email: 'admin@vendor.test', ticketvault_role: 'engineer' };
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(403);
      expect(session).toBeUndefined();
      expect(await staffRows()).toEqual(before);
      expect((await auditEvents(tv, { action: 'staff.login_failed' }))[0]).toMatchObject({ actor: { id: tv.staffIds.admin }, detail: 'sso_link_refused:last_admin' });
    });

    it('takes the demotion once another admin is enabled, audited as staff.changed', async () => {
      await tv.vault.staff.linkStaffSso(tv.staffIds.admin, { sub: 'idp-admin' }, BY_OPERATOR);
      await tv.vault.staff.updateStaffMember(tv.staffIds.auditor, { role: 'admin' }, BY_OPERATOR);
      provider.identity = { sub: 'idp-admin', email: 'admin@vendor.test', ticketvault_role: 'engineer' };
      const { session } = await signInThroughProvider();
      const me = await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);
      expect(me.body.staff).toMatchObject({ id: tv.staffIds.admin, role: 'engineer' });
      expect(JSON.parse((await auditEvents(tv, { action: 'staff.changed' }))[0]!.detail!)).toMatchObject({ staffId: tv.staffIds.admin, role: { from: 'admin', to: 'engineer' } });
    });
  });

  describe('the round trip itself', () => {
    it('without the flow cookie, or with another sign-in’s state, is refused before any code is redeemed', async () => {
      const before = provider.tokenRequests.length;
      const missing = await signInThroughProvider({ flowCookie: () => '' });
      expect(missing.callback.status).toBe(401);
      const start = await tv.http.get('/console/oidc/start').expect(303);
      const other = await signInThroughProvider({ flowCookie: () => cookiePair(start, '__Host-tv_oidc')! });
      expect(other.callback.status).toBe(401);
      const tampered = await signInThroughProvider({ flowCookie: (c) => `${c.slice(0, -4)}AAAA` });
      expect(tampered.callback.status).toBe(401);
      expect(provider.tokenRequests.length).toBe(before);
      expect(await failures()).toEqual([]);
    });

    it('behind https ignores a flow cookie planted under the plain name tv_oidc (finding 11)', async () => {
      const before = provider.tokenRequests.length;
      const planted = await signInThroughProvider({ flowCookie: (c) => c.replace(/^__Host-/, '') });
      expect(planted.callback.status).toBe(401);
      expect(planted.session).toBeUndefined();
      expect(provider.tokenRequests.length).toBe(before);
    });

    it('keeps working after `keys rotate` replaced the signing key on the running vault; a flow signed before it is refused', async () => {
      const startedBefore = await tv.http.get('/console/oidc/start').expect(303);
      const other = await composeVault(tv.vault.config, { log: createLogger('silent'), clock });
      try {
        await other.rotateKeys();
      } finally {
        await other.close();
      }
      const { callback, session } = await signInThroughProvider();
      expect(callback.status).toBe(200);
      await tv.http.get('/api/v1/auth/session').set('Cookie', session!).expect(200);

      const answer = await fetch(startedBefore.headers.location!, { redirect: 'manual' });
      const back = new URL(answer.headers.get('location')!);
      const stale = await tv.http.get(`${CALLBACK}${back.search}`).set('Cookie', cookiePair(startedBefore, '__Host-tv_oidc')!);
      expect(stale.status).toBe(401);
    });

    it('a flow older than 10 minutes is refused', async () => {
      const start = await tv.http.get('/console/oidc/start').expect(303);
      const flowCookie = cookiePair(start, '__Host-tv_oidc')!;
      const answer = await fetch(start.headers.location!, { redirect: 'manual' });
      const back = new URL(answer.headers.get('location')!);
      clock.advance(11 * 60_000);
      const callback = await tv.http.get(`${CALLBACK}${back.search}`).set('Cookie', flowCookie);
      expect(callback.status).toBe(401);
    });

    it('the provider saying no (the person cancelled) lands on the sign-in page', async () => {
      const start = await tv.http.get('/console/oidc/start').expect(303);
      const state = new URL(start.headers.location!).searchParams.get('state')!;
      const callback = await tv.http.get(`${CALLBACK}?error=access_denied&state=${state}`).set('Cookie', cookiePair(start, '__Host-tv_oidc')!);
      expect(callback.status).toBe(401);
      expect(callback.text).toContain('Sign in with single sign-on');
      // Its sign-in form posts with an Origin the CSRF check accepts.
      expect(callback.headers['referrer-policy']).toBe('same-origin');
    });

    it('a discovery document naming another issuer makes sign-in unavailable (503), not unsafe', async () => {
      provider.discovery.issuer = 'https://evil.example';
      const res = await tv.http.get('/console/oidc/start').expect(503);
      expect(res.text).toContain('The single sign-on provider cannot be reached.');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('the sign-in page offers single sign-on when it is configured', async () => {
      const page = await tv.http.get('/console/sign-in?next=/console/audit').expect(200);
      expect(page.text).toContain('href="/console/oidc/start?next=%2Fconsole%2Faudit"');
    });
  });

  describe('step-up through the provider', () => {
    it('asks the provider for a fresh sign-in (prompt=login, max_age=0), refuses an old auth_time, then replaces the session', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const first = await signInThroughProvider();
      clock.advance(STEP_UP_AFTER_MS + 60_000);
      const reveal = (cookie: string) =>
        tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set('Cookie', cookie).set(sameOrigin(tv)).send({ reason: 'SSO step-up' });
      expectProblem(await reveal(first.session!), 401, 'reauthentication_required');

      provider.identity = { auth_time: Math.floor(clock.now() / 1000) - 3600 };
      const stale = await signInThroughProvider({ reauth: true, cookie: first.session });
      expect(stale.authorize.searchParams.get('prompt')).toBe('login');
      expect(stale.authorize.searchParams.get('max_age')).toBe('0');
      expect(stale.callback.status).toBe(401);
      expect(await failures()).toEqual(['oidc_not_reauthenticated']);

      provider.identity = {};
      const fresh = await signInThroughProvider({ reauth: true, cookie: first.session, next: `/console/tickets/x#reveal-${credentialId}` });
      expect(fresh.callback.status).toBe(200);
      await reveal(fresh.session!).expect(200);
      expectProblem(await tv.http.get('/api/v1/tickets').set('Cookie', first.session!), 401, 'session_expired');
    });
  });

  describe("the provider's key rotation", () => {
    it('accepts a token signed by the new key (fetching the key set again) and refuses the removed key', async () => {
      const oidc = createOidcSignIn({
        settings: { issuer: provider.issuer, audience: CLIENT_ID, jwksUrl: provider.jwksUrl, roleClaim: 'ticketvault_role' },
        publicUrl: tv.vault.config.publicUrl,
        storage: tv.vault.storage,
        sessions: tv.vault.staffSessions,
        throttle: { reserveLoginAttempt: async () => {}, forgiveLoginAttempt: async () => {} },
        audit: tv.vault.audit,
        clock,
        log: createLogger('silent'),
        signing: tv.vault.keys.signing,
        jwksCooldownMs: 0,
      });
      const old = provider.signingKey;
      const fetches = provider.jwksFetches;
      const verified = await oidc.verifyIdToken(await provider.sign(provider.claimsFor('n-1'), old), { nonce: 'n-1' });
      expect(verified.sub).toBe('idp-user-riley');
      expect(provider.jwksFetches).toBe(fetches + 1);

      const rotated = await provider.rotate('ES256');
      expect(rotated.kid).not.toBe(old.kid);
      await expect(oidc.verifyIdToken(await provider.sign(provider.claimsFor('n-2')), { nonce: 'n-2' })).resolves.toMatchObject({ sub: 'idp-user-riley' });
      expect(provider.jwksFetches).toBe(fetches + 2);

      await expect(oidc.verifyIdToken(await provider.sign(provider.claimsFor('n-3'), old), { nonce: 'n-3' })).rejects.toMatchObject({
        code: 'oidc_sign_in_failed',
        reason: 'unknown_key',
      });
    });
  });
});
