import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { revealDenial } from '../credentials/credential-lifecycle.js';
import type { RevealRow } from '../credentials/credentials-store.js';
import type { SecretFields } from '../credentials/credential-kinds.js';
import { decryptFileList, decryptSecret, type FileEntry } from '../crypto/credential-cipher.js';
import type { VaultKeys } from '../keys/vault-keys.js';
import { BadRequest, NotFound, ServiceUnavailable, StorageUnavailable, VaultError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid, rejectPrototypeKeys } from '../validation.js';
import type { RevealApprovals } from './reveal-approvals.js';

export const MAX_REASON_LENGTH = 500;
const AUDIT_RETRY_AFTER_SECONDS = 5;

const revealBody = z.strictObject({
  reason: z.string().trim().min(1).max(MAX_REASON_LENGTH),
});

export interface RevealDeps {
  storage: Storage;
  audit: Audit;
  keys: VaultKeys;
  clock: Clock;
  log: Logger;
  /** "Ask me first" (decision 027); looked at only for a credential whose receipt has it on. */
  approvals?: RevealApprovals;
}

export interface RevealedCredential {
  id: string;
  kind: string;
  label: string;
  fields: SecretFields;
  /** The credential's files (DESIGN "Attachments"); each is downloaded by its own audited request. */
  files: FileEntry[];
}

type Outcome = { revealed: RevealRow } | { denied: VaultError };

/**
 * Writes a reveal's audit row, `credential.reveal_denied` with the refusal's code or
 * `credential.revealed` (`detail`: which file, for a download), and with a reveal the customer's
 * notice, which commits with the audit row or not at all.
 */
export async function auditRevealDecision(
  s: Stores,
  audit: Audit,
  d: { row: RevealRow | undefined; denied: VaultError | null; actor: Actor; origin?: Origin; reason: string; detail?: string },
): Promise<void> {
  const { row, denied } = d;
  const recorded = await audit.record(s, {
    action: denied ? 'credential.reveal_denied' : 'credential.revealed',
    actor: d.actor,
    origin: d.origin,
    ticketId: row?.ticketId ?? null,
    credentialId: row?.id ?? null,
    reason: d.reason,
    detail: denied?.code ?? d.detail ?? null,
  });
  if (denied || !row) return;
  await s.noticeOutbox.queueRevealNotice({ ticketId: row.ticketId, credentialId: row.id, receiptId: row.receiptId, auditSeq: recorded.seq, at: recorded.at });
}

/** A reveal (or a file download, DESIGN "Attachments") whose audit row could not be committed: 503 and nothing leaves (fail closed). */
export function auditRefusal(error: unknown, log: Logger, credentialId: string | null, what: 'reveal' | 'download'): ServiceUnavailable {
  log.error({ err: error, credentialId }, `${what} refused: the audit row could not be committed`);
  const refused = new ServiceUnavailable(
    'audit_unavailable',
    what === 'reveal'
      ? 'The reveal could not be recorded in the audit log, so nothing was revealed. Try again shortly.'
      : 'The download could not be recorded in the audit log, so nothing was sent. Try again shortly.',
    error instanceof StorageUnavailable ? error.retryAfterSeconds : AUDIT_RETRY_AFTER_SECONDS,
  );
  refused.cause = error;
  return refused;
}

/**
 * One reveal: check state and ticket → write the audit row → commit (synchronous=FULL) →
 * decrypt → answer. No committed audit row, no secret (fail closed). Reveals arriving together
 * share one durable commit (group commit, docs/decisions/011); each is still answered only
 * after the commit that holds its own audit row.
 */
export function createReveal(deps: RevealDeps) {
  const { storage, audit, keys, clock, log, approvals } = deps;

  function parseReason(body: unknown): string {
    rejectPrototypeKeys(body);
    const parsed = revealBody.safeParse(body ?? {});
    if (parsed.success) return parsed.data.reason;
    const unknown = parsed.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown) throw new BadRequest('unknown_field', `unknown field: ${unknown.keys.join(', ')}`);
    throw new BadRequest('reason_required', `A reveal needs a reason (1–${MAX_REASON_LENGTH} characters): why do you need this credential?`, [
      { path: 'body.reason', message: 'required' },
    ]);
  }

  /** Decides and audits one reveal; runs inside the group's write transaction. */
  async function decideAndAudit(s: Stores, credentialId: string | null, reason: string, actor: Actor, origin?: Origin): Promise<Outcome> {
    const row = credentialId ? await s.credentials.getForReveal(credentialId) : undefined;
    const denied = row ? revealDenial(row, row.ticket, clock.now()) : new NotFound('credential_not_found', 'No credential with that id.');
    // The receipt's flag came with the row: only a credential whose customer asks first costs a
    // look-up more. Pending (202) and refused (403) were audited there.
    if (!denied && row!.askFirst && approvals) {
      const asked = await approvals.checkAskFirst(s, row!, reason, actor, origin);
      if ('denied' in asked) return asked;
    }
    await auditRevealDecision(s, audit, { row, denied, actor, origin, reason });
    return denied ? { denied } : { revealed: row! };
  }

  /** The secret; under "ask me first" without an approval, ApprovalPending (202) is thrown instead. */
  async function revealCredential(id: string, body: unknown, actor: Actor, origin?: Origin): Promise<RevealedCredential> {
    const reason = parseReason(body);
    const credentialId = isUuid(id) ? id : null;
    let outcome: Outcome;
    try {
      outcome = await storage.grouped((s) => decideAndAudit(s, credentialId, reason, actor, origin));
    } catch (error) {
      throw auditRefusal(error, log, credentialId, 'reveal');
    }
    if ('denied' in outcome) throw outcome.denied;

    const row = outcome.revealed;
    if (!row.secret) throw new Error(`live credential ${row.id} has no secret`);
    const binding = { credentialId: row.id, ticketId: row.ticketId, kind: row.kind };
    const plaintext = decryptSecret(keys.keyring, binding, row.secret);
    const fields = JSON.parse(Buffer.from(plaintext).toString('utf8')) as SecretFields;
    plaintext.fill(0);
    // The file list came with the same read (no query of its own); without files there is none.
    return { id: row.id, kind: row.kind, label: row.label, fields, files: decryptFileList(keys.keyring, binding, row.secret) };
  }

  return { revealCredential };
}

export type Reveal = ReturnType<typeof createReveal>;
