import { jest } from '@jest/globals';
import { base32, totpCode } from '../src/crypto/totp.js';
import { ACCOUNT_ATTEMPTS } from '../src/staff-auth/login-throttle.js';
import { PENDING_SIGN_IN_MS } from '../src/staff-auth/pending-sign-ins.js';
import { STEP_UP_AFTER_MS } from '../src/staff-auth/staff-sessions.js';
import { emailOf, givePassword, login, sameOrigin, sessionCookieFrom } from './harness/staff-sessions.js';
import {
  auditEvents,
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
import { base32Decode, totpAt } from './harness/totp.js';

// DESIGN "Staff MFA (local accounts)": TOTP enrolment, sign-in's second step, recovery codes,
// step-up with the second factor, removal, the admins' switch and reset, MFA_REQUIRED.

jest.setTimeout(60_000);

const API = '/api/v1';
const STEP = 30_000;

interface Enrolled {
  secret: string;
  factorId: string;
  recoveryCodes: string[];
}

/** Signs in with the password alone (no factor yet) and returns the cookie. */
async function passwordSession(tv: TestVault, role: 'engineer' | 'admin' = 'engineer'): Promise<string> {
  await givePassword(tv, role);
  return sessionCookieFrom(await login(tv, emailOf(role)).expect(200))!;
}

/** Adds an authenticator app through the API, as the account page does, confirming it with the current code. */
async function enrolTotp(tv: TestVault, cookie: string): Promise<Enrolled> {
  const started = await tv.http.post(`${API}/account/totp`).set('Cookie', cookie).set(sameOrigin(tv)).send({ name: 'Phone' }).expect(201);
  const { secret, id } = started.body as { secret: string; id: string };
  const confirmed = await tv.http
    .post(`${API}/account/totp/${id}/confirm`)
    .set('Cookie', cookie)
    .set(sameOrigin(tv))
    .send({ code: totpAt(secret, tv.clock.now()) })
    .expect(200);
  return { secret, factorId: id, recoveryCodes: confirmed.body.recoveryCodes };
}

/** The password step for a member with a second factor: 202 and the pending token. */
async function passwordStep(tv: TestVault, role: 'engineer' | 'admin' = 'engineer'): Promise<string> {
  const res = await login(tv, emailOf(role)).expect(202);
  expect(sessionCookieFrom(res)).toBeUndefined();
  return res.body.secondFactor.pendingToken as string;
}

const secondStep = (tv: TestVault, body: Record<string, unknown>) => tv.http.post(`${API}/auth/login/second-factor`).set(sameOrigin(tv)).send(body);

describe('staff second factor', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('TOTP codes', () => {
    it('match RFC 6238 appendix B (SHA-1, the last six digits of each 8-digit vector)', () => {
      const secret = new Uint8Array(Buffer.from('12345678901234567890'));
      const vectors: [number, string][] = [
        [59, '287082'],
        [1111111109, '081804'],
        [1111111111, '050471'],
        [1234567890, '005924'],
        [2000000000, '279037'],
        [20000000000, '353130'],
      ];
      for (const [seconds, code] of vectors) expect(totpCode(secret, Math.floor(seconds / 30))).toBe(code);
      expect(base32Decode(base32(secret))).toEqual(Buffer.from(secret));
    });
  });

  describe('enrolment', () => {
    it('stores the secret wrapped, confirms with a typed code, hands out 10 recovery codes once and audits staff.mfa_changed', async () => {
      const cookie = await passwordSession(tv);
      const started = await tv.http.post(`${API}/account/totp`).set('Cookie', cookie).set(sameOrigin(tv)).send({}).expect(201);
      expect(started.body.otpauthUri).toBe(
        `otpauth://totp/ticketvault%3Aengineer%40vendor.test?secret=${started.body.secret}&issuer=ticketvault&algorithm=SHA1&digits=6&period=30`,
      );
      expect(base32Decode(started.body.secret)).toHaveLength(20);
      // Not confirmed yet: the password alone still signs in.
      await login(tv, emailOf('engineer')).expect(200);

      const confirm = (code: string) => tv.http.post(`${API}/account/totp/${started.body.id}/confirm`).set('Cookie', cookie).set(sameOrigin(tv)).send({ code });
      expectProblem(await confirm(totpAt(started.body.secret, tv.clock.now(), 3)), 401, 'invalid_code');
      expectProblem(await confirm('12345'), 400, 'validation_failed');
      const confirmed = await confirm(totpAt(started.body.secret, tv.clock.now())).expect(200);
      expect(confirmed.body.recoveryCodes).toHaveLength(10);
      expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
      for (const code of confirmed.body.recoveryCodes) expect(code).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
      expectProblem(await confirm(totpAt(started.body.secret, tv.clock.now(), 1)), 409, 'factor_confirmed');

      const security = await tv.http.get(`${API}/account/security`).set('Cookie', cookie).expect(200);
      expect(security.body).toEqual({
        factors: [expect.objectContaining({ id: started.body.id, kind: 'totp', name: 'Authenticator app' })],
        recoveryCodesLeft: 10,
        required: false,
      });
      const [event] = await auditEvents(tv, { action: 'staff.mfa_changed' });
      expect(JSON.parse(event!.detail!)).toMatchObject({ staffId: tv.staffIds.engineer, change: 'totp_added' });

      // Neither the secret nor a recovery code is stored or logged in the clear.
      const raw = JSON.stringify(await tv.query('SELECT * FROM staff_second_factors')) + JSON.stringify(await tv.query('SELECT * FROM staff_recovery_codes'));
      expect(raw).not.toContain(started.body.secret);
      for (const code of confirmed.body.recoveryCodes) expect(raw).not.toContain(code);
      if (!onPostgres) {
        expect(placesHolding(tv, base32Decode(started.body.secret))).toEqual([]);
        expect(placesHolding(tv, started.body.secret)).toEqual([]);
      }
    });
  });

  describe('sign-in with a second factor', () => {
    it('answers the password with 202 and no cookie, then the code with a session audited as password+totp', async () => {
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(STEP);
      const pendingToken = await passwordStep(tv);
      expect(await auditEvents(tv, { action: 'staff.login' })).toHaveLength(1); // the password-only one before enrolment
      const res = await secondStep(tv, { pendingToken, code: totpAt(secret, tv.clock.now()) }).expect(200);
      const cookie = sessionCookieFrom(res)!;
      expect(res.body.session).toMatchObject({ method: 'password+totp', enrolmentRequired: false });
      await tv.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
      const [event] = await auditEvents(tv, { action: 'staff.login' });
      expect(event).toMatchObject({ actor: { id: tv.staffIds.engineer }, detail: 'password+totp' });
    });

    it('accepts the codes of the step before and after now, and refuses those two steps away', async () => {
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(10 * STEP);
      // Each success gives the attempts back, so the refusals do not add up to the limit.
      expectProblem(await secondStep(tv, { pendingToken: await passwordStep(tv), code: totpAt(secret, tv.clock.now(), -2) }), 401, 'invalid_code');
      await secondStep(tv, { pendingToken: await passwordStep(tv), code: totpAt(secret, tv.clock.now(), -1) }).expect(200);
      expectProblem(await secondStep(tv, { pendingToken: await passwordStep(tv), code: totpAt(secret, tv.clock.now(), 2) }), 401, 'invalid_code');
      await secondStep(tv, { pendingToken: await passwordStep(tv), code: totpAt(secret, tv.clock.now(), 1) }).expect(200);
    });

    it('takes each code once: the same code again, or an older step after a newer one, is refused and audited as staff.login_failed', async () => {
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(5 * STEP);
      const code = totpAt(secret, tv.clock.now());
      await secondStep(tv, { pendingToken: await passwordStep(tv), code }).expect(200);
      const pendingToken = await passwordStep(tv);
      expectProblem(await secondStep(tv, { pendingToken, code }), 401, 'invalid_code');
      expectProblem(await secondStep(tv, { pendingToken, code: totpAt(secret, tv.clock.now(), -1) }), 401, 'invalid_code');
      const failed = await auditEvents(tv, { action: 'staff.login_failed' });
      expect(failed.map((e) => e.detail)).toEqual(['wrong_totp_code', 'wrong_totp_code']);
      expect(failed[0]!.actor).toMatchObject({ type: 'staff', id: tv.staffIds.engineer });
      // Half a minute on, the next code works.
      tv.clock.advance(STEP);
      await secondStep(tv, { pendingToken, code: totpAt(secret, tv.clock.now()) }).expect(200);
    });

    it('counts wrong codes against the sign-in limit: 429 once the account has had its attempts', async () => {
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(STEP);
      const pendingToken = await passwordStep(tv);
      const wrong = totpAt(secret, tv.clock.now(), 5);
      // The password step took one attempt; a success would have given it back.
      for (let i = 1; i < ACCOUNT_ATTEMPTS; i++) expectProblem(await secondStep(tv, { pendingToken, code: wrong }), 401, 'invalid_code');
      const limited = await secondStep(tv, { pendingToken, code: totpAt(secret, tv.clock.now()) });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(await auditEvents(tv, { action: 'staff.login_failed' })).toHaveLength(ACCOUNT_ATTEMPTS - 1);
      expectProblem(await login(tv, emailOf('engineer')), 429, 'rate_limited');
    });

    it('refuses an expired, altered or foreign pending token with 401 sign_in_expired', async () => {
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(STEP);
      const pendingToken = await passwordStep(tv);
      const [id, expires, mac] = pendingToken.split('.');
      const code = totpAt(secret, tv.clock.now());
      expectProblem(await secondStep(tv, { pendingToken: `${id}.${Number(expires) + 60_000}.${mac}`, code }), 401, 'sign_in_expired');
      expectProblem(await secondStep(tv, { pendingToken: `${tv.staffIds.admin}.${expires}.${mac}`, code }), 401, 'sign_in_expired');
      expectProblem(await secondStep(tv, { pendingToken: 'nonsense', code }), 401, 'sign_in_expired');
      expectProblem(await secondStep(tv, { pendingToken, code, recoveryCode: 'AAAA' }), 400, 'validation_failed');
      tv.clock.advance(PENDING_SIGN_IN_MS);
      expectProblem(await secondStep(tv, { pendingToken, code: totpAt(secret, tv.clock.now()) }), 401, 'sign_in_expired');
      // A password change ends the sign-ins waiting for their second step.
      const fresh = await passwordStep(tv);
      await givePassword(tv, 'engineer', 'another long passphrase');
      expectProblem(await secondStep(tv, { pendingToken: fresh, code: totpAt(secret, tv.clock.now()) }), 401, 'sign_in_expired');
    });
  });

  describe('recovery codes', () => {
    it('sign in once each (password+recovery), whatever their case and dashes; regenerating voids the old ones', async () => {
      const cookie = await passwordSession(tv);
      const { secret, recoveryCodes } = await enrolTotp(tv, cookie);
      const [first, second] = recoveryCodes as [string, string];
      const signedIn = await secondStep(tv, { pendingToken: await passwordStep(tv), recoveryCode: first.toLowerCase().replace(/-/g, ' ') }).expect(200);
      expect(signedIn.body.session.method).toBe('password+recovery');
      expectProblem(await secondStep(tv, { pendingToken: await passwordStep(tv), recoveryCode: first }), 401, 'invalid_code');
      expect((await auditEvents(tv, { action: 'staff.login_failed' }))[0]!.detail).toBe('wrong_recovery_code');
      expect((await auditEvents(tv, { action: 'staff.login' }))[0]!.detail).toBe('password+recovery');

      const session = sessionCookieFrom(signedIn)!;
      expect((await tv.http.get(`${API}/account/security`).set('Cookie', session).expect(200)).body.recoveryCodesLeft).toBe(9);
      tv.clock.advance(STEP);
      const regenerate = (body: Record<string, unknown>) => tv.http.post(`${API}/account/recovery-codes`).set('Cookie', session).set(sameOrigin(tv)).send(body);
      expectProblem(await regenerate({}), 400, 'validation_failed');
      const fresh = await regenerate({ code: totpAt(secret, tv.clock.now()) }).expect(200);
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      expectProblem(await secondStep(tv, { pendingToken: await passwordStep(tv), recoveryCode: second }), 401, 'invalid_code');
      await secondStep(tv, { pendingToken: await passwordStep(tv), recoveryCode: fresh.body.recoveryCodes[9] }).expect(200);
    });
  });

  describe('step-up before a reveal', () => {
    it('asks for the second factor (stepUp second_factor), which a code gives without the password; audited step_up_totp', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const { secret } = await enrolTotp(tv, await passwordSession(tv));
      tv.clock.advance(STEP);
      const cookie = sessionCookieFrom(await secondStep(tv, { pendingToken: await passwordStep(tv), code: totpAt(secret, tv.clock.now()) }).expect(200))!;
      const reveal = () => tv.http.post(`${API}/credentials/${credentialId}/reveal`).set('Cookie', cookie).set(sameOrigin(tv)).send({ reason: 'Fixing uploads' });
      const stepUp = (body: Record<string, unknown>) => tv.http.post(`${API}/auth/step-up`).set('Cookie', cookie).set(sameOrigin(tv)).send(body);

      tv.clock.advance(STEP_UP_AFTER_MS + 1000);
      const refused = await reveal();
      expectProblem(refused, 401, 'reauthentication_required');
      expect(refused.body).toMatchObject({ stepUp: 'second_factor', passkey: false });
      expectProblem(await stepUp({ code: totpAt(secret, tv.clock.now(), 3) }), 401, 'invalid_code');
      expectProblem(await reveal(), 401, 'reauthentication_required');
      const stepped = await stepUp({ code: totpAt(secret, tv.clock.now()) }).expect(200);
      expect(stepped.body.session.authenticatedAt).toBe(new Date(tv.clock.now()).toISOString());
      expect((await reveal().expect(200)).body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
      expect((await auditEvents(tv, { action: 'staff.login' }))[0]!.detail).toBe('step_up_totp');
    });

    it('still asks a member without a second factor for the password (stepUp password)', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const cookie = await passwordSession(tv);
      tv.clock.advance(STEP_UP_AFTER_MS + 1000);
      const refused = await tv.http.post(`${API}/credentials/${credentialId}/reveal`).set('Cookie', cookie).set(sameOrigin(tv)).send({ reason: 'x' });
      expect(refused.body.stepUp).toBe('password');
      expectProblem(await tv.http.post(`${API}/auth/step-up`).set('Cookie', cookie).set(sameOrigin(tv)).send({ code: '123456' }), 401, 'invalid_code');
    });
  });

  describe('removal', () => {
    it('needs a fresh second factor; with the last factor gone the password alone signs in again and the recovery codes are void', async () => {
      const cookie = await passwordSession(tv);
      const { secret, factorId, recoveryCodes } = await enrolTotp(tv, cookie);
      const remove = (body: Record<string, unknown>) => tv.http.post(`${API}/account/factors/${factorId}/remove`).set('Cookie', cookie).set(sameOrigin(tv)).send(body);
      expectProblem(await remove({}), 400, 'validation_failed');
      expectProblem(await remove({ code: totpAt(secret, tv.clock.now()) }), 401, 'invalid_code'); // the enrolment spent this step
      tv.clock.advance(STEP);
      expectProblem(await tv.http.post(`${API}/account/factors/${tv.staffIds.admin}/remove`).set('Cookie', cookie).set(sameOrigin(tv)).send({ code: '000000' }), 404, 'factor_not_found');
      const removed = await remove({ code: totpAt(secret, tv.clock.now()) }).expect(200);
      expect(removed.body).toEqual({ factors: [], recoveryCodesLeft: 0, required: false });
      expect((await tv.query('SELECT COUNT(*) AS n FROM staff_recovery_codes'))[0]).toEqual({ n: 0 });
      await login(tv, emailOf('engineer')).expect(200);
      const [event] = await auditEvents(tv, { action: 'staff.mfa_changed' });
      expect(JSON.parse(event!.detail!)).toMatchObject({ change: 'totp_removed', factorId });
      expect(recoveryCodes).toHaveLength(10);
    });
  });

  describe('MFA required', () => {
    it('MFA_REQUIRED=true: a member without a factor signs in to enrolment only (403 mfa_enrolment_required elsewhere) until they enrol; bearer tokens are unaffected', async () => {
      const required = await createTestVault({ MFA_REQUIRED: 'true' });
      try {
        await givePassword(required, 'engineer');
        const res = await login(required, emailOf('engineer')).expect(200);
        expect(res.body.session.enrolmentRequired).toBe(true);
        const cookie = sessionCookieFrom(res)!;
        expectProblem(await required.http.get(`${API}/tickets`).set('Cookie', cookie), 403, 'mfa_enrolment_required');
        await required.http.get(`${API}/auth/session`).set('Cookie', cookie).expect(200);
        await required.http.get(`${API}/tickets`).set(required.auth('engineer')).expect(200);
        const { secret, factorId } = await enrolTotp(required, cookie);
        await required.http.get(`${API}/tickets`).set('Cookie', cookie).expect(200);
        // The last factor cannot go while MFA is required.
        required.clock.advance(STEP);
        const last = await required.http
          .post(`${API}/account/factors/${factorId}/remove`)
          .set('Cookie', cookie)
          .set(sameOrigin(required))
          .send({ code: totpAt(secret, required.clock.now()) });
        expectProblem(last, 409, 'mfa_required');
        expect((await required.http.get(`${API}/account/security`).set('Cookie', cookie)).body.factors).toHaveLength(1);
      } finally {
        await required.close();
      }
    });

    it("the admins' switch is stored and audited, and holds the next password sign-in at enrolment; non-admins cannot flip it", async () => {
      const admin = await passwordSession(tv, 'admin');
      const policy = (body: unknown, cookie = admin) => tv.http.put(`${API}/staff/mfa-policy`).set('Cookie', cookie).set(sameOrigin(tv)).send(body as object);
      expectProblem(await policy({ required: 'yes' }), 400, 'validation_failed');
      expect((await policy({ required: true }).expect(200)).body).toEqual({ required: true, requiredByConfig: false, requiredBySetting: true });
      const [event] = await auditEvents(tv, { action: 'staff.mfa_changed' });
      expect(event).toMatchObject({ actor: { id: tv.staffIds.admin }, detail: JSON.stringify({ mfaRequired: true }) });
      // Sessions that began before the switch go on; the next sign-in is held.
      await tv.http.get(`${API}/staff`).set('Cookie', admin).expect(200);
      const engineer = await passwordSession(tv, 'engineer');
      expectProblem(await tv.http.get(`${API}/tickets`).set('Cookie', engineer), 403, 'mfa_enrolment_required');
      expectProblem(await policy({ required: false }, engineer), 403, 'mfa_enrolment_required');
      expectProblem(await tv.http.put(`${API}/staff/mfa-policy`).set(tv.auth('engineer')).send({ required: false }), 403, 'forbidden');
      await policy({ required: false }).expect(200);
      await tv.http.get(`${API}/tickets`).set('Cookie', await passwordSession(tv, 'engineer')).expect(200);
    });

    it("an admin's reset removes a member's factors and recovery codes (audited); the password alone signs in again", async () => {
      await enrolTotp(tv, await passwordSession(tv));
      await login(tv, emailOf('engineer')).expect(202);
      const admin = await passwordSession(tv, 'admin');
      const list = await tv.http.get(`${API}/staff`).set('Cookie', admin).expect(200);
      expect(list.body.items.find((m: { id: string }) => m.id === tv.staffIds.engineer).secondFactors).toBe(1);
      const reset = await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/reset-mfa`).set('Cookie', admin).set(sameOrigin(tv)).send({}).expect(200);
      expect(reset.body).toEqual({ factors: [], recoveryCodesLeft: 0, required: false });
      expect(JSON.parse((await auditEvents(tv, { action: 'staff.mfa_changed' }))[0]!.detail!)).toMatchObject({ staffId: tv.staffIds.engineer, change: 'reset', removed: 1 });
      await login(tv, emailOf('engineer')).expect(200);
      expectProblem(await tv.http.post(`${API}/staff/${tv.staffIds.engineer}/reset-mfa`).set(tv.auth('engineer')).send({}), 403, 'forbidden');
    });
  });
});

describe('keys rotate', () => {
  it('re-wraps the TOTP secrets: with the old master key gone, the app still signs in', async () => {
    const OLD_KEY = Buffer.alloc(32, 7).toString('base64'); // the test vault's
    const NEW_KEY = Buffer.alloc(32, 0x33).toString('base64');
    const tv = await createTestVault();
    const { secret } = await enrolTotp(tv, await passwordSession(tv));
    const rotating = await reopenTestVault(tv, { MASTER_KEY: `${NEW_KEY},${OLD_KEY}` });
    expect((await rotating.vault.rotateKeys()).rewrapped.totpSecrets).toBe(1);
    const rotated = await reopenTestVault(rotating, { MASTER_KEY: NEW_KEY });
    try {
      rotated.clock.advance(STEP);
      const res = await secondStep(rotated, { pendingToken: await passwordStep(rotated), code: totpAt(secret, rotated.clock.now()) }).expect(200);
      expect(res.body.session.method).toBe('password+totp');
    } finally {
      await rotated.close();
    }
  });
});

describe('passkeys (the server half; the browser tests drive a virtual authenticator)', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** A browser answer that names a challenge but was made by nobody's authenticator. */
  const forged = (challenge: string, type = 'webauthn.get') => ({
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: Buffer.from(JSON.stringify({ type, challenge, origin: tv.vault.config.publicOrigin })).toString('base64url'),
      authenticatorData: 'AAAA',
      signature: 'AAAA',
      attestationObject: 'AAAA',
    },
  });

  it('offers discoverable sign-in with user verification required for this host, and refuses an answer no passkey made (audited)', async () => {
    const options = await tv.http.post(`${API}/auth/passkey/options`).set(sameOrigin(tv)).send({}).expect(200);
    expect(options.body).toMatchObject({ rpId: 'vault.example.test', userVerification: 'required', allowCredentials: [] });
    const refused = await tv.http.post(`${API}/auth/passkey`).set(sameOrigin(tv)).send({ response: forged(options.body.challenge) });
    expectProblem(refused, 401, 'passkey_refused');
    expect(sessionCookieFrom(refused)).toBeUndefined();
    expect((await auditEvents(tv, { action: 'staff.login_failed' }))[0]).toMatchObject({ actor: { id: null }, detail: 'passkey_refused' });
    expectProblem(await tv.http.post(`${API}/auth/passkey`).set(sameOrigin(tv)).send({ response: 'x' }), 400, 'validation_failed');
    expectProblem(await tv.http.post(`${API}/auth/passkey/options`).set(sameOrigin(tv)).send({ pendingToken: 'nonsense' }), 401, 'sign_in_expired');
  });

  it('asks for a resident key with user verification when adding one, and refuses an answer to a challenge it did not issue', async () => {
    const cookie = await passwordSession(tv);
    const options = await tv.http.post(`${API}/account/passkeys/options`).set('Cookie', cookie).set(sameOrigin(tv)).send({}).expect(200);
    expect(options.body).toMatchObject({
      rp: { id: 'vault.example.test', name: 'Acme Software' },
      user: { name: 'engineer@vendor.test' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    });
    const add = (challenge: string) => tv.http.post(`${API}/account/passkeys`).set('Cookie', cookie).set(sameOrigin(tv)).send({ name: 'Laptop', response: forged(challenge, 'webauthn.create') });
    expectProblem(await add(Buffer.from('register|x|1|y|z').toString('base64url')), 400, 'passkey_refused');
    expectProblem(await add(options.body.challenge), 400, 'passkey_refused');
    expect(await tv.query('SELECT * FROM staff_second_factors')).toEqual([]);
  });
});
