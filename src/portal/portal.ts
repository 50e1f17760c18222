import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/keyring.js';
import { hashToken, isWellFormedToken, issueToken } from '../crypto/tokens.js';
import { Gone, NotFound, Unauthorized } from '../errors.js';
import type { Language } from '../languages/languages.js';
import type { Logger } from '../logger.js';
import { credentialsWithReveals, type ReceiptCredential } from '../receipts/receipts.js';
import type { Storage, Stores } from '../storage/storage.js';
import { parseInput } from '../validation.js';
import { wrapMailLink } from './portal-mail-links.js';
import type { PortalPreferences } from './portal-store.js';

// The customer portal (DESIGN "Customer portal", docs/decisions/027): access, portability and
// preferences across every ticket held for one e-mail address, after proving the address by a
// one-time link mailed to it.

export const SIGN_IN_LINK_MS = 15 * 60_000;
export const PORTAL_SESSION_MS = 30 * 60_000;
/** Sign-in mails to one address per SIGN_IN_LINK_MS at most; further requests get the same answer and no mail. */
export const SIGN_IN_LINKS_PER_WINDOW = 5;

const signInBody = z.strictObject({ email: z.string().trim().max(320).pipe(z.email({ error: 'must be an e-mail address' })) });
const preferencesBody = z.strictObject({
  notifyOnReveal: z.boolean({ error: 'must be true or false' }),
  askFirst: z.boolean({ error: 'must be true or false' }),
});

/** A sign-in link that never was (or cannot be one): 404, as every wrong token (DESIGN "Cryptography"). */
const signInLinkNotFound = () => new NotFound('sign_in_link_not_found', 'This sign-in link does not exist.');
const signInLinkGone = () => new Gone('sign_in_link_expired', 'This sign-in link was used already or has expired; ask for a new one.');

export interface PortalDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  keyring: Keyring;
  log: Logger;
  vendorName: string;
}

export interface PortalSession {
  email: string;
  expiresAt: number;
}

export interface PortalTicket {
  externalRef: string;
  subject: string;
  status: 'open' | 'closed';
  supportUntilDate: string;
  credentials: ReceiptCredential[];
}

