import { isLanguage } from '../../languages/languages.js';
import type { PortalStore } from '../../portal/portal-store.js';
import { receiptOf, ticketOf, type ReceiptRow, type TicketRow } from '../rows.js';
import { portalSessionOf, type PortalSessionRow } from '../portal-rows.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

export function createPgPortalStore(client: PgClient): PortalStore {
  return {
    holdsEmail: async (email) => (await oneRow(client, 'SELECT 1 AS found FROM tickets WHERE lower(customer_email) = $1 LIMIT 1', [email])) !== undefined,
    insertSignInLink: async (link) => {
      await client.query('INSERT INTO portal_sign_in_links (token_hash, email, language, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        bytes(link.tokenHash), link.email, link.language, link.createdAt, link.expiresAt,
      ]);
    },
    countSignInLinksSince: async (email, since) =>
      Number((await oneRow<{ n: string }>(client, 'SELECT COUNT(*) AS n FROM portal_sign_in_links WHERE email = $1 AND created_at >= $2', [email, since]))!.n),
    signInLinkState: async (tokenHash, now) => {
      const r = await oneRow<{ used_at: number | null; expires_at: number }>(client, 'SELECT used_at, expires_at FROM portal_sign_in_links WHERE token_hash = $1', [
        bytes(tokenHash),
      ]);
      return r && (r.used_at === null && r.expires_at > now ? 'usable' : 'used_or_expired');
    },
    // The row lock makes a racing instance's UPDATE wait, re-check `used_at IS NULL` and change nothing.
    useSignInLink: async (tokenHash, now) => {
      const r = await oneRow<{ email: string; language: string | null }>(
        client,
        'UPDATE portal_sign_in_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING email, language',
        [now, bytes(tokenHash)],
      );
      return r && { email: r.email, language: isLanguage(r.language) ? r.language : null };
    },
    insertSession: async (s) => {
      await client.query('INSERT INTO portal_sessions (token_hash, email, created_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5)', [
        bytes(s.tokenHash), s.email, s.createdAt, s.expiresAt, s.endedAt,
      ]);
    },
    getSession: async (tokenHash) => {
      const r = await oneRow<PortalSessionRow>(client, 'SELECT * FROM portal_sessions WHERE token_hash = $1', [bytes(tokenHash)]);
      return r && portalSessionOf(r);
    },
    endSession: async (tokenHash, at) => {
      await client.query('UPDATE portal_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL', [bytes(tokenHash), at]);
    },
    deleteStale: async (before) =>
      (await changedRows(client, 'DELETE FROM portal_sign_in_links WHERE expires_at < $1', [before])) +
      (await changedRows(client, 'DELETE FROM portal_sessions WHERE expires_at < $1 OR ended_at < $1', [before])),
    listTickets: async (email) =>
      (await allRows<TicketRow>(client, 'SELECT * FROM tickets WHERE lower(customer_email) = $1 ORDER BY created_at DESC, id DESC', [email])).map(ticketOf),
    listReceipts: async (email) =>
      (
        await allRows<ReceiptRow>(
          client,
          'SELECT r.* FROM receipts r JOIN tickets t ON t.id = r.ticket_id WHERE lower(t.customer_email) = $1 ORDER BY r.created_at, r.id',
          [email],
        )
      ).map(receiptOf),
    getPreferences: async (email) => {
      const r = await oneRow<{ notify_on_reveal: boolean; ask_first: boolean }>(client, 'SELECT * FROM portal_preferences WHERE email = $1', [email]);
      return r && { notifyOnReveal: r.notify_on_reveal, askFirst: r.ask_first };
    },
    setPreferences: async (email, p, at) => {
      await client.query(
        `INSERT INTO portal_preferences (email, notify_on_reveal, ask_first, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET notify_on_reveal = excluded.notify_on_reveal, ask_first = excluded.ask_first, updated_at = excluded.updated_at`,
        [email, p.notifyOnReveal, p.askFirst, at],
      );
      await client.query(
        'UPDATE receipts SET notify_on_reveal = $2, ask_first = $3 WHERE ticket_id IN (SELECT id FROM tickets WHERE lower(customer_email) = $1)',
        [email, p.notifyOnReveal, p.askFirst],
      );
    },
  };
}
