import type { CredentialKind } from '../credentials/credential-kinds.js';
import type { CredentialStatus, EndReason } from '../credentials/credential-states.js';
import type { CredentialRecord } from '../credentials/credentials-store.js';
import type { IntakeLinkRecord } from '../intake-links/intake-links-store.js';
import type { VaultKeyRow as VaultKeyRecord } from '../keys/vault-keys-store.js';
import { isLanguage } from '../languages/languages.js';
import type { PendingNotice } from '../notices/notice-outbox-store.js';
import type { NoticeKind } from '../notices/notice-queue.js';
import type { ReceiptRecord } from '../receipts/receipts-store.js';
import type { SecondFactorRecord } from '../staff-auth/second-factors-store.js';
import type { StaffSessionRecord } from '../staff-auth/staff-sessions-store.js';
import type { StaffRecord } from '../staff-auth/staff-store.js';
import type { TicketRecord } from '../tickets/tickets-store.js';

// Rows as both backends' tables hold them (snake_case, BLOB/BYTEA as Buffer, times as numbers),
// and the records the domain sees. Only the stores of src/storage/ use them.

export interface TicketRow {
  id: string;
  external_ref: string;
  subject: string;
  customer_email: string;
  customer_name: string | null;
  support_until: number;
  support_until_date: string;
  status: TicketRecord['status'];
  created_by: string | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  live_credentials?: number;
  soonest_expiry?: number | null;
}

export const ticketOf = (r: TicketRow): TicketRecord => ({
  id: r.id,
  externalRef: r.external_ref,
  subject: r.subject,
  customerEmail: r.customer_email,
  customerName: r.customer_name,
  supportUntil: r.support_until,
  supportUntilDate: r.support_until_date,
  status: r.status,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  closedAt: r.closed_at,
});

export interface IntakeLinkRow {
  id: string;
  ticket_id: string;
  token_hash: Buffer;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
}

export const intakeLinkOf = (r: IntakeLinkRow): IntakeLinkRecord => ({
  id: r.id,
  ticketId: r.ticket_id,
  tokenHash: r.token_hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  maxUses: r.max_uses,
  uses: r.uses,
  revokedAt: r.revoked_at,
});

export interface ReceiptRow {
  id: string;
  ticket_id: string;
  intake_link_id: string | null;
  token_hash: Buffer;
  token_kek_id: string;
  token_wrapped: Buffer;
  /** INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL. */
  notify_on_reveal: number | boolean;
  ask_first: number | boolean;
  language: string | null;
  created_at: number;
}

export const receiptOf = (r: ReceiptRow): ReceiptRecord => ({
  id: r.id,
  ticketId: r.ticket_id,
  intakeLinkId: r.intake_link_id,
  tokenHash: r.token_hash,
  tokenKekId: r.token_kek_id,
  tokenWrapped: new Uint8Array(r.token_wrapped),
  notifyOnReveal: r.notify_on_reveal === true || r.notify_on_reveal === 1,
  askFirst: r.ask_first === true || r.ask_first === 1,
  language: isLanguage(r.language) ? r.language : null,
  createdAt: r.created_at,
});

export interface CredentialRow {
  id: string;
  ticket_id: string;
  receipt_id: string;
  intake_link_id: string | null;
  kind: CredentialKind;
  label: string;
  status: CredentialStatus;
  ended_because: EndReason | null;
  submitted_at: number;
  expires_at: number;
  rectified_at: number | null;
  ended_at: number | null;
  purged_at: number | null;
  updated_at: number;
}

export const credentialOf = (r: CredentialRow): CredentialRecord => ({
  id: r.id,
  ticketId: r.ticket_id,
  receiptId: r.receipt_id,
  intakeLinkId: r.intake_link_id,
  kind: r.kind,
  label: r.label,
  status: r.status,
  endedBecause: r.ended_because,
  submittedAt: r.submitted_at,
  expiresAt: r.expires_at,
  rectifiedAt: r.rectified_at,
  endedAt: r.ended_at,
  purgedAt: r.purged_at,
  updatedAt: r.updated_at,
});

export interface StaffRow {
  id: string;
  email: string;
  name: string;
  role: StaffRecord['role'];
  password_hash: string | null;
  oidc_subject: string | null;
  disabled_at: number | null;
  tokens_valid_after: number;
  created_at: number;
  updated_at: number;
}

