import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { RevealRow } from '../credentials/credentials-store.js';
import { isLive, effectiveState } from '../credentials/credential-lifecycle.js';
import type { Keyring } from '../crypto/keyring.js';
import { hashToken, isWellFormedToken, issueToken } from '../crypto/tokens.js';
import { Conflict, Forbidden, Gone, NotFound, VaultError } from '../errors.js';
import { newId } from '../ids.js';
import { wrapMailLink } from '../portal/portal-mail-links.js';
import type { Storage, Stores } from '../storage/storage.js';
import type { ApprovalDecision, RevealApprovalRecord } from './reveal-approvals-store.js';

// "Ask me first" (DESIGN "Customer portal", docs/decisions/027): while a receipt has it on, an
// engineer's reveal becomes a request the customer approves or refuses by an e-mailed link. An
// approval lets that engineer reveal that credential for an hour; a refusal refuses their next
// reveal, and the one after asks again.

export const APPROVAL_LASTS_MS = 3600_000;
/** How long an approval link works (or until the credential expires, if sooner). */
export const APPROVAL_LINK_MS = 24 * 3600_000;

/** What the engineer's own console shows of their latest request for a credential. */
export interface ApprovalView {
  state: 'pending' | 'approved' | 'refused' | 'lapsed';
  requestedAt: string;
  decidedAt: string | null;
  approvedUntil: string | null;
}

/**
 * A reveal that waits for the customer: 202 `approval_pending`, answered through the one error
 * mapping as a problem-like body (nothing is revealed, like a refusal, but nothing is wrong).
 */
export class ApprovalPending extends VaultError {
  constructor(approval: RevealApprovalRecord) {
    super(202, 'approval_pending', 'Accepted', 'The customer asked to approve each reveal first: they have been e-mailed and you will be told when they decide.', {
      credentialId: approval.credentialId,
      requestedAt: new Date(approval.requestedAt).toISOString(),
      linkExpiresAt: new Date(approval.linkExpiresAt).toISOString(),
    });
  }
}

/** Reveal under a live approval, or not yet: pending (202) or refused (403). */
export type AskFirstOutcome = { reveal: true } | { denied: ApprovalPending | Forbidden };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function approvalView(a: RevealApprovalRecord, now: number): ApprovalView {
  const state =
    a.decision === 'approved'
      ? a.approvedUntil! > now
        ? 'approved'
        : 'lapsed'
      : a.decision === 'refused'
        ? 'refused'
        : a.linkExpiresAt > now
          ? 'pending'
          : 'lapsed';
  return { state, requestedAt: iso(a.requestedAt)!, decidedAt: iso(a.decidedAt), approvedUntil: iso(a.approvedUntil) };
}

export interface RevealApprovalDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  keyring: Keyring;
}

