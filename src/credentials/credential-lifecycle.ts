import type { Actor, Audit, AuditAction, Origin } from '../audit/audit.js';
import { Gone, Locked, type VaultError } from '../errors.js';
import type { Stores } from '../storage/storage.js';
import type { CredentialStatus, EndReason, TicketState } from './credential-states.js';
import type { CredentialRecord } from './credentials-store.js';

// expire, revoke, withdraw end a credential (it can never be revealed again);
// purge destroys the ciphertext and data key of an ended one. Four words, four functions.

export interface LifecycleDeps {
  /** The stores of the caller's write transaction. */
  stores: Stores;
  audit: Audit;
  /** Whether a destruction receipt is queued for the customer (a restore's re-ending sends none). */
  notify?: boolean;
}

const END_STATUS: Record<EndReason, CredentialStatus> = {
  ticket_closed: 'expired',
  expired: 'expired',
  revoked: 'revoked',
  withdrawn: 'withdrawn',
};

const END_ACTION: Record<EndReason, AuditAction> = {
  ticket_closed: 'credential.expired',
  expired: 'credential.expired',
  revoked: 'credential.revoked',
  withdrawn: 'credential.withdrawn',
};

const END_CODE: Record<EndReason, { code: string; detail: string }> = {
  ticket_closed: { code: 'ticket_closed', detail: 'The ticket is closed; its credentials can no longer be revealed.' },
  expired: { code: 'credential_expired', detail: 'This credential has expired and can no longer be revealed.' },
  revoked: { code: 'credential_revoked', detail: 'This credential was revoked by staff.' },
  withdrawn: { code: 'credential_withdrawn', detail: 'The customer withdrew this credential.' },
};

export const isLive = (status: CredentialStatus) => status === 'active' || status === 'restricted';

/** Ends a live credential inside the caller's write transaction; false if it had already ended. */
export async function endCredential(
  deps: LifecycleDeps,
  credential: CredentialRecord,
  because: EndReason,
  at: number,
  actor: Actor,
  origin?: Origin,
): Promise<boolean> {
  if (!(await deps.stores.credentials.end(credential.id, END_STATUS[because], because, at))) return false;
  await deps.audit.record(deps.stores, {
    action: END_ACTION[because],
    actor,
    origin,
    ticketId: credential.ticketId,
    credentialId: credential.id,
    detail: because,
  });
  return true;
}

/** Destroys an ended credential's ciphertext and wrapped data key; metadata and audit stay. */
export async function purgeCredential(deps: LifecycleDeps, credential: CredentialRecord, at: number, actor: Actor): Promise<boolean> {
  if (!(await deps.stores.credentials.purge(credential.id, at))) return false;
  await deps.audit.record(deps.stores, {
    action: 'credential.purged',
    actor,
    ticketId: credential.ticketId,
    credentialId: credential.id,
    detail: credential.endedBecause,
  });
  if (deps.notify) await deps.stores.noticeOutbox.queueDestructionNotice({ ticketId: credential.ticketId, credentialId: credential.id, receiptId: credential.receiptId, at });
  return true;
}

/**
 * DESIGN.md "Lifetime rule" after the support period moved: expiresAt = min(submittedAt + max age,
 * supportUntil). What now falls outside (or was already due) expires at once; nothing is revived.
 */
export async function applySupportPeriod(
  deps: LifecycleDeps,
  credential: CredentialRecord,
  supportUntil: number,
  maxAgeMs: number,
  at: number,
  actor: Actor,
  origin?: Origin,
): Promise<void> {
  const expiresAt = Math.min(credential.submittedAt + maxAgeMs, supportUntil);
  if (at >= Math.min(credential.expiresAt, expiresAt)) {
    if (expiresAt < credential.expiresAt) await deps.stores.credentials.setExpiresAt(credential.id, expiresAt, at);
    await endCredential(deps, credential, 'expired', at, actor, origin);
  } else if (expiresAt !== credential.expiresAt) {
    await deps.stores.credentials.setExpiresAt(credential.id, expiresAt, at);
  }
}

export interface EffectiveState {
  status: CredentialStatus;
  endedBecause: EndReason | null;
}

/**
 * When a live credential falls due: its expiresAt, which every writer keeps within the support
 * period; the period is checked again here so that no write race can leave a secret revealable
 * after it.
 */
const dueAt = (credential: CredentialRecord, ticket: TicketState) => Math.min(credential.expiresAt, ticket.supportUntil);

/** What a credential is now, whatever the purge timer has or has not written yet. */
export function effectiveState(credential: CredentialRecord, ticket: TicketState, now: number): EffectiveState {
  if (!isLive(credential.status)) return { status: credential.status, endedBecause: credential.endedBecause };
  if (ticket.status === 'closed') return { status: 'expired', endedBecause: 'ticket_closed' };
  if (now >= dueAt(credential, ticket)) return { status: 'expired', endedBecause: 'expired' };
  return { status: credential.status, endedBecause: null };
}

export function endedError(because: EndReason | null): Gone {
  const { code, detail } = END_CODE[because ?? 'expired'];
  return new Gone(code, detail);
}

/**
 * DESIGN.md "Reveal answers", in order: ended (why it ended) → ticket closed → past
 * expiresAt → restricted. Null when the credential may be revealed.
 */
export function revealDenial(credential: CredentialRecord, ticket: TicketState, now: number): VaultError | null {
  if (!isLive(credential.status)) return endedError(credential.endedBecause);
  if (ticket.status === 'closed') return endedError('ticket_closed');
  if (now >= dueAt(credential, ticket)) return endedError('expired');
  if (credential.status === 'restricted') {
    return new Locked('credential_restricted', 'The customer has frozen reveals of this credential.');
  }
  return null;
}

export interface CredentialView {
  id: string;
  ticketId: string;
  kind: string;
  label: string;
  status: CredentialStatus;
  endedBecause: EndReason | null;
  submittedAt: string;
  expiresAt: string;
  rectifiedAt: string | null;
  endedAt: string | null;
  purgedAt: string | null;
  revealCount?: number;
  /** The viewing engineer's latest "ask me first" request (decision 027), on the ticket's detail. */
  approval?: { state: 'pending' | 'approved' | 'refused' | 'lapsed'; requestedAt: string; decidedAt: string | null; approvedUntil: string | null };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function credentialView(credential: CredentialRecord, ticket: TicketState, now: number): CredentialView {
  const state = effectiveState(credential, ticket, now);
  return {
    id: credential.id,
    ticketId: credential.ticketId,
    kind: credential.kind,
    label: credential.label,
    status: state.status,
    endedBecause: state.endedBecause,
    submittedAt: new Date(credential.submittedAt).toISOString(),
    expiresAt: new Date(credential.expiresAt).toISOString(),
    rectifiedAt: iso(credential.rectifiedAt),
    endedAt: iso(credential.endedAt ?? (state.status === 'expired' && isLive(credential.status) ? dueAt(credential, ticket) : null)),
    purgedAt: iso(credential.purgedAt),
  };
}
