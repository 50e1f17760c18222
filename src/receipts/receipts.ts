import { z } from 'zod';
import { checkFileIds, type Attachments } from '../attachments/attachments.js';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import {
  credentialView,
  effectiveState,
  endCredential,
  endedError,
  isLive,
  purgeCredential,
  type CredentialView,
} from '../credentials/credential-lifecycle.js';
import type { EndReason } from '../credentials/credential-states.js';
import type { CredentialRecord } from '../credentials/credentials-store.js';
import { openWith, parseRectification, readSecretFields } from '../credentials/submitted-fields.js';
import { decryptFileList, encryptSecret } from '../crypto/credential-cipher.js';
import { hashToken, isWellFormedToken } from '../crypto/tokens.js';
import type { Keyring } from '../crypto/keyring.js';
import type { VaultKeys } from '../keys/vault-keys.js';
import { BadRequest, NotFound, type Gone } from '../errors.js';
import type { Language } from '../languages/languages.js';
import type { Storage, Stores } from '../storage/storage.js';
import type { TicketRecord } from '../tickets/tickets-store.js';
import { isUuid, parseInput } from '../validation.js';
import type { ReceiptRecord } from './receipts-store.js';

const preferencesSchema = z.strictObject({ notifyOnReveal: z.boolean({ error: 'must be true or false' }) });

export interface ReceiptDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  keys: VaultKeys;
  vendorName: string;
  attachments: Attachments;
}

export interface Reveal {
  at: string;
  by: string | null;
  reason: string | null;
}

/** The staff metadata view minus the internal ticket id, plus who revealed it. */
export interface ReceiptCredential extends Omit<CredentialView, 'ticketId' | 'revealCount'> {
  reveals: Reveal[];
  /** The files it carries, while it holds them (DESIGN "Attachments"). */
  files: Array<{ name: string; type: string; size: number }>;
}

interface Held {
  receipt: ReceiptRecord;
  ticket: TicketRecord;
  customer: Actor;
  /** 'portal' when the customer acted in the portal (the audit row's detail says so). */
  via: 'portal' | null;
}

/** How the customer reached a credential: their receipt link, or a portal session for the ticket's e-mail. */
export type ReceiptAccess = { token: string } | { email: string };

const customerOf = (receipt: ReceiptRecord, ticket: TicketRecord): Actor => ({ type: 'customer', id: receipt.id, name: ticket.customerName ?? ticket.customerEmail });

/** A ticket's credentials as the customer sees them, each with who revealed it, when and why, and its files' names and sizes. */
export async function credentialsWithReveals(s: Stores, keyring: Keyring, credentials: CredentialRecord[], ticket: TicketRecord, now: number): Promise<ReceiptCredential[]> {
  const reveals = new Map<string, Reveal[]>();
  for (const row of await s.audit.revealsOf(credentials.map((c) => c.id))) {
    const list = reveals.get(row.credential_id!) ?? [];
    list.push({ at: new Date(row.at).toISOString(), by: row.actor_name, reason: row.reason });
    reveals.set(row.credential_id!, list);
  }
  const files = new Map<string, ReceiptCredential['files']>();
  for (const m of await s.attachments.manifestsOf(credentials.map((c) => c.id))) {
    const c = credentials.find((x) => x.id === m.credentialId)!;
    const list = decryptFileList(keyring, { credentialId: c.id, ticketId: c.ticketId, kind: c.kind }, { ...m, ciphertext: new Uint8Array(0) });
    files.set(c.id, list.map(({ name, type, size }) => ({ name, type, size })));
  }
  return credentials.map((c) => ({ ...toReceiptCredential(c, ticket, now, reveals.get(c.id) ?? []), files: files.get(c.id) ?? [] }));
}

