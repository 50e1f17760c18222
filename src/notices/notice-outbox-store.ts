import type { CredentialKind } from '../credentials/credential-kinds.js';
import type { CredentialStatus, EndReason } from '../credentials/credential-states.js';
import type { Language } from '../languages/languages.js';
import type { NoticeKind, NoticeQueue } from './notice-queue.js';

/** A queued notice with the facts its e-mail tells, read from the rows it points to. Never a secret. */
export interface PendingNotice {
  id: number;
  kind: NoticeKind;
  attempts: number;
  createdAt: number;
  ticket: { id: string; externalRef: string; subject: string; customerEmail: string; customerName: string | null };
  credential: {
    id: string;
    kind: CredentialKind;
    label: string;
    status: CredentialStatus;
    endedBecause: EndReason | null;
    submittedAt: number;
    endedAt: number | null;
    purgedAt: number | null;
  };
  /** `language`: the one the customer used (null: DEFAULT_LANGUAGE). */
  receipt: { id: string; tokenKekId: string; tokenWrapped: Uint8Array; language: Language | null };
  reveal: { at: number; by: string | null; reason: string | null } | null;
  /** The staff member who created the intake link, unless unknown or disabled. */
  engineer: { email: string; name: string } | null;
}

export interface NoticeOutboxStore extends NoticeQueue {
  listDue(now: number, limit: number): Promise<PendingNotice[]>;
  /** Pushes rows out of reach (a lease while they are being sent, or a retry time) without counting an attempt. */
  postpone(ids: number[], until: number): Promise<void>;
  scheduleRetry(ids: number[], nextAttemptAt: number, error: string): Promise<void>;
  markSent(ids: number[], at: number): Promise<void>;
  markFailed(ids: number[], at: number, error: string): Promise<void>;
  /** Closes every due row as not sent, in two statements; returns how many of each kind. */
  discardDue(now: number, error: string): Promise<Array<{ kind: NoticeKind; count: number }>>;
  /** Deletes delivered rows older than `deliveredBefore` and given-up rows older than `failedBefore`. */
  prune(deliveredBefore: number, failedBefore: number): Promise<number>;
}
