import type { EncryptedSecret } from '../crypto/credential-cipher.js';
import type { CredentialKind } from './credential-kinds.js';
import type { CredentialStatus, EndReason, TicketState } from './credential-states.js';

export interface CredentialRecord {
  id: string;
  ticketId: string;
  receiptId: string;
  intakeLinkId: string | null;
  kind: CredentialKind;
  label: string;
  status: CredentialStatus;
  endedBecause: EndReason | null;
  submittedAt: number;
  expiresAt: number;
  rectifiedAt: number | null;
  endedAt: number | null;
  purgedAt: number | null;
  updatedAt: number;
}

/** What batch operations report about each credential they changed. */
export interface CredentialRef {
  id: string;
  ticketId: string;
  receiptId: string;
}

/** A credential with what a reveal needs in one read: its ticket's state and its secret. */
export interface RevealRow extends CredentialRecord {
  ticket: TicketState;
  externalRef: string;
  /** The receipt's "ask me first": a reveal then waits for the customer's approval. */
  askFirst: boolean;
  secret: EncryptedSecret | null;
}

export interface CredentialStore {
  insert(record: CredentialRecord, secret: EncryptedSecret): Promise<void>;
  get(id: string): Promise<CredentialRecord | undefined>;
  getForReveal(id: string): Promise<RevealRow | undefined>;
  getSecret(id: string): Promise<EncryptedSecret | undefined>;
  listByTicket(ticketId: string): Promise<CredentialRecord[]>;
  listByReceipt(receiptId: string): Promise<CredentialRecord[]>;
  /** Live (active/restricted) credentials of a ticket. */
  listLiveByTicket(ticketId: string): Promise<CredentialRecord[]>;
  /**
   * Expires and destroys, in one statement each, up to `limit` live credentials whose expiresAt
   * has passed: they end as `expired` and are `purged` at once (the purge job's common case).
   */
  expireAndPurgeDue(now: number, limit: number): Promise<CredentialRef[]>;
  /**
   * Destroys the ciphertext and wrapped key of up to `limit` ended credentials (zeroed on disk by
   * secure_delete) and marks them purged; returns them. One statement each, not one per row.
   */
  purgeEnded(now: number, limit: number): Promise<Array<CredentialRef & { endedBecause: EndReason | null }>>;
  setStatus(id: string, status: CredentialStatus, at: number): Promise<void>;
  end(id: string, status: CredentialStatus, because: EndReason, at: number): Promise<boolean>;
  setExpiresAt(id: string, expiresAt: number, at: number): Promise<void>;
  replaceSecret(id: string, secret: EncryptedSecret, at: number): Promise<void>;
  /** Deletes ciphertext and wrapped key (zeroed on disk by secure_delete) and marks the row purged. */
  purge(id: string, at: number): Promise<boolean>;
  /** Every credential that has ended (purged or not) and why: a restore ends them again in an older copy. */
  listEnded(): Promise<Array<{ id: string; endedBecause: EndReason | null }>>;
  /** Secrets in id order after `afterId`, a page at a time (key rotation). */
  listSecretsPage(afterId: string, limit: number): Promise<Array<{ id: string; ticketId: string; kind: CredentialKind } & EncryptedSecret>>;
  rewrapSecret(id: string, kekId: string, wrappedDek: Uint8Array): Promise<void>;
}
