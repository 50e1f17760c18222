import { checkFileIds, type Attachments } from '../attachments/attachments.js';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { encryptSecret, type PlainFile } from '../crypto/credential-cipher.js';
import { SealedBoxInvalid } from '../crypto/sealed-box.js';
import type { SealedBoxOpener } from '../crypto/sealed-box-opener.js';
import type { VaultKeys } from '../keys/vault-keys.js';
import { hashToken, isWellFormedToken, issueToken } from '../crypto/tokens.js';
import { BadRequest, Gone, NotFound } from '../errors.js';
import type { IntakeLinks, UsableLink } from '../intake-links/intake-links.js';
import type { Language } from '../languages/languages.js';
import type { ReceiptRecord } from '../receipts/receipts-store.js';
import { receiptTokenContext } from '../receipts/receipt-tokens.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid } from '../validation.js';
import { KIND_SPECS } from './credential-kinds.js';
import { credentialView, effectiveState, endCredential, isLive, type CredentialView } from './credential-lifecycle.js';
import type { CredentialRecord } from './credentials-store.js';
import { parseSubmission, readSecretFields, sealedInvalid, type Submission } from './submitted-fields.js';
import { newId } from '../ids.js';

export interface CredentialDeps {
  storage: Storage;
  intakeLinks: IntakeLinks;
  audit: Audit;
  clock: Clock;
  keys: VaultKeys;
  publicUrl: string;
  credentialMaxAgeSeconds: number;
  /** Opens sealed submissions, on worker threads in production. */
  sealedBoxes: SealedBoxOpener;
  attachments: Attachments;
}

export interface SubmittedCredential {
  credentialId: string;
  expiresAt: string;
  receiptUrl: string;
}

const receiptMismatch = () =>
  new BadRequest('receipt_mismatch', 'receipt is not a receipt this link gave out: send it only with the link it came from, or leave it out for a new receipt.', [
    { path: 'body.receipt', message: 'not a receipt of this link' },
  ]);