export function createReceipts(deps: ReceiptDeps) {
  const { storage, audit, clock, keys } = deps;
  const lifecycleOf = (stores: Stores) => ({ stores, audit, notify: true });

  async function openReceipt(s: Stores, token: string): Promise<Held> {
    const receipt = isWellFormedToken(token) ? await s.receipts.getByTokenHash(hashToken(token)) : undefined;
    const ticket = receipt && (await s.tickets.get(receipt.ticketId));
    if (!receipt || !ticket) throw new NotFound('receipt_not_found', 'This receipt link does not exist.');
    return { receipt, ticket, customer: customerOf(receipt, ticket), via: null };
  }

  async function heldCredential(s: Stores, held: Held, credentialId: string): Promise<CredentialRecord> {
    const credential = isUuid(credentialId) ? await s.credentials.get(credentialId) : undefined;
    if (!credential || credential.receiptId !== held.receipt.id) {
      throw new NotFound('credential_not_found', 'This receipt holds no credential with that id.');
    }
    return credential;
  }

  /** The credential and what holds it; through the portal, only a credential of a ticket for the session's e-mail (else 404, as for an unknown id). */
  async function openCredential(s: Stores, access: ReceiptAccess, credentialId: string): Promise<{ held: Held; credential: CredentialRecord }> {
    if ('token' in access) {
      const held = await openReceipt(s, access.token);
      return { held, credential: await heldCredential(s, held, credentialId) };
    }
    const credential = isUuid(credentialId) ? await s.credentials.get(credentialId) : undefined;
    const receipt = credential && (await s.receipts.get(credential.receiptId));
    const ticket = receipt && (await s.tickets.get(receipt.ticketId));
    if (!credential || !receipt || !ticket || ticket.customerEmail.toLowerCase() !== access.email) {
      throw new NotFound('credential_not_found', 'Nothing held for you has that id.');
    }
    return { held: { receipt, ticket, customer: customerOf(receipt, ticket), via: 'portal' }, credential };
  }

  async function receiptCredentials(s: Stores, held: Held): Promise<ReceiptCredential[]> {
    return credentialsWithReveals(s, keys.keyring, await s.credentials.listByReceipt(held.receipt.id), held.ticket, clock.now());
  }

  function viewReceipt(token: string) {
    return storage.read(async (s) => {
      const held = await openReceipt(s, token);
      return {
        ticket: { externalRef: held.ticket.externalRef, subject: held.ticket.subject, status: held.ticket.status },
        vendorName: deps.vendorName,
        preferences: { notifyOnReveal: held.receipt.notifyOnReveal },
        credentials: await receiptCredentials(s, held),
      };
    });
  }

  /** Restriction (freeze) and its lifting; only a live credential can change, and repeating is harmless. */
  function setRestriction(access: ReceiptAccess, credentialId: string, restricted: boolean, origin?: Origin): Promise<ReceiptCredential> {
    return storage.write(async (s) => {
      const { held, credential } = await openCredential(s, access, credentialId);
      const now = clock.now();
      const state = effectiveState(credential, held.ticket, now);
      if (!isLive(state.status)) throw endedError(state.endedBecause);
      const target = restricted ? 'restricted' : 'active';
      if (credential.status === target) return single(s, held, credential.id);
      await s.credentials.setStatus(credential.id, target, now);
      await audit.record(s, {
        action: restricted ? 'credential.restricted' : 'credential.unrestricted',
        actor: held.customer,
        origin,
        ticketId: credential.ticketId,
        credentialId: credential.id,
        detail: held.via,
      });
      return single(s, held, credential.id);
    });
  }

  /** Rectification: new fields under a new data key; the old ciphertext and key are overwritten. */
  async function rectifyCredential(token: string, credentialId: string, body: unknown, origin?: Origin): Promise<ReceiptCredential> {
    const { held, found } = await storage.read(async (s) => {
      const held = await openReceipt(s, token);
      return { held, found: await heldCredential(s, held, credentialId) };
    });
    const state = effectiveState(found, held.ticket, clock.now());
    if (!isLive(state.status)) throw endedError(state.endedBecause);
    const payload = parseRectification(body);
    const fileIds = checkFileIds(payload.files);
    if (found.kind === 'file' && fileIds.length === 0) {
      throw new BadRequest('files_required', 'A credential of kind file carries at least one file.', [{ path: 'body.files', message: 'at least one file' }]);
    }
    const fields = readSecretFields(found.kind, payload, openWith(keys.intakeKeyPairs));
    // New files replace the old ones, which go with the old data key (DESIGN "Attachments").
    const files = await deps.attachments.openStagedFiles(held.receipt.id, fileIds);
    const secret = encryptSecret(keys.keyring, { credentialId: found.id, ticketId: found.ticketId, kind: found.kind }, Buffer.from(JSON.stringify(fields), 'utf8'), files);
    const rectified = await storage.write(async (s) => {
      const credential = (await s.credentials.get(found.id))!;
      const now = clock.now();
      const current = effectiveState(credential, (await s.tickets.get(credential.ticketId))!, now);
      if (!isLive(current.status)) throw endedError(current.endedBecause);
      await deps.attachments.claimStagedFiles(s, held.receipt.id, fileIds);
      await s.credentials.replaceSecret(credential.id, secret, now);
      await audit.record(s, { action: 'credential.rectified', actor: held.customer, origin, ticketId: credential.ticketId, credentialId: credential.id });
      return single(s, held, found.id);
    });
    await storage.afterDestroy();
    return rectified;
  }

  /** Withdrawal (erasure): ends the credential and destroys its secret at once. Repeating is harmless. */
  /** Ends (withdrawn, or the reason it was already due for) and destroys one credential, inside a write transaction. */
  async function withdrawIn(s: Stores, held: Held, credential: CredentialRecord, now: number, origin?: Origin): Promise<void> {
    const lifecycle = lifecycleOf(s);
    if (isLive(credential.status)) {
      const state = effectiveState(credential, held.ticket, now);
      // A credential already due to expire keeps that reason; a live one is withdrawn.
      await endCredential(lifecycle, credential, isLive(state.status) ? 'withdrawn' : state.endedBecause!, now, held.customer, origin);
    }
    const ended = (await s.credentials.get(credential.id))!;
    if (ended.status !== 'purged') await purgeCredential(lifecycle, ended, now, held.customer);
  }

  async function withdrawCredential(access: ReceiptAccess, credentialId: string, origin?: Origin): Promise<void> {
    await storage.write(async (s) => {
      const { held, credential } = await openCredential(s, access, credentialId);
      await withdrawIn(s, held, credential, clock.now(), origin);
    });
    await storage.afterDestroy();
  }

  /**
   * The portal's "withdraw everything": every credential held for the e-mail that is not yet
   * destroyed, in one transaction (all or none), each audited as a withdrawal from the portal.
   * Returns how many were withdrawn or destroyed.
   */
  async function withdrawEverything(email: string, origin?: Origin): Promise<number> {
    const done = await storage.write(async (s) => {
      const now = clock.now();
      let count = 0;
      for (const ticket of await s.portal.listTickets(email)) {
        for (const credential of await s.credentials.listByTicket(ticket.id)) {
          if (credential.status === 'purged') continue;
          const receipt = (await s.receipts.get(credential.receiptId))!;
          await withdrawIn(s, { receipt, ticket, customer: customerOf(receipt, ticket), via: 'portal' }, credential, now, origin);
          count++;
        }
      }
      return count;
    });
    if (done) await storage.afterDestroy();
    return done;
  }

  /** Portability: everything held about this submission, as JSON, without any secret. */
  function exportReceipt(token: string, origin?: Origin) {
    return storage.write(async (s) => {
      const held = await openReceipt(s, token);
      await audit.record(s, { action: 'receipt.exported', actor: held.customer, origin, ticketId: held.ticket.id });
      return exportOf(held, await receiptCredentials(s, held));
    });
  }

  const exportOf = (held: Held, credentials: ReceiptCredential[]) => ({
    exportedAt: new Date(clock.now()).toISOString(),
    vendorName: deps.vendorName,
    ticket: {
      externalRef: held.ticket.externalRef,
      subject: held.ticket.subject,
      status: held.ticket.status,
      customerEmail: held.ticket.customerEmail,
      customerName: held.ticket.customerName,
      supportUntil: new Date(held.ticket.supportUntil).toISOString(),
    },
    preferences: { notifyOnReveal: held.receipt.notifyOnReveal },
    credentials,
    note: 'Secret fields are never exported; only the vault holds them, encrypted, until they are destroyed.',
  });

  /**
   * Preferences belong to the receipt: they can change while any of its credentials is live (decision 016).
   * The language the customer set them in becomes the language of their e-mails.
   */
  function setPreferences(token: string, body: unknown, language?: Language) {
    return storage.write(async (s) => {
      const held = await openReceipt(s, token);
      const ended = receiptEnded(await s.credentials.listByReceipt(held.receipt.id), held.ticket, clock.now());
      if (ended) throw ended;
      const prefs = parseInput(preferencesSchema, body);
      await s.receipts.setNotifyOnReveal(held.receipt.id, prefs.notifyOnReveal);
      if (language && held.receipt.language !== language) await s.receipts.setLanguage(held.receipt.id, language);
      return { notifyOnReveal: prefs.notifyOnReveal };
    });
  }

  async function single(s: Stores, held: Held, credentialId: string): Promise<ReceiptCredential> {
    return (await receiptCredentials(s, held)).find((c) => c.id === credentialId)!;
  }

  return {
    viewReceipt,
    restrictCredential: (token: string, id: string, origin?: Origin) => setRestriction({ token }, id, true, origin),
    unrestrictCredential: (token: string, id: string, origin?: Origin) => setRestriction({ token }, id, false, origin),
    rectifyCredential,
    withdrawCredential: (token: string, id: string, origin?: Origin) => withdrawCredential({ token }, id, origin),
    /** The same changes from the customer portal, for the signed-in e-mail (lower-cased). */
    portal: {
      restrictCredential: (email: string, id: string, origin?: Origin) => setRestriction({ email }, id, true, origin),
      unrestrictCredential: (email: string, id: string, origin?: Origin) => setRestriction({ email }, id, false, origin),
      withdrawCredential: (email: string, id: string, origin?: Origin) => withdrawCredential({ email }, id, origin),
      withdrawEverything,
    },
    exportReceipt,
    setPreferences,
  };
}

export type Receipts = ReturnType<typeof createReceipts>;

/** Null while a credential of the receipt is live; otherwise 410 naming why the last of them ended. */
function receiptEnded(credentials: CredentialRecord[], ticket: TicketRecord, now: number): Gone | null {
  let last: { at: number; because: EndReason | null } | undefined;
  for (const credential of credentials) {
    const state = effectiveState(credential, ticket, now);
    if (isLive(state.status)) return null;
    const at = credential.endedAt ?? Math.min(credential.expiresAt, ticket.supportUntil, now);
    if (!last || at >= last.at) last = { at, because: state.endedBecause };
  }
  return endedError(last?.because ?? null);
}

function toReceiptCredential(c: CredentialRecord, ticket: TicketRecord, now: number, reveals: Reveal[]): Omit<ReceiptCredential, 'files'> {
  const { ticketId: _ticketId, ...view } = credentialView(c, ticket, now);
  return { ...view, reveals };
}
