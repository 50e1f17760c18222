import type { Database } from './database.js';
import { isLanguage } from '../../languages/languages.js';
import type { PortalStore } from '../../portal/portal-store.js';
import type { Sync } from '../storage.js';
import { receiptOf, ticketOf, type ReceiptRow, type TicketRow } from '../rows.js';
import { portalSessionOf, type PortalSessionRow } from '../portal-rows.js';

export function createPortalStore(db: Database): Sync<PortalStore> {
  const holds = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM tickets WHERE lower(customer_email) = ? LIMIT 1');
  const insertLink = db.prepare(
    'INSERT INTO portal_sign_in_links (token_hash, email, language, created_at, expires_at) VALUES (@tokenHash, @email, @language, @createdAt, @expiresAt)',
  );
  const countLinks = db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM portal_sign_in_links WHERE email = ? AND created_at >= ?');
  const useLink = db.prepare<[number, Buffer, number], { email: string; language: string | null }>(
    'UPDATE portal_sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING email, language',
  );
  const linkState = db.prepare<[Buffer], { used_at: number | null; expires_at: number }>('SELECT used_at, expires_at FROM portal_sign_in_links WHERE token_hash = ?');
  const insertSession = db.prepare(
    'INSERT INTO portal_sessions (token_hash, email, created_at, expires_at, ended_at) VALUES (@tokenHash, @email, @createdAt, @expiresAt, @endedAt)',
  );
  const getSession = db.prepare<[Buffer], PortalSessionRow>('SELECT * FROM portal_sessions WHERE token_hash = ?');
  const endSession = db.prepare('UPDATE portal_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL');
  const staleLinks = db.prepare('DELETE FROM portal_sign_in_links WHERE expires_at < ?');
  const staleSessions = db.prepare('DELETE FROM portal_sessions WHERE expires_at < ? OR ended_at < ?');
  const tickets = db.prepare<[string], TicketRow>('SELECT * FROM tickets WHERE lower(customer_email) = ? ORDER BY created_at DESC, id DESC');
  const receipts = db.prepare<[string], ReceiptRow>(
    'SELECT r.* FROM receipts r JOIN tickets t ON t.id = r.ticket_id WHERE lower(t.customer_email) = ? ORDER BY r.created_at, r.id',
  );
  const getPrefs = db.prepare<[string], { notify_on_reveal: number; ask_first: number }>('SELECT * FROM portal_preferences WHERE email = ?');
  const upsertPrefs = db.prepare(
    `INSERT INTO portal_preferences (email, notify_on_reveal, ask_first, updated_at) VALUES (@email, @notify, @askFirst, @at)
     ON CONFLICT (email) DO UPDATE SET notify_on_reveal = excluded.notify_on_reveal, ask_first = excluded.ask_first, updated_at = excluded.updated_at`,
  );
  const setReceiptPrefs = db.prepare(
    `UPDATE receipts SET notify_on_reveal = @notify, ask_first = @askFirst
     WHERE ticket_id IN (SELECT id FROM tickets WHERE lower(customer_email) = @email)`,
  );
  return {
    holdsEmail: (email) => holds.get(email) !== undefined,
    insertSignInLink: (link) => {
      insertLink.run(link);
    },
    countSignInLinksSince: (email, since) => countLinks.get(email, since)!.n,
    signInLinkState: (tokenHash, now) => {
      const r = linkState.get(tokenHash);
      return r && (r.used_at === null && r.expires_at > now ? 'usable' : 'used_or_expired');
    },
    useSignInLink: (tokenHash, now) => {
      const r = useLink.get(now, tokenHash, now);
      return r && { email: r.email, language: isLanguage(r.language) ? r.language : null };
    },
    insertSession: (session) => {
      insertSession.run(session);
    },
    getSession: (tokenHash) => {
      const r = getSession.get(tokenHash);
      return r && portalSessionOf(r);
    },
    endSession: (tokenHash, at) => {
      endSession.run(at, tokenHash);
    },
    deleteStale: (before) => staleLinks.run(before).changes + staleSessions.run(before, before).changes,
    listTickets: (email) => tickets.all(email).map(ticketOf),
    listReceipts: (email) => receipts.all(email).map(receiptOf),
    getPreferences: (email) => {
      const r = getPrefs.get(email);
      return r && { notifyOnReveal: r.notify_on_reveal === 1, askFirst: r.ask_first === 1 };
    },
    setPreferences: (email, p, at) => {
      const values = { email, notify: p.notifyOnReveal ? 1 : 0, askFirst: p.askFirst ? 1 : 0, at };
      upsertPrefs.run(values);
      setReceiptPrefs.run(values);
    },
  };
}
