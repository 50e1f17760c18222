import type { ReceiptStore } from '../../receipts/receipts-store.js';
import { receiptOf, type ReceiptRow } from '../rows.js';
import { allRows, bytes, oneRow, type PgClient } from './client.js';

export function createPgReceiptStore(client: PgClient): ReceiptStore {
  return {
    insert: async (r) => {
      await client.query(
        `INSERT INTO receipts (id, ticket_id, intake_link_id, token_hash, token_kek_id, token_wrapped, notify_on_reveal, ask_first, language, created_at)
         SELECT $1, $2, $3, $4, $5, $6, COALESCE(p.notify_on_reveal, $7), COALESCE(p.ask_first, $10), $8, $9
         FROM (SELECT lower(customer_email) AS email FROM tickets WHERE id = $2) t LEFT JOIN portal_preferences p ON p.email = t.email`,
        [r.id, r.ticketId, r.intakeLinkId, bytes(r.tokenHash), r.tokenKekId, bytes(r.tokenWrapped), r.notifyOnReveal, r.language, r.createdAt, r.askFirst],
      );
    },
    get: async (id) => {
      const r = await oneRow<ReceiptRow>(client, 'SELECT * FROM receipts WHERE id = $1', [id]);
      return r && receiptOf(r);
    },
    getByTokenHash: async (hash) => {
      const r = await oneRow<ReceiptRow>(client, 'SELECT * FROM receipts WHERE token_hash = $1', [bytes(hash)]);
      return r && receiptOf(r);
    },
    setNotifyOnReveal: async (id, value) => {
      await client.query('UPDATE receipts SET notify_on_reveal = $2 WHERE id = $1', [id, value]);
    },
    setLanguage: async (id, language) => {
      await client.query('UPDATE receipts SET language = $2 WHERE id = $1', [id, language]);
    },
    listPage: async (afterId, limit) =>
      (await allRows<ReceiptRow>(client, 'SELECT * FROM receipts WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(receiptOf),
    rewrapToken: async (id, kekId, wrapped) => {
      await client.query('UPDATE receipts SET token_kek_id = $2, token_wrapped = $3 WHERE id = $1', [id, kekId, bytes(wrapped)]);
    },
  };
}
