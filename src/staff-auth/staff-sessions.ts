import type { Clock } from '../clock.js';
import { hashToken, issueToken, isWellFormedToken } from '../crypto/tokens.js';
import { Unauthorized } from '../errors.js';
import type { SessionEndReason, SessionMethod, StaffSessionStore } from './staff-sessions-store.js';
import type { StaffRecord, StaffStore } from './staff-store.js';
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

export function createStaffSessions(deps: { sessionStore: StaffSessionStore; staffStore: StaffStore; clock: Clock }) {
  const { sessionStore, staffStore, clock } = deps;

  const expiryFrom = (createdAt: number, now: number) => Math.min(now + SESSION_IDLE_MS, createdAt + SESSION_MAX_MS);

  /** A fresh session for a member who just proved who they are. Call inside the sign-in's write transaction. */
  function startSession(staff: StaffRecord, method: SessionMethod): StartedSession {
    const now = clock.now();
    sessionStore.deleteStale(now - KEEP_STALE_MS);
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
    };
    sessionStore.insert(record);
    return {
      token,
      session: {
        id: record.id,
        staff: principalOf(staff),
        method,
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
  function authenticateSession(token: string): { session: StaffSession; renewed: boolean } {
    const record = isWellFormedToken(token) ? sessionStore.getByTokenHash(hashToken(token)) : undefined;
    const now = clock.now();
    if (!record || record.endedAt !== null || now >= record.expiresAt) throw sessionEnded();
    const staff = staffStore.get(record.staffId);
    if (!staff || staff.disabledAt !== null) throw sessionEnded();
    let expiresAt = record.expiresAt;
    let renewed = false;
    if (now - record.lastSeenAt >= SESSION_RENEW_AFTER_MS) {
      expiresAt = expiryFrom(record.createdAt, now);
      if (!sessionStore.renew(record.id, now, expiresAt)) throw sessionEnded();
      renewed = true;
    }
    const session: StaffSession = {
      id: record.id,
      staff: principalOf(staff),
      method: record.method,
      createdAt: record.createdAt,
      authenticatedAt: record.authenticatedAt,
      expiresAt,
      expiresInMs: expiresAt - now,
    };
    return { session, renewed };
  }

  /** Ends the session a cookie names (logout, or replaced by a fresh sign-in); an unknown or ended one is left alone. */
  function endSession(token: string, because: SessionEndReason): boolean {
    const record = isWellFormedToken(token) ? sessionStore.getByTokenHash(hashToken(token)) : undefined;
    return record ? sessionStore.end(record.id, because, clock.now()) : false;
  }

  function endStaffSessions(staffId: string, because: SessionEndReason): number {
    return sessionStore.endAllForStaff(staffId, because, clock.now());
  }

  /** True when the member last proved who they are longer ago than the step-up window. */
  const needsStepUp = (session: StaffSession) => clock.now() - session.authenticatedAt > STEP_UP_AFTER_MS;

  return { startSession, authenticateSession, endSession, endStaffSessions, needsStepUp };
}

export type StaffSessions = ReturnType<typeof createStaffSessions>;