export function createRevealApprovals(deps: RevealApprovalDeps) {
  const { storage, audit, clock, keyring } = deps;

  /**
   * Inside the reveal's transaction, for a revealable credential whose receipt asks first: reveal
   * under a live approval, answer the pending request again (no second mail), tell a refusal once,
   * or ask the customer.
   */
  async function checkAskFirst(s: Stores, row: RevealRow, reason: string, actor: Actor, origin?: Origin): Promise<AskFirstOutcome> {
    const now = clock.now();
    const staffId = actor.id ?? '';
    const latest = await s.revealApprovals.latestFor(row.id, staffId);
    if (latest?.decision === 'approved' && latest.approvedUntil! > now) return { reveal: true };
    if (latest && latest.decision === null && latest.linkExpiresAt > now) return { denied: new ApprovalPending(latest) };
    if (latest?.decision === 'refused' && latest.refusalToldAt === null) {
      await s.revealApprovals.markRefusalTold(latest.id, now);
      await audit.record(s, {
        action: 'credential.reveal_denied',
        actor,
        origin,
        ticketId: row.ticketId,
        credentialId: row.id,
        reason,
        detail: 'reveal_refused',
      });
      return { denied: new Forbidden('reveal_refused', 'The customer refused your request to reveal this credential. Revealing it again asks them again.') };
    }
    const ticket = (await s.tickets.get(row.ticketId))!;
    const receipt = (await s.receipts.get(row.receiptId))!;
    const link = issueToken();
    const approval: RevealApprovalRecord = {
      id: newId(now),
      credentialId: row.id,
      staffId,
      staffName: actor.name ?? '',
      reason,
      tokenHash: link.hash,
      requestedAt: now,
      linkExpiresAt: Math.min(now + APPROVAL_LINK_MS, row.expiresAt, ticket.supportUntil),
      decision: null,
      decidedAt: null,
      approvedUntil: null,
      refusalToldAt: null,
    };
    await s.revealApprovals.insert(approval);
    await audit.record(s, { action: 'credential.reveal_requested', actor, origin, ticketId: row.ticketId, credentialId: row.id, reason });
    await s.portalMails.queue({
      kind: 'approval_request',
      to: { address: ticket.customerEmail, name: ticket.customerName },
      language: receipt.language,
      facts: {
        externalRef: ticket.externalRef,
        subject: ticket.subject,
        label: row.label,
        engineer: approval.staffName,
        reason,
        linkExpiresAt: approval.linkExpiresAt,
      },
      link: wrapMailLink(keyring, 'approval_request', ticket.customerEmail, link.token),
      at: now,
    });
    return { denied: new ApprovalPending(approval) };
  }

  async function openApproval(s: Stores, token: string) {
    const approval = isWellFormedToken(token) ? await s.revealApprovals.getByTokenHash(hashToken(token)) : undefined;
    const credential = approval && (await s.credentials.get(approval.credentialId));
    const ticket = credential && (await s.tickets.get(credential.ticketId));
    const receipt = credential && (await s.receipts.get(credential.receiptId));
    if (!approval || !credential || !ticket || !receipt) throw new NotFound('approval_not_found', 'This approval link does not exist.');
    return { approval, credential, ticket, receipt };
  }

  /** What the approval page shows: who asks, why, for what; and whether it is still to be decided. */
  function describeRevealApproval(token: string) {
    return storage.read(async (s) => {
      const { approval, credential, ticket, receipt } = await openApproval(s, token);
      const now = clock.now();
      const live = isLive(effectiveState(credential, ticket, now).status);
      return {
        engineer: approval.staffName,
        reason: approval.reason,
        credential: { label: credential.label, kind: credential.kind },
        ticket: { externalRef: ticket.externalRef, subject: ticket.subject },
        requestedAt: new Date(approval.requestedAt).toISOString(),
        linkExpiresAt: new Date(approval.linkExpiresAt).toISOString(),
        decision: approval.decision,
        approvedUntil: iso(approval.approvedUntil),
        open: approval.decision === null && approval.linkExpiresAt > now && live,
        language: receipt.language,
      };
    });
  }

  /** The customer's decision: once, while the link works; audited and told to the engineer. */
  function decideRevealApproval(token: string, decision: ApprovalDecision, origin?: Origin) {
    return storage.write(async (s) => {
      const { approval, credential, ticket, receipt } = await openApproval(s, token);
      const now = clock.now();
      if (approval.decision !== null) throw new Conflict('approval_decided', 'This request has already been decided.');
      if (approval.linkExpiresAt <= now || !isLive(effectiveState(credential, ticket, now).status)) {
        throw new Gone('approval_link_expired', 'This request can no longer be decided.');
      }
      const approvedUntil = decision === 'approved' ? now + APPROVAL_LASTS_MS : null;
      if (!(await s.revealApprovals.decide(approval.id, decision, now, approvedUntil))) {
        throw new Conflict('approval_decided', 'This request has already been decided.');
      }
      const customer: Actor = { type: 'customer', id: receipt.id, name: ticket.customerName ?? ticket.customerEmail };
      await audit.record(s, {
        action: decision === 'approved' ? 'credential.reveal_approved' : 'credential.reveal_refused',
        actor: customer,
        origin,
        ticketId: ticket.id,
        credentialId: credential.id,
        reason: approval.reason,
        detail: `staff:${approval.staffId}`,
      });
      const engineer = await s.staff.get(approval.staffId);
      if (engineer && engineer.disabledAt === null) {
        await s.portalMails.queue({
          kind: 'approval_decided',
          to: { address: engineer.email, name: engineer.name },
          language: 'en',
          facts: {
            externalRef: ticket.externalRef,
            subject: ticket.subject,
            label: credential.label,
            customer: customer.name ?? '',
            decision,
            until: approvedUntil ?? undefined,
            ticketId: ticket.id,
          },
          link: null,
          at: now,
        });
      }
      return { decision, approvedUntil: iso(approvedUntil) };
    });
  }

  /** The requesting engineer's latest request per credential, for their console. */
  async function approvalsFor(s: Stores, credentialIds: string[], staffId: string): Promise<Map<string, ApprovalView>> {
    const now = clock.now();
    return new Map((await s.revealApprovals.latestForEach(credentialIds, staffId)).map((a) => [a.credentialId, approvalView(a, now)]));
  }

  return { checkAskFirst, describeRevealApproval, decideRevealApproval, approvalsFor };
}

export type RevealApprovals = ReturnType<typeof createRevealApprovals>;
