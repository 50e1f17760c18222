import type { ReceiptRecord, ReceiptStore } from '../../receipts/receipts-store.js';
import { allRows, bytes, oneRow, type PgClient, type PgStore } from './client.js';

interface Raw {
  id: string;
  ticket_id: string;
  intake_link_id: string | null;
  token_hash: Buffer;
  token_kek_id: string;
  token_wrapped: Buffer;
  notify_on_reveal: boolean;
  created_at: number;
}

const fromRaw = (r: Raw): ReceiptRecord => ({
  id: r.id,
  ticketId: r.ticket_id,
  intakeLinkId: r.intake_link_id,
  tokenHash: r.token_hash,
  tokenKekId: r.token_kek_id,
  tokenWrapped: new Uint8Array(r.token_wrapped),
  notifyOnReveal: r.notify_on_reveal,
  createdAt: r.created_at,
});

export function createPgReceiptStore(client: PgClient): PgStore<ReceiptStore> {
  return {
    insert: async (r) => {
      await client.query(
        `INSERT INTO receipts (id, ticket_id, intake_link_id, token_hash, token_kek_id, token_wrapped, notify_on_reveal, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.id, r.ticketId, r.intakeLinkId, bytes(r.tokenHash), r.tokenKekId, bytes(r.tokenWrapped), r.notifyOnReveal, r.createdAt],
      );
    },
    get: async (id) => {
      const r = await oneRow<Raw>(client, 'SELECT * FROM receipts WHERE id = $1', [id]);
      return r && fromRaw(r);
    },
    getByTokenHash: async (hash) => {
      const r = await oneRow<Raw>(client, 'SELECT * FROM receipts WHERE token_hash = $1', [bytes(hash)]);
      return r && fromRaw(r);
    },
    setNotifyOnReveal: async (id, value) => {
      await client.query('UPDATE receipts SET notify_on_reveal = $2 WHERE id = $1', [id, value]);
    },
    listPage: async (afterId, limit) =>
      (await allRows<Raw>(client, 'SELECT * FROM receipts WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(fromRaw),
    rewrapToken: async (id, kekId, wrapped) => {
      await client.query('UPDATE receipts SET token_kek_id = $2, token_wrapped = $3 WHERE id = $1', [id, kekId, bytes(wrapped)]);
    },
  };
}
