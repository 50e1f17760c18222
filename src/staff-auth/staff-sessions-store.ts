import type { SessionEndReason, SessionMethod } from './staff-session-states.js';

export interface StaffSessionRecord {
  id: string;
  tokenHash: Buffer;
  staffId: string;
  method: SessionMethod;
  createdAt: number;
  authenticatedAt: number;
  lastSeenAt: number;
  expiresAt: number;
  endedAt: number | null;
  endedBecause: SessionEndReason | null;
  /** The member must enrol a second factor before anything else (MFA required, none enrolled at sign-in). */
  enrolmentDue: boolean;
}

export interface StaffSessionStore {
  insert(session: StaffSessionRecord): Promise<void>;
  getByTokenHash(tokenHash: Buffer): Promise<StaffSessionRecord | undefined>;
  /** Slides a live session's expiry; false when it has ended meanwhile. */
  renew(id: string, lastSeenAt: number, expiresAt: number): Promise<boolean>;
  end(id: string, because: SessionEndReason, at: number): Promise<boolean>;
  /** A step-up with a second factor: the session's member proved who they are again at `at`. */
  reauthenticate(id: string, at: number): Promise<boolean>;
  /** The member enrolled a second factor: none of their live sessions is held at enrolment any more. */
  clearEnrolmentDue(staffId: string): Promise<void>;
  endAllForStaff(staffId: string, because: SessionEndReason, at: number): Promise<number>;
  /** Deletes sessions that expired or ended before `before`; they can never be used again. */
  deleteStale(before: number): Promise<number>;
}
