import type { Clock } from '../clock.js';
import { hashToken, issueToken, isWellFormedToken } from '../crypto/tokens.js';
import { Unauthorized } from '../errors.js';
import type { Storage, Stores } from '../storage/storage.js';
import type { SessionEndReason, SessionMethod } from './staff-session-states.js';
import type { StaffRecord } from './staff-store.js';
import type { StaffPrincipal } from './staff-tokens.js';
import { newId } from '../ids.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and after this long in any case: a working day. */
export const SESSION_MAX_MS = 12 * 3600_000;
/** Sliding renewal writes at most once a minute per session, not on every request. */
export const SESSION_RENEW_AFTER_MS = 60_000;
/** A reveal through the console needs a sign-in at most this old (step-up). */
export const STEP_UP_AFTER_MS = 15 * 60_000;
/** Ended and expired sessions are deleted a day later; until then they only answer "ended". */
const KEEP_STALE_MS = 24 * 3600_000;

export interface StaffSession {
  id: string;
  staff: StaffPrincipal;
  method: SessionMethod;
  /** MFA is required and the member has no second factor: only enrolment is open to them. */
  enrolmentDue: boolean;
  createdAt: number;
  authenticatedAt: number;
  expiresAt: number;
  /** expiresAt as seen from now: the cookie's Max-Age. */
  expiresInMs: number;
}

export interface StartedSession {
  /** The cookie's value: shown to the browser once, stored only as its hash. */
  token: string;
  session: StaffSession;
}

const principalOf = (s: StaffRecord): StaffPrincipal => ({ id: s.id, email: s.email, name: s.name, role: s.role });

const sessionEnded = () => new Unauthorized('session_expired', 'Your session has ended; sign in again.');

export function createStaffSessions(deps: { storage: Storage; clock: Clock }) {
  const { storage, clock } = deps;

  const expiryFrom = (createdAt: number, now: number) => Math.min(now + SESSION_IDLE_MS, createdAt + SESSION_MAX_MS);

  /** A fresh session for a member who just proved who they are. Call inside the sign-in's write transaction. */
  async function startSession(s: Stores, staff: StaffRecord, method: SessionMethod, enrolmentDue = false): Promise<StartedSession> {
    const now = clock.now();
    await s.staffSessions.deleteStale(now - KEEP_STALE_MS);
    const { token, hash } = issueToken();
    const record = {
      id: newId(),
      tokenHash: hash,
      staffId: staff.id,
      method,
      createdAt: now,
      authenticatedAt: now,
      lastSeenAt: now,
      expiresAt: expiryFrom(now, now),
      endedAt: null,
      endedBecause: null,
      enrolmentDue,
    };
    await s.staffSessions.insert(record);
    return {
      token,
      session: {
        id: record.id,
        staff: principalOf(staff),
        method,
        enrolmentDue,
        createdAt: now,
        authenticatedAt: now,
        expiresAt: record.expiresAt,
        expiresInMs: record.expiresAt - now,
      },
    };
  }

  /**
   * The live session a cookie names, with its member read fresh (role changes apply at once).
   * `renewed` says the expiry slid forward, so the cookie should be sent again.
   */
  async function authenticateSession(token: string): Promise<{ session: StaffSession; renewed: boolean }> {
    if (!isWellFormedToken(token)) throw sessionEnded();
    const hash = hashToken(token);
    const { record, staff } = await storage.read(async (s) => {
      const record = await s.staffSessions.getByTokenHash(hash);
      return { record, staff: record && (await s.staff.get(record.staffId)) };
    });
    const now = clock.now();
    if (!record || record.endedAt !== null || now >= record.expiresAt) throw sessionEnded();
    if (!staff || staff.disabledAt !== null) throw sessionEnded();
    let expiresAt = record.expiresAt;
    let renewed = false;
    if (now - record.lastSeenAt >= SESSION_RENEW_AFTER_MS) {
      expiresAt = expiryFrom(record.createdAt, now);
      if (!(await storage.write((s) => s.staffSessions.renew(record.id, now, expiresAt)))) throw sessionEnded();
      renewed = true;
    }
    const session: StaffSession = {
      id: record.id,
      staff: principalOf(staff),
      method: record.method,
      enrolmentDue: record.enrolmentDue,
      createdAt: record.createdAt,
      authenticatedAt: record.authenticatedAt,
      expiresAt,
      expiresInMs: expiresAt - now,
    };
    return { session, renewed };
  }

  /** Ends the session a cookie names (logout, or replaced by a fresh sign-in); an unknown or ended one is left alone. */
  async function endSession(token: string, because: SessionEndReason, stores?: Stores): Promise<boolean> {
    if (!stores) return storage.write((s) => endSession(token, because, s));
    const record = isWellFormedToken(token) ? await stores.staffSessions.getByTokenHash(hashToken(token)) : undefined;
    return record ? stores.staffSessions.end(record.id, because, clock.now()) : false;
  }

  /** A step-up with a second factor: the session counts as signed in just now. */
  async function reauthenticateSession(s: Stores, session: StaffSession): Promise<void> {
    if (!(await s.staffSessions.reauthenticate(session.id, clock.now()))) throw sessionEnded();
  }

  /** True when the member last proved who they are longer ago than the step-up window. */
  const needsStepUp = (session: StaffSession) => clock.now() - session.authenticatedAt > STEP_UP_AFTER_MS;

  return { startSession, authenticateSession, endSession, reauthenticateSession, needsStepUp };
}

export type StaffSessions = ReturnType<typeof createStaffSessions>;