export function createPortal(deps: PortalDeps) {
  const { storage, audit, clock, keyring, log } = deps;

  /**
   * Mails a sign-in link when the vault holds a ticket for the address; the caller's answer is
   * the same either way, and the mail leaves from the outbox, not from this request.
   */
  async function requestSignInLink(body: unknown, language: Language): Promise<void> {
    const email = parseInput(signInBody, body).email.toLowerCase();
    await storage.write(async (s) => {
      const now = clock.now();
      if (!(await s.portal.holdsEmail(email))) return;
      if ((await s.portal.countSignInLinksSince(email, now - SIGN_IN_LINK_MS)) >= SIGN_IN_LINKS_PER_WINDOW) {
        log.info('portal sign-in link not sent: this address had enough of them lately');
        return;
      }
      const link = issueToken();
      await s.portal.insertSignInLink({ tokenHash: link.hash, email, language, createdAt: now, expiresAt: now + SIGN_IN_LINK_MS });
      await s.portalMails.queue({
        kind: 'sign_in',
        to: { address: email, name: null },
        language,
        facts: { linkExpiresAt: now + SIGN_IN_LINK_MS },
        link: wrapMailLink(keyring, 'sign_in', email, link.token),
        at: now,
      });
    });
  }

  /** What opening a link (GET) checks, using nothing: 404 unknown, 410 used or expired. */
  async function checkSignInLink(token: string): Promise<void> {
    const state = isWellFormedToken(token) ? await storage.read((s) => s.portal.signInLinkState(hashToken(token), clock.now())) : undefined;
    if (!state) throw signInLinkNotFound();
    if (state !== 'usable') throw signInLinkGone();
  }

  /** Uses a sign-in link up (once, on any instance) and starts a session: the cookie's token, shown once. */
  async function signIn(token: string) {
    if (!isWellFormedToken(token)) throw signInLinkNotFound();
    return storage.write(async (s) => {
      const now = clock.now();
      const used = await s.portal.useSignInLink(hashToken(token), now);
      // As opening it answers: 404 for a link that never was, 410 for one used or expired.
      if (!used) {
        if (!(await s.portal.signInLinkState(hashToken(token), now))) throw signInLinkNotFound();
        throw signInLinkGone();
      }
      const session = issueToken();
      const expiresAt = now + PORTAL_SESSION_MS;
      await s.portal.insertSession({ tokenHash: session.hash, email: used.email, createdAt: now, expiresAt, endedAt: null });
      await s.portal.deleteStale(now - 24 * 3600_000);
      return { token: session.token, expiresAt, expiresInMs: PORTAL_SESSION_MS, language: used.language };
    });
  }

  async function authenticatePortalSession(token: string | undefined): Promise<PortalSession> {
    const session = token && isWellFormedToken(token) ? await storage.read((s) => s.portal.getSession(hashToken(token))) : undefined;
    if (!session || session.endedAt !== null || session.expiresAt <= clock.now()) {
      throw new Unauthorized('portal_session_required', 'Sign in to the portal with a link mailed to you.');
    }
    return { email: session.email, expiresAt: session.expiresAt };
  }

  async function signOut(token: string | undefined): Promise<void> {
    if (!token || !isWellFormedToken(token)) return;
    await storage.write((s) => s.portal.endSession(hashToken(token), clock.now()));
  }

  async function preferencesOf(s: Stores, email: string): Promise<PortalPreferences> {
    const kept = await s.portal.getPreferences(email);
    if (kept) return kept;
    const receipts = await s.portal.listReceipts(email);
    return { notifyOnReveal: receipts.every((r) => r.notifyOnReveal), askFirst: receipts.length > 0 && receipts.every((r) => r.askFirst) };
  }

  async function ticketsOf(s: Stores, email: string): Promise<PortalTicket[]> {
    const now = clock.now();
    const tickets = await s.portal.listTickets(email);
    const held: PortalTicket[] = [];
    for (const ticket of tickets) {
      held.push({
        externalRef: ticket.externalRef,
        subject: ticket.subject,
        status: ticket.status,
        supportUntilDate: ticket.supportUntilDate,
        credentials: await credentialsWithReveals(s, keyring, await s.credentials.listByTicket(ticket.id), ticket, now),
      });
    }
    return held;
  }

  /** Everything held for the e-mail: each ticket, each credential (metadata only) and its reveals. */
  function viewPortal(email: string) {
    return storage.read(async (s) => ({
      email,
      vendorName: deps.vendorName,
      preferences: await preferencesOf(s, email),
      tickets: await ticketsOf(s, email),
    }));
  }

  /** Portability across tickets: one JSON, no secret; audited as receipt.exported once per ticket (detail "portal"). */
  function exportPortal(email: string, origin?: Origin) {
    return storage.write(async (s) => {
      const tickets = await s.portal.listTickets(email);
      for (const ticket of tickets) {
        const customer: Actor = { type: 'customer', id: null, name: ticket.customerName ?? ticket.customerEmail };
        await audit.record(s, { action: 'receipt.exported', actor: customer, origin, ticketId: ticket.id, detail: 'portal' });
      }
      return {
        exportedAt: new Date(clock.now()).toISOString(),
        vendorName: deps.vendorName,
        email,
        preferences: await preferencesOf(s, email),
        tickets: (await ticketsOf(s, email)).map((t, i) => ({ ...t, customerName: tickets[i]!.customerName })),
        note: 'Secret fields are never exported; only the vault holds them, encrypted, until they are destroyed.',
      };
    });
  }

  /** Preferences for every receipt of the e-mail, and for those to come (decision 027). */
  function setPortalPreferences(email: string, body: unknown): Promise<PortalPreferences> {
    const preferences = parseInput(preferencesBody, body);
    return storage.write(async (s) => {
      await s.portal.setPreferences(email, preferences, clock.now());
      return preferences;
    });
  }

  return { requestSignInLink, checkSignInLink, signIn, authenticatePortalSession, signOut, viewPortal, exportPortal, setPortalPreferences };
}

export type Portal = ReturnType<typeof createPortal>;
