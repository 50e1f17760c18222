import { isLanguage } from '../languages/languages.js';
import type { PortalMail, PortalMailKind } from '../portal/portal-mails-store.js';
import type { PortalSessionRecord } from '../portal/portal-store.js';
import type { ApprovalDecision, RevealApprovalRecord } from '../reveal/reveal-approvals-store.js';

// The customer portal's rows on both backends and the records the domain sees (as rows.ts does for the rest).

export interface PortalSessionRow {
  token_hash: Buffer;
  email: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export const portalSessionOf = (r: PortalSessionRow): PortalSessionRecord => ({
  tokenHash: r.token_hash,
  email: r.email,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
});

export interface RevealApprovalRow {
  id: string;
  credential_id: string;
  staff_id: string;
  staff_name: string;
  reason: string;
  token_hash: Buffer;
  requested_at: number;
  link_expires_at: number;
  decision: ApprovalDecision | null;
  decided_at: number | null;
  approved_until: number | null;
  refusal_told_at: number | null;
}

export const revealApprovalOf = (r: RevealApprovalRow): RevealApprovalRecord => ({
  id: r.id,
  credentialId: r.credential_id,
  staffId: r.staff_id,
  staffName: r.staff_name,
  reason: r.reason,
  tokenHash: r.token_hash,
  requestedAt: r.requested_at,
  linkExpiresAt: r.link_expires_at,
  decision: r.decision,
  decidedAt: r.decided_at,
  approvedUntil: r.approved_until,
  refusalToldAt: r.refusal_told_at,
});

export const revealApprovalParams = (a: RevealApprovalRecord) => [
  a.id, a.credentialId, a.staffId, a.staffName, a.reason, a.tokenHash, a.requestedAt, a.linkExpiresAt, a.decision, a.decidedAt, a.approvedUntil, a.refusalToldAt,
];

export interface PortalMailRow {
  id: number;
  kind: PortalMailKind;
  to_address: string;
  to_name: string | null;
  language: string | null;
  facts: string;
  link_kek_id: string | null;
  link_wrapped: Buffer | null;
  created_at: number;
  attempts: number;
}

export const portalMailOf = (r: PortalMailRow): PortalMail => ({
  id: Number(r.id),
  kind: r.kind,
  to: { address: r.to_address, name: r.to_name },
  language: isLanguage(r.language) ? r.language : null,
  facts: JSON.parse(r.facts) as PortalMail['facts'],
  link: r.link_kek_id && r.link_wrapped ? { kekId: r.link_kek_id, wrapped: new Uint8Array(r.link_wrapped) } : null,
  at: r.created_at,
  attempts: r.attempts,
});
