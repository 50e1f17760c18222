import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Passwords } from '../crypto/passwords.js';
import { issueToken } from '../crypto/tokens.js';
import { Unauthorized } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { parseInput } from '../validation.js';
import type { LoginThrottle } from './login-throttle.js';
import { MAX_PASSWORD_LENGTH } from './staff.js';
import type { StartedSession, StaffSessions } from './staff-sessions.js';
import type { StaffRecord } from './staff-store.js';

const signInSchema = z.strictObject({
  email: z.string().min(1, 'must not be empty').max(320),
  password: z.string().min(1, 'must not be empty').max(MAX_PASSWORD_LENGTH),
});

export interface PasswordSignInDeps {
  storage: Storage;
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

const invalidCredentials = () => new Unauthorized('invalid_credentials', 'That e-mail address and password do not match an active account.');

export function createPasswordSignIn(deps: PasswordSignInDeps) {
  const { storage, sessions, throttle, passwords, audit } = deps;

  // Checked when there is no usable hash, so an unknown e-mail costs the same argon2id work as a wrong password.
  let dummyHash: Promise<string> | null = null;
  const dummy = () =>
    (dummyHash ??= passwords.hash(issueToken().token).catch((error: unknown) => {
      dummyHash = null;
      throw error;
    }));

  /**
   * E-mail + password → a new console session. `replacing` is the cookie of the session this
   * sign-in supersedes (a step-up), which ends with it. 429 when over the attempt limits.
   */
  async function signInWithPassword(input: unknown, origin: Origin, replacing?: string): Promise<StartedSession> {
    const data = parseInput(signInSchema, input);
    const attempt = { email: data.email, ip: origin.ip ?? null };
    await throttle.reserveLoginAttempt(attempt);

    const email = data.email.trim().toLowerCase();
    const staff = await storage.read((s) => s.staff.getByEmail(email));
    const fallback = await dummy();
    const hash = staff && staff.disabledAt === null ? staff.passwordHash : null;
    const matches = await passwords.verify(hash ?? fallback, data.password);

    const outcome = await storage.write(async (s): Promise<{ started: StartedSession } | { failed: FailureReason }> => {
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
      if (replacing) await sessions.endSession(replacing, 'replaced', s);
      const started = await sessions.startSession(s, current!, 'password');
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(current!), origin, detail: 'password' });
      return { started };
    });
    if ('failed' in outcome) throw invalidCredentials();
    await throttle.forgiveLoginAttempt(attempt);
    return outcome.started;
  }

  return { signInWithPassword };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
