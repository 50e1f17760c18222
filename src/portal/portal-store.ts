import type { Language } from '../languages/languages.js';
import type { ReceiptRecord } from '../receipts/receipts-store.js';
import type { TicketRecord } from '../tickets/tickets-store.js';

// The customer portal's rows. `email` is always lower-cased: the portal matches a ticket's
// customerEmail case-insensitively.

export interface PortalSignInLinkRecord {
  tokenHash: Buffer;
  email: string;
  /** The language the customer asked in: the portal opens in it. */
  language: Language | null;
  createdAt: number;
  expiresAt: number;
}

export interface PortalSessionRecord {
  tokenHash: Buffer;
  email: string;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export interface PortalPreferences {
  notifyOnReveal: boolean;
  askFirst: boolean;
}

export interface PortalStore {
  /** Whether any ticket names this e-mail as its customer's. */
  holdsEmail(email: string): Promise<boolean>;
  insertSignInLink(link: PortalSignInLinkRecord): Promise<void>;
  countSignInLinksSince(email: string, since: number): Promise<number>;
  /** Whether a link is there and still usable (unused, unexpired), without using it. */
  signInLinkState(tokenHash: Buffer, now: number): Promise<'usable' | 'used_or_expired' | undefined>;
  /**
   * Uses a sign-in link up: one statement that marks it used only while it is unused and unexpired,
   * so of two instances racing for it exactly one gets its e-mail back.
   */
  useSignInLink(tokenHash: Buffer, now: number): Promise<{ email: string; language: Language | null } | undefined>;
  insertSession(session: PortalSessionRecord): Promise<void>;
  getSession(tokenHash: Buffer): Promise<PortalSessionRecord | undefined>;
  endSession(tokenHash: Buffer, at: number): Promise<void>;
  /** Deletes links and sessions that can never be used again (expired or ended before `before`). */
  deleteStale(before: number): Promise<number>;
  listTickets(email: string): Promise<TicketRecord[]>;
  listReceipts(email: string): Promise<ReceiptRecord[]>;
  getPreferences(email: string): Promise<PortalPreferences | undefined>;
  /** Sets the preferences for every receipt of the e-mail's tickets, and for its receipts to come. */
  setPreferences(email: string, preferences: PortalPreferences, at: number): Promise<void>;
}
