import type { Language } from '../languages/languages.js';

// The portal's e-mails wait here until the notice timer sends them. A row holds the facts its mail
// tells (never a secret) and, for a link, the token wrapped by the KEK, dropped once sent.

export type PortalMailKind = 'sign_in' | 'approval_request' | 'approval_decided';

export interface PortalMailFacts {
  /** Approval mails: the ticket, the credential and who asked why. */
  externalRef?: string;
  subject?: string;
  label?: string;
  engineer?: string;
  reason?: string;
  customer?: string;
  decision?: 'approved' | 'refused';
  until?: number;
  ticketId?: string;
  /** When the link in the mail stops working. */
  linkExpiresAt?: number;
}

export interface NewPortalMail {
  kind: PortalMailKind;
  to: { address: string; name: string | null };
  language: Language | null;
  facts: PortalMailFacts;
  link: { kekId: string; wrapped: Uint8Array } | null;
  at: number;
}

export interface PortalMail extends NewPortalMail {
  id: number;
  attempts: number;
}

export interface PortalMailStore {
  queue(mail: NewPortalMail): Promise<void>;
  /** Due mails, claimed (on PostgreSQL locked and skipped by other instances until the caller's transaction ends). */
  listDue(now: number, limit: number): Promise<PortalMail[]>;
  postpone(ids: number[], until: number): Promise<void>;
  /** Sent: the wrapped link goes with it. */
  markSent(id: number, at: number): Promise<void>;
  scheduleRetry(id: number, nextAttemptAt: number, error: string): Promise<void>;
  markFailed(id: number, at: number, error: string): Promise<void>;
  /** Deletes sent mails older than `sentBefore` and given-up ones older than `failedBefore`. */
  prune(sentBefore: number, failedBefore: number): Promise<number>;
}