export function createCredentials(deps: CredentialDeps) {
  const { storage, audit, clock, keys } = deps;

  /**
   * A customer's submission through an intake link, validated and encrypted (outside any
   * transaction: sealed-box opening and encryption are the slow part); `store` writes it.
   */
  function prepareSubmission(
    token: string,
    { link, ticket }: UsableLink,
    submission: Submission,
    open: (sealed: string) => Uint8Array,
    origin?: Origin,
    language?: Language,
    files: PlainFile[] = [],
  ): { store: (s: Stores) => Promise<void>; result: () => SubmittedCredential } {
    let fields;
    try {
      fields = readSecretFields(submission.kind, submission, open);
    } catch (error) {
      for (const f of files) f.bytes.fill(0);
      throw error;
    }

    const now = clock.now();
    const credentialId = newId();
    const secret = encryptSecret(keys.keyring, { credentialId, ticketId: ticket.id, kind: submission.kind }, Buffer.from(JSON.stringify(fields), 'utf8'), files);
    // A later submission of the same visit joins the receipt the first one got (DESIGN "Smaller
    // contract changes"); otherwise this submission starts its own.
    const joining = submission.receipt;
    const receiptToken = joining === undefined ? issueToken() : { token: joining, hash: isWellFormedToken(joining) ? hashToken(joining) : null };
    let receiptId = newId();
    let receipt: ReceiptRecord | null = null;
    if (joining === undefined) {
      const wrappedToken = keys.keyring.wrap(Buffer.from(receiptToken.token, 'utf8'), receiptTokenContext(receiptId));
      receipt = {
        id: receiptId,
        ticketId: ticket.id,
        intakeLinkId: link.id,
        tokenHash: receiptToken.hash!,
        tokenKekId: wrappedToken.kekId,
        tokenWrapped: wrappedToken.wrapped,
        notifyOnReveal: true,
        askFirst: false,
        language: language ?? null,
        createdAt: now,
      };
    }
    const credential: CredentialRecord = {
      id: credentialId,
      ticketId: ticket.id,
      receiptId,
      intakeLinkId: link.id,
      kind: submission.kind,
      label: submission.label || KIND_SPECS[submission.kind].title,
      status: 'active',
      endedBecause: null,
      submittedAt: now,
      expiresAt: Math.min(now + deps.credentialMaxAgeSeconds * 1000, ticket.supportUntil),
      rectifiedAt: null,
      endedAt: null,
      purgedAt: null,
      updatedAt: now,
    };
    const customer = (): Actor => ({ type: 'customer', id: receiptId, name: ticket.customerName ?? ticket.customerEmail });

    const store = async (s: Stores) => {
      // Re-checked inside the transaction: the ticket may have closed, the link been revoked or used up.
      const supportUntil = await s.intakeLinks.useIfUsable(link.id, clock.now());
      if (supportUntil === null) {
        await deps.intakeLinks.findUsableLink(token, s);
        throw new Gone('intake_link_used_up', 'This link has been used as many times as allowed.');
      }
      // The support period may have been shortened since the ticket was read (a helpdesk update
      // while the box was opened): the credential never outlives the period as it is now.
      credential.expiresAt = Math.min(credential.expiresAt, supportUntil);
      if (receipt) {
        await s.receipts.insert(receipt);
      } else {
        // Only a receipt this link gave out on this ticket can be joined: another link's (or an
        // unknown token) is refused without saying which, and the link use rolls back with it.
        const earlier = receiptToken.hash ? await s.receipts.getByTokenHash(receiptToken.hash) : undefined;
        if (!earlier || earlier.intakeLinkId !== link.id || earlier.ticketId !== ticket.id) throw receiptMismatch();
        receiptId = earlier.id;
        credential.receiptId = earlier.id;
        // The customer's e-mails follow the language of their latest submission.
        if (language && earlier.language !== language) await s.receipts.setLanguage(earlier.id, language);
      }
      await deps.attachments.claimStagedFiles(s, link.id, submission.files ?? []);
      await s.credentials.insert(credential, secret);
      await audit.record(s, { action: 'credential.submitted', actor: customer(), origin, ticketId: ticket.id, credentialId, detail: credential.kind, outgoing: { intakeLinkId: link.id } });
      // The engineer who asked for it is told; a link a helpdesk created has nobody to tell.
      if (link.createdBy) await s.noticeOutbox.queueSubmissionNotice({ ticketId: ticket.id, credentialId, receiptId, at: now });
    };
    return {
      store,
      // Read after store() ran: it may have moved expiresAt.
      result: () => ({ credentialId, expiresAt: new Date(credential.expiresAt).toISOString(), receiptUrl: `${deps.publicUrl}/r/${receiptToken.token}` }),
    };
  }

  /**
   * A submission through an intake link (HTTP, CLI, seeding): the sealed box is opened off the
   * event loop, and the write shares a durable commit with whatever else arrives at the same time.
   */
  /** `language`: the one the customer used (DESIGN "Languages"), kept with the receipt for their e-mails. */
  async function submitCredential(token: string, body: unknown, origin?: Origin, language?: Language): Promise<SubmittedCredential> {
    const usable = await deps.intakeLinks.findUsableLink(token);
    const submission = parseSubmission(body);
    const fileIds = checkFileIds(submission.files);
    if (submission.kind === 'file' && fileIds.length === 0) {
      throw new BadRequest('files_required', 'A credential of kind file carries at least one file: upload it first, then name it in files.', [
        { path: 'body.files', message: 'at least one file' },
      ]);
    }
    let opened: Uint8Array | undefined;
    if (submission.sealed !== undefined) {
      try {
        opened = await deps.sealedBoxes.open(submission.sealed);
      } catch (error) {
        if (error instanceof SealedBoxInvalid) throw sealedInvalid();
        throw error;
      }
    }
    const files = await deps.attachments.openStagedFiles(usable.link.id, fileIds);
    const { store, result } = prepareSubmission(token, usable, submission, () => opened!, origin, language, files);
    await storage.grouped(store);
    return result();
  }

  async function requireCredential(id: string, stores?: Stores): Promise<CredentialRecord> {
    const credential = !isUuid(id) ? undefined : stores ? await stores.credentials.get(id) : await storage.read((s) => s.credentials.get(id));
    if (!credential) throw new NotFound('credential_not_found', 'No credential with that id.');
    return credential;
  }

  function getCredential(id: string): Promise<CredentialView> {
    return storage.read(async (s) => {
      const credential = await requireCredential(id, s);
      const ticket = (await s.tickets.get(credential.ticketId))!;
      const view = credentialView(credential, ticket, clock.now());
      return { ...view, revealCount: (await s.audit.countReveals([credential.id])).get(credential.id) ?? 0 };
    });
  }

  /** Staff revoke: ends the credential for good; the purge job destroys it. Idempotent. */
  function revokeCredential(id: string, actor: Actor, origin?: Origin): Promise<void> {
    return storage.write(async (s) => {
      const credential = await requireCredential(id, s);
      const now = clock.now();
      const ticket = (await s.tickets.get(credential.ticketId))!;
      // Already ended (or due to end): keep why it ended; the purge job records the expiry.
      if (!isLive(effectiveState(credential, ticket, now).status)) return;
      await endCredential({ stores: s, audit }, credential, 'revoked', now, actor, origin);
    });
  }

  return { submitCredential, getCredential, revokeCredential, requireCredential };
}

export type Credentials = ReturnType<typeof createCredentials>;
