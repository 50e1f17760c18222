import { z } from 'zod';
import type { Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/keyring.js';
import { randomBytes } from '../crypto/random.js';
import { hashToken } from '../crypto/tokens.js';
import { base32, matchTotpStep, newTotpSecret, TOTP_DIGITS, TOTP_STEP_SECONDS, totpStepAt } from '../crypto/totp.js';
import { Conflict, NotFound, Unauthorized } from '../errors.js';
import { newId } from '../ids.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid, parseInput } from '../validation.js';
import type { LoginThrottle } from './login-throttle.js';
import type { CheckedAssertion, Passkeys } from './passkeys.js';
import type { SecondFactorKind, SecondFactorRecord } from './second-factors-store.js';
import { recordStaffChange, type ChangedBy } from './staff.js';
import type { StaffRecord } from './staff-store.js';

// DESIGN "Staff MFA (local accounts)", decision 022: authenticator apps (TOTP) and recovery codes,
// enrolled from the console's account page; the admins' switch that makes everyone enrol.

export const RECOVERY_CODE_COUNT = 10;
/** 16 base32 characters: 80 random bits, shown as four groups of four. */
const RECOVERY_CODE_BYTES = 10;
const MFA_REQUIRED_SETTING = 'mfa_required';

/** How a second factor was proved: the session's method and the audit row say it. */
export type ProofMethod = 'totp' | 'recovery' | 'passkey';
/** What a passkey's challenge was issued for, when it proves a member already known. */
export type ProofPurpose = 'second_factor' | 'step_up';

export interface SecondFactorView {
  id: string;
  kind: SecondFactorKind;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AccountSecurity {
  factors: SecondFactorView[];
  recoveryCodesLeft: number;
  /** Whether this vault makes local accounts enrol (MFA_REQUIRED or the admins' switch). */
  required: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const factorView = (f: SecondFactorRecord): SecondFactorView => ({
  id: f.id,
  kind: f.kind,
  name: f.name,
  createdAt: iso(f.createdAt),
  lastUsedAt: f.lastUsedAt === null ? null : iso(f.lastUsedAt),
});

/** What a TOTP secret's wrapping is bound to: moved to another row, it no longer unwraps. */
export const totpContext = (f: Pick<SecondFactorRecord, 'id' | 'staffId'>) => `ticketvault/totp/v1|${f.id}|${f.staffId}`;

/** What people type: case, spaces and dashes do not matter, nor 0/1/8 for O/I/B (base32 has no digits 0, 1, 8, 9). */
const normalizeRecoveryCode = (code: string) =>
  code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/0/g, 'O')
    .replace(/1/g, 'I')
    .replace(/8/g, 'B');
const hashRecoveryCode = (code: string) => hashToken(`recovery/v1|${normalizeRecoveryCode(code)}`);

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const code = z
  .string()
  .transform((v) => v.replace(/\s/g, ''))
  .pipe(z.string().regex(new RegExp(`^\\d{${TOTP_DIGITS}}$`), `must be the ${TOTP_DIGITS}-digit code from the authenticator app`));
const recoveryCode = z.string().trim().min(1, 'must not be empty').max(64);

/** A second factor as a request carries it: an authenticator code, a recovery code or a passkey's answer, exactly one. */
export const proofFields = { code: code.optional(), recoveryCode: recoveryCode.optional(), passkey: z.record(z.string(), z.unknown()).optional() };
export type Proof = { code?: string; recoveryCode?: string; passkey?: Record<string, unknown> };
/** A schema with proofFields that takes exactly one of them. */
export const withOneProof = <S extends z.ZodType<Proof>>(schema: S) =>
  schema.refine((p) => [p.code, p.recoveryCode, p.passkey].filter((v) => v !== undefined).length === 1, {
    message: 'send one of code (from the authenticator app), recoveryCode or passkey',
    path: ['code'],
  });
export const proofSchema = withOneProof(z.strictObject(proofFields));
const enrolSchema = z.strictObject({ name: name.optional() });
const passkeySchema = z.strictObject({ name: name.optional(), response: z.record(z.string(), z.unknown()) });
const confirmSchema = z.strictObject({ code });
const requiredSchema = z.strictObject({ required: z.boolean({ error: 'must be true or false' }) });

export const invalidCode = () => new Unauthorized('invalid_code', 'That code is not valid (or was used already); try the current one from the app, or a recovery code.');

export interface SecondFactorDeps {
  storage: Storage;
  keyring: Keyring;
  audit: Audit;
  clock: Clock;
  throttle: LoginThrottle;
  passkeys: Passkeys;
  /** MFA_REQUIRED: on for every local account whatever the admins' switch says. */
  requiredByConfig: boolean;
}

export function createSecondFactors(deps: SecondFactorDeps) {
  const { storage, keyring, audit, clock, throttle } = deps;

  const confirmedOf = async (s: Stores, staffId: string) => (await s.secondFactors.listForStaff(staffId)).filter((f) => f.confirmedAt !== null);

  /** Whether local accounts without a second factor must enrol before anything else. */
  async function isMfaRequired(s: Stores): Promise<boolean> {
    return deps.requiredByConfig || (await s.vaultSettings.get(MFA_REQUIRED_SETTING)) === 'true';
  }

  /** Ten fresh recovery codes for the member, voiding any earlier ones; the codes are shown once and only their hashes stored. */
  async function replaceRecoveryCodes(s: Stores, staffId: string, now: number): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => base32(randomBytes(RECOVERY_CODE_BYTES)).match(/.{4}/g)!.join('-'));
    await s.secondFactors.replaceRecoveryCodes(staffId, codes.map(hashRecoveryCode), now);
    return codes;
  }

  /**
   * Checks a second factor and spends it inside the caller's transaction: a TOTP code of a step
   * within ±1 of now and later than the factor's last used step, an unused recovery code, or a
   * passkey answer (its signature checked already) to a challenge issued after its last use. Null when it does not pass.
   */
  async function acceptProof(s: Stores, staffId: string, proof: Proof, assertion: CheckedAssertion | null): Promise<ProofMethod | null> {
    const now = clock.now();
    if (proof.passkey !== undefined) {
      if (!assertion || assertion.factor.staffId !== staffId) return null;
      return (await s.secondFactors.usePasskey(assertion.factor.id, assertion.newCounter, assertion.issuedAt, now)) ? 'passkey' : null;
    }
    if (proof.recoveryCode !== undefined) {
      return (await s.secondFactors.useRecoveryCode(staffId, hashRecoveryCode(proof.recoveryCode), now)) ? 'recovery' : null;
    }
    const current = totpStepAt(now);
    for (const factor of await confirmedOf(s, staffId)) {
      if (factor.kind !== 'totp') continue;
      const steps = [current - 1, current, current + 1].filter((step) => factor.lastStep === null || step > factor.lastStep);
      const secret = keyring.unwrap(factor.kekId!, factor.secretWrapped!, totpContext(factor));
      const step = matchTotpStep(secret, proof.code ?? '', steps);
      secret.fill(0);
      // The conditional update decides a race between two requests with the same code.
      if (step !== null && (await s.secondFactors.useStep(factor.id, step, now))) return 'totp';
    }
    return null;
  }

  /**
   * The one way a typed second factor is checked (sign-in's second step, step-up, removal): counted
   * against the sign-in limits first, a wrong one audited as `staff.login_failed` naming the factor
   * that failed; `then` runs in the same transaction as the spending of the code.
   */
  async function proveSecondFactor<T>(
    staff: StaffRecord,
    proof: Proof,
    origin: Origin,
    purpose: ProofPurpose,
    then: (s: Stores, method: ProofMethod, current: StaffRecord) => Promise<T>,
  ): Promise<T> {
    const attempt = { email: staff.email, ip: origin.ip ?? null };
    await throttle.reserveLoginAttempt(attempt);
    // The signature is checked before the transaction; the transaction spends the challenge.
    const assertion = proof.passkey !== undefined ? await deps.passkeys.checkPasskeyAssertion(proof.passkey, purpose, staff.id) : null;
    const outcome = await storage.write(async (s): Promise<{ done: T } | { failed: true }> => {
      const current = await s.staff.get(staff.id);
      const method = current && current.disabledAt === null ? await acceptProof(s, staff.id, proof, assertion) : null;
      if (!current || !method) {
        const detail =
          current && current.disabledAt !== null
            ? 'staff_disabled'
            : proof.recoveryCode !== undefined
              ? 'wrong_recovery_code'
              : proof.passkey !== undefined
                ? 'passkey_refused'
                : 'wrong_totp_code';
        await audit.record(s, { action: 'staff.login_failed', actor: { type: 'staff', id: staff.id, name: staff.name }, origin, detail });
        return { failed: true };
      }
      return { done: await then(s, method, current) };
    });
    if ('failed' in outcome) throw proof.passkey !== undefined ? new Unauthorized('passkey_refused', 'That passkey was not accepted; try again, or use a code.') : invalidCode();
    await throttle.forgiveLoginAttempt(attempt);
    return outcome.done;
  }

  const requireMember = async (s: Stores, staffId: string) => {
    const staff = await s.staff.get(staffId);
    if (!staff) throw new NotFound('staff_not_found', 'No staff member with that id.');
    return staff;
  };

  async function describeAccount(s: Stores, staffId: string): Promise<AccountSecurity> {
    return {
      factors: (await confirmedOf(s, staffId)).map(factorView),
      recoveryCodesLeft: await s.secondFactors.countRecoveryCodesLeft(staffId),
      required: await isMfaRequired(s),
    };
  }

  /** The account page: the member's confirmed factors and how many recovery codes are left. */
  const getAccountSecurity = (staffId: string) => storage.read((s) => describeAccount(s, staffId));

  /**
   * Starts adding an authenticator app: a fresh secret, stored wrapped and unconfirmed, and the
   * otpauth:// URI the page turns into a QR code. An earlier unconfirmed enrolment is dropped.
   */
  async function startTotpEnrolment(staffId: string, input: unknown) {
    const data = parseInput(enrolSchema, input ?? {});
    const secret = newTotpSecret();
    const encoded = base32(secret);
    const created = await storage.write(async (s) => {
      const staff = await requireMember(s, staffId);
      await s.secondFactors.deleteUnconfirmed(staffId);
      const id = newId(clock.now());
      const { kekId, wrapped } = keyring.wrap(secret, totpContext({ id, staffId }));
      await s.secondFactors.insert({
        id,
        staffId,
        kind: 'totp',
        name: data.name ?? 'Authenticator app',
        kekId,
        secretWrapped: wrapped,
        lastStep: null,
        credentialId: null,
        publicKey: null,
        signCount: null,
        transports: null,
        confirmedAt: null,
        createdAt: clock.now(),
        lastUsedAt: null,
      });
      return { staff, id };
    });
    secret.fill(0);
    const issuer = 'ticketvault';
    const label = encodeURIComponent(`${issuer}:${created.staff.email}`);
    return {
      id: created.id,
      secret: encoded,
      otpauthUri: `otpauth://totp/${label}?secret=${encoded}&issuer=${issuer}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`,
    };
  }

  /**
   * Confirms an enrolment with the first code from the app. The member's first factor comes with
   * ten recovery codes (shown once); their sessions held at enrolment are released.
   */
  async function confirmTotpEnrolment(staffId: string, factorId: string, input: unknown, by: ChangedBy) {
    const data = parseInput(confirmSchema, input);
    return storage.write(async (s) => {
      const staff = await requireMember(s, staffId);
      const factor = isUuid(factorId) ? await s.secondFactors.get(factorId) : undefined;
      if (!factor || factor.staffId !== staffId || factor.kind !== 'totp') throw new NotFound('factor_not_found', 'No such second factor; start adding the app again.');
      if (factor.confirmedAt !== null) throw new Conflict('factor_confirmed', 'This authenticator app is already confirmed.');
      const current = totpStepAt(clock.now());
      const secret = keyring.unwrap(factor.kekId!, factor.secretWrapped!, totpContext(factor));
      const step = matchTotpStep(secret, data.code, [current - 1, current, current + 1]);
      secret.fill(0);
      if (step === null || !(await s.secondFactors.confirm(factor.id, step, clock.now()))) throw invalidCode();
      const recoveryCodes = await afterFactorAdded(s, staff, by, 'totp_added', factor.id);
      return { factor: factorView({ ...factor, confirmedAt: clock.now() }), ...(recoveryCodes ? { recoveryCodes } : {}) };
    });
  }

  /** The member's first factor comes with recovery codes; enrolment holds none of their sessions any more. */
  async function afterFactorAdded(s: Stores, staff: StaffRecord, by: ChangedBy, change: string, factorId: string): Promise<string[] | undefined> {
    const first = (await confirmedOf(s, staff.id)).length === 1;
    const recoveryCodes = first ? await replaceRecoveryCodes(s, staff.id, clock.now()) : undefined;
    await s.staffSessions.clearEnrolmentDue(staff.id);
    await recordStaffChange(s, audit, 'staff.mfa_changed', staff, by, { change, factorId });
    return recoveryCodes;
  }

  /** Adds a passkey from the browser's answer to `passkeys.startPasskeyRegistration`'s options; named by the member. */
  async function registerPasskey(staff: StaffRecord, input: unknown, by: ChangedBy) {
    const data = parseInput(passkeySchema, input);
    const key = await deps.passkeys.checkPasskeyRegistration(staff, data.response);
    return storage.write(async (s) => {
      const current = await requireMember(s, staff.id);
      if (await s.secondFactors.getByCredentialId(key.credentialId)) throw new Conflict('passkey_exists', 'That passkey is already registered.');
      const now = clock.now();
      const factor: SecondFactorRecord = {
        id: newId(now),
        staffId: staff.id,
        kind: 'passkey',
        name: data.name ?? 'Passkey',
        kekId: null,
        secretWrapped: null,
        lastStep: null,
        credentialId: key.credentialId,
        publicKey: key.publicKey,
        signCount: key.signCount,
        transports: key.transports,
        confirmedAt: now,
        createdAt: now,
        lastUsedAt: null,
      };
      await s.secondFactors.insert(factor);
      const recoveryCodes = await afterFactorAdded(s, current, by, 'passkey_added', factor.id);
      return { factor: factorView(factor), ...(recoveryCodes ? { recoveryCodes } : {}) };
    });
  }

  /** Removes one of the member's factors; needs a fresh second factor. The last one cannot go while MFA is required. */
  async function removeSecondFactor(staff: StaffRecord, factorId: string, input: unknown, by: ChangedBy & { origin: Origin }) {
    const proof = parseInput(proofSchema, input);
    const existing = isUuid(factorId) ? await storage.read((s) => s.secondFactors.get(factorId)) : undefined;
    if (!existing || existing.staffId !== staff.id || existing.confirmedAt === null) throw new NotFound('factor_not_found', 'No such second factor.');
    return proveSecondFactor(staff, proof, by.origin, 'step_up', async (s, _method, current) => {
      const left = (await confirmedOf(s, staff.id)).filter((f) => f.id !== factorId);
      if (left.length === 0 && (await isMfaRequired(s))) {
        throw new Conflict('mfa_required', 'This vault requires a second factor: add another one before removing your last.');
      }
      await s.secondFactors.delete(factorId);
      // Recovery codes stand in for a factor; with none left they would be a second password.
      if (left.length === 0) await s.secondFactors.deleteRecoveryCodes(staff.id);
      await recordStaffChange(s, audit, 'staff.mfa_changed', current, by, { change: `${existing.kind}_removed`, factorId });
      return describeAccount(s, staff.id);
    });
  }

  /** Ten new recovery codes, voiding the old ones; needs a fresh second factor. */
  async function regenerateRecoveryCodes(staff: StaffRecord, input: unknown, by: ChangedBy & { origin: Origin }) {
    const proof = parseInput(proofSchema, input);
    return proveSecondFactor(staff, proof, by.origin, 'step_up', async (s, _method, current) => {
      if ((await confirmedOf(s, staff.id)).length === 0) throw new Conflict('no_second_factor', 'Add an authenticator app or a passkey first; recovery codes come with it.');
      const recoveryCodes = await replaceRecoveryCodes(s, staff.id, clock.now());
      await recordStaffChange(s, audit, 'staff.mfa_changed', current, by, { change: 'recovery_codes_regenerated' });
      return { recoveryCodes };
    });
  }

  /** An admin's reset for a member who lost their factors: all of them and the recovery codes go; audited. */
  function resetSecondFactors(staffId: string, by: ChangedBy) {
    if (!isUuid(staffId)) throw new NotFound('staff_not_found', 'No staff member with that id.');
    return storage.write(async (s) => {
      const staff = await requireMember(s, staffId);
      const removed = await s.secondFactors.deleteAllForStaff(staffId);
      await s.secondFactors.deleteRecoveryCodes(staffId);
      await recordStaffChange(s, audit, 'staff.mfa_changed', staff, by, { change: 'reset', removed });
      return describeAccount(s, staffId);
    });
  }

  const mfaPolicyOf = async (s: Stores) => ({
    required: await isMfaRequired(s),
    requiredByConfig: deps.requiredByConfig,
    requiredBySetting: (await s.vaultSettings.get(MFA_REQUIRED_SETTING)) === 'true',
  });

  /** The admins' switch, stored so every instance sees it; it applies at each member's next sign-in. */
  function setMfaRequired(input: unknown, by: ChangedBy) {
    const { required } = parseInput(requiredSchema, input);
    return storage.write(async (s) => {
      await s.vaultSettings.set(MFA_REQUIRED_SETTING, String(required), clock.now());
      // The vault-wide switch is a staff-administration change of everyone's sign-in (DESIGN's closed list of actions).
      await audit.record(s, { action: 'staff.mfa_changed', actor: by.actor, origin: by.origin, detail: JSON.stringify({ mfaRequired: required }) });
      return mfaPolicyOf(s);
    });
  }

  return {
    isMfaRequired,
    hasSecondFactor: async (s: Stores, staffId: string) => (await confirmedOf(s, staffId)).length > 0,
    /** The kinds of confirmed second factor the member has now (what a step-up asks for). */
    secondFactorKinds: async (staffId: string): Promise<SecondFactorKind[]> => [...new Set((await storage.read((s) => confirmedOf(s, staffId))).map((f) => f.kind))],
    countSecondFactors: (staffIds: string[]) => storage.read((s) => s.secondFactors.countConfirmed(staffIds)),
    proveSecondFactor,
    getAccountSecurity,
    startTotpEnrolment,
    confirmTotpEnrolment,
    registerPasskey,
    /** The kinds of second factor the member can use at the second step. */
    methodsOf: async (s: Stores, staffId: string): Promise<('totp' | 'recovery' | 'passkey')[]> => {
      const kinds = new Set((await confirmedOf(s, staffId)).map((f) => f.kind));
      return [...(kinds.has('totp') ? (['totp'] as const) : []), 'recovery', ...(kinds.has('passkey') ? (['passkey'] as const) : [])];
    },
    removeSecondFactor,
    regenerateRecoveryCodes,
    resetSecondFactors,
    getMfaPolicy: () => storage.read(mfaPolicyOf),
    setMfaRequired,
  };
}

export type SecondFactors = ReturnType<typeof createSecondFactors>;
