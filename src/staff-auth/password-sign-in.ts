import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Passwords } from '../crypto/passwords.js';
import { issueToken } from '../crypto/tokens.js';
import { Unauthorized } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { parseInput } from '../validation.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PendingSignIns } from './pending-sign-ins.js';
import { proofFields, proofSchema, withOneProof, type ProofMethod, type SecondFactors } from './second-factors.js';
import { MAX_PASSWORD_LENGTH } from './staff.js';
import type { StaffSession, StartedSession, StaffSessions } from './staff-sessions.js';
import type { Passkeys } from './passkeys.js';
import type { SessionMethod } from './staff-session-states.js';
import type { StaffRecord } from './staff-store.js';

const signInSchema = z.strictObject({
  email: z.string().min(1, 'must not be empty').max(320),
  password: z.string().min(1, 'must not be empty').max(MAX_PASSWORD_LENGTH),
});

const passkeySignInSchema = z.strictObject({ response: z.record(z.string(), z.unknown()) });

const secondStepSchema = withOneProof(z.strictObject({ pendingToken: z.string().min(1, 'must not be empty').max(200), ...proofFields }));

/** A correct password of a member with a second factor: the second step comes next. */
export interface PendingSecondFactor {
  /** Sent back with the code (POST /auth/login/second-factor); valid for 5 minutes. */
  pendingToken: string;
  expiresAt: number;
  methods: ('totp' | 'recovery' | 'passkey')[];
}

export type PasswordSignInOutcome = { started: StartedSession } | { pending: PendingSecondFactor };

const SESSION_METHOD_OF: Record<ProofMethod, SessionMethod> = { totp: 'password+totp', recovery: 'password+recovery', passkey: 'passkey' };

export interface PasswordSignInDeps {
  storage: Storage;
  secondFactors: SecondFactors;
  pendingSignIns: PendingSignIns;
  passkeys: Passkeys;
  sessions: StaffSessions;
  throttle: LoginThrottle;
  passwords: Passwords;
  audit: Audit;
  clock: Clock;
}

/** Why a sign-in failed, for the audit row only; the caller always gets the same 401. */
type FailureReason = 'unknown_account' | 'staff_disabled' | 'no_password' | 'wrong_password';

export const staffActorOf = (staff: StaffRecord): Actor => ({ type: 'staff', id: staff.id, name: staff.name });

// An unknown e-mail is not written anywhere: people type passwords into the e-mail field.
const UNKNOWN_STAFF: Actor = { type: 'staff', id: null, name: null };

const signInExpired = () => new Unauthorized('sign_in_expired', 'That sign-in has expired; enter your e-mail and password again.');

const invalidCredentials = () => new Unauthorized('invalid_credentials', 'That e-mail address and password do not match an active account.');