export const staffOf = (r: StaffRow): StaffRecord => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  passwordHash: r.password_hash,
  oidcSubject: r.oidc_subject,
  disabledAt: r.disabled_at,
  tokensValidAfter: r.tokens_valid_after,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface StaffSessionRow {
  id: string;
  token_hash: Buffer;
  staff_id: string;
  method: StaffSessionRecord['method'];
  created_at: number;
  authenticated_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  ended_because: StaffSessionRecord['endedBecause'];
  enrolment_due: number;
}

export const staffSessionOf = (r: StaffSessionRow): StaffSessionRecord => ({
  id: r.id,
  tokenHash: r.token_hash,
  staffId: r.staff_id,
  method: r.method,
  createdAt: r.created_at,
  authenticatedAt: r.authenticated_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endedBecause: r.ended_because,
  enrolmentDue: r.enrolment_due === 1,
});

export interface SecondFactorRow {
  id: string;
  staff_id: string;
  kind: SecondFactorRecord['kind'];
  name: string;
  kek_id: string | null;
  secret_wrapped: Buffer | null;
  last_step: number | null;
  credential_id: Buffer | null;
  public_key: Buffer | null;
  sign_count: number | null;
  transports: string | null;
  confirmed_at: number | null;
  created_at: number;
  last_used_at: number | null;
}

export const secondFactorOf = (r: SecondFactorRow): SecondFactorRecord => ({
  id: r.id,
  staffId: r.staff_id,
  kind: r.kind,
  name: r.name,
  kekId: r.kek_id,
  secretWrapped: r.secret_wrapped,
  lastStep: r.last_step,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  signCount: r.sign_count,
  transports: r.transports,
  confirmedAt: r.confirmed_at,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export interface StoredVaultKeyRow {
  id: string;
  purpose: VaultKeyRecord['purpose'];
  kek_id: string;
  wrapped: Buffer;
  public_key: Buffer | null;
  created_at: number;
  retired_at: number | null;
}

export const vaultKeyOf = (r: StoredVaultKeyRow): VaultKeyRecord => ({
  id: r.id,
  purpose: r.purpose,
  kekId: r.kek_id,
  wrapped: new Uint8Array(r.wrapped),
  publicKey: r.public_key ? new Uint8Array(r.public_key) : null,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

export interface PendingNoticeRow {
  id: number;
  kind: NoticeKind;
  attempts: number;
  created_at: number;
  ticket_id: string;
  external_ref: string;
  subject: string;
  customer_email: string;
  customer_name: string | null;
  credential_id: string;
  credential_kind: CredentialKind;
  label: string;
  status: CredentialStatus;
  ended_because: EndReason | null;
  submitted_at: number;
  ended_at: number | null;
  purged_at: number | null;
  receipt_id: string;
  token_kek_id: string;
  token_wrapped: Buffer;
  receipt_language: string | null;
  revealed_at: number | null;
  revealed_by: string | null;
  reason: string | null;
  staff_email: string | null;
  staff_name: string | null;
  staff_disabled_at: number | null;
}

export const pendingNoticeOf = (r: PendingNoticeRow): PendingNotice => ({
  id: r.id,
  kind: r.kind,
  attempts: r.attempts,
  createdAt: r.created_at,
  ticket: { id: r.ticket_id, externalRef: r.external_ref, subject: r.subject, customerEmail: r.customer_email, customerName: r.customer_name },
  credential: {
    id: r.credential_id,
    kind: r.credential_kind,
    label: r.label,
    status: r.status,
    endedBecause: r.ended_because,
    submittedAt: r.submitted_at,
    endedAt: r.ended_at,
    purgedAt: r.purged_at,
  },
  receipt: { id: r.receipt_id, tokenKekId: r.token_kek_id, tokenWrapped: new Uint8Array(r.token_wrapped), language: isLanguage(r.receipt_language) ? r.receipt_language : null },
  reveal: r.revealed_at === null ? null : { at: r.revealed_at, by: r.revealed_by, reason: r.reason },
  engineer: r.staff_email && r.staff_name !== null && r.staff_disabled_at === null ? { email: r.staff_email, name: r.staff_name } : null,
});