export function createPasswordSignIn(deps: PasswordSignInDeps) {
  const { storage, sessions, throttle, passwords, audit, secondFactors, pendingSignIns, clock } = deps;

  // Checked when there is no usable hash, so an unknown e-mail costs the same argon2id work as a wrong password.
  let dummyHash: Promise<string> | null = null;
  const dummy = () =>
    (dummyHash ??= passwords.hash(issueToken().token).catch((error: unknown) => {
      dummyHash = null;
      throw error;
    }));

  /**
   * E-mail + password → a new console session, or, for a member with a second factor, the pending
   * state its second step needs. `replacing` is the cookie of the session this sign-in supersedes
   * (a step-up), which ends with it. 429 when over the attempt limits.
   */
  async function signInWithPassword(input: unknown, origin: Origin, replacing?: string): Promise<PasswordSignInOutcome> {
    const data = parseInput(signInSchema, input);
    const attempt = { email: data.email, ip: origin.ip ?? null };
    await throttle.reserveLoginAttempt(attempt);

    const email = data.email.trim().toLowerCase();
    const staff = await storage.read((s) => s.staff.getByEmail(email));
    const fallback = await dummy();
    const hash = staff && staff.disabledAt === null ? staff.passwordHash : null;
    const matches = await passwords.verify(hash ?? fallback, data.password);

    const outcome = await storage.write(async (s): Promise<PasswordSignInOutcome | { failed: FailureReason }> => {
      // Read again: the member may have been disabled while the password was being checked.
      const current = staff && (await s.staff.get(staff.id));
      const failed: FailureReason | null = !current
        ? 'unknown_account'
        : current.disabledAt !== null
          ? 'staff_disabled'
          : current.passwordHash === null
            ? 'no_password'
            : !matches || current.passwordHash !== hash
              ? 'wrong_password'
              : null;
      if (failed) {
        await audit.record(s, { action: 'staff.login_failed', actor: current ? staffActorOf(current) : UNKNOWN_STAFF, origin, detail: failed });
        return { failed };
      }
      // The attempt stays counted until the second factor passes: the code is guessed under the same limit.
      if (await secondFactors.hasSecondFactor(s, current!.id)) {
        const { token, expiresAt } = pendingSignIns.issuePendingSignIn(current!, clock.now());
        return { pending: { pendingToken: token, expiresAt, methods: await secondFactors.methodsOf(s, current!.id) } };
      }
      const enrolmentDue = await secondFactors.isMfaRequired(s);
      if (replacing) await sessions.endSession(replacing, 'replaced', s);
      const started = await sessions.startSession(s, current!, 'password', enrolmentDue);
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(current!), origin, detail: 'password' });
      return { started };
    });
    if ('failed' in outcome) throw invalidCredentials();
    if ('started' in outcome) await throttle.forgiveLoginAttempt(attempt);
    return outcome;
  }

  /**
   * The second step: the pending token from the password step and a code from the authenticator
   * app or a recovery code → a new console session (`password+totp` / `password+recovery`).
   */
  async function completeSignIn(input: unknown, origin: Origin, replacing?: string): Promise<StartedSession> {
    const data = parseInput(secondStepSchema, input);
    const staff = await pendingMember(data.pendingToken);
    return secondFactors.proveSecondFactor(staff, data, origin, 'second_factor', async (s, method, current) => {
      if (current.passwordHash !== staff.passwordHash) throw signInExpired();
      if (replacing) await sessions.endSession(replacing, 'replaced', s);
      const started = await sessions.startSession(s, current, SESSION_METHOD_OF[method]);
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(current), origin, detail: SESSION_METHOD_OF[method] });
      return started;
    });
  }

  /**
   * The step-up before a reveal for a member with a second factor: a code (not the password)
   * makes the current session count as signed in just now. Audited as `staff.login` `step_up_totp` / `step_up_recovery`.
   */
  async function stepUpWithSecondFactor(session: StaffSession, input: unknown, origin: Origin): Promise<void> {
    const proof = parseInput(proofSchema, input);
    const staff = await storage.read((s) => s.staff.get(session.staff.id));
    if (!staff) throw signInExpired();
    await secondFactors.proveSecondFactor(staff, proof, origin, 'step_up', async (s, method, current) => {
      await sessions.reauthenticateSession(s, session);
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(current), origin, detail: `step_up_${method}` });
    });
  }

  /** The member a pending token names, if it is valid now (a passkey's challenge for the second step is bound to them). */
  async function pendingMember(pendingToken: unknown): Promise<StaffRecord> {
    const staffId = pendingSignIns.staffIdOf(pendingToken);
    const staff = staffId ? await storage.read((s) => s.staff.get(staffId)) : undefined;
    if (!staff || staff.disabledAt !== null || !pendingSignIns.checkPendingSignIn(pendingToken as string, staff, clock.now())) throw signInExpired();
    return staff;
  }

  /**
   * Sign-in with a passkey alone (a discoverable credential with user verification): the browser's
   * answer to `passkeys.startPasskeyAssertion('sign_in', null)`. Counted per client address (no
   * account is named); a refused answer is audited against the passkey's member when it names one.
   */
  async function signInWithPasskey(input: unknown, origin: Origin, replacing?: string): Promise<StartedSession> {
    const { response } = parseInput(passkeySignInSchema, input);
    const attempt = { email: null, ip: origin.ip ?? null };
    await throttle.reserveLoginAttempt(attempt);
    const assertion = await deps.passkeys.checkPasskeyAssertion(response, 'sign_in', null);
    const outcome = await storage.write(async (s): Promise<{ started: StartedSession } | { failed: true }> => {
      const staff = assertion && (await s.staff.get(assertion.factor.staffId));
      const taken = staff && staff.disabledAt === null && (await s.secondFactors.usePasskey(assertion.factor.id, assertion.newCounter, assertion.issuedAt, clock.now()));
      if (!staff || !taken) {
        const detail = staff && staff.disabledAt !== null ? 'staff_disabled' : 'passkey_refused';
        await audit.record(s, { action: 'staff.login_failed', actor: staff ? staffActorOf(staff) : UNKNOWN_STAFF, origin, detail });
        return { failed: true };
      }
      if (replacing) await sessions.endSession(replacing, 'replaced', s);
      const started = await sessions.startSession(s, staff, 'passkey');
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(staff), origin, detail: 'passkey' });
      return { started };
    });
    if ('failed' in outcome) throw new Unauthorized('passkey_refused', 'That passkey did not sign you in; try again, or use your password.');
    await throttle.forgiveLoginAttempt(attempt);
    return outcome.started;
  }

  return { signInWithPassword, completeSignIn, stepUpWithSecondFactor, signInWithPasskey, pendingMember };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
