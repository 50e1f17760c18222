import type { Database } from './database.js';
import type { ReceiptRecord, ReceiptStore } from '../../receipts/receipts-store.js';
import type { Sync } from '../storage.js';
import { receiptOf as fromRaw, type ReceiptRow as Raw } from '../rows.js';

export function createReceiptStore(db: Database): Sync<ReceiptStore> {
  const insert = db.prepare(
    `INSERT INTO receipts (id, ticket_id, intake_link_id, token_hash, token_kek_id, token_wrapped, notify_on_reveal, ask_first, language, created_at)
     SELECT @id, @ticketId, @intakeLinkId, @tokenHash, @tokenKekId, @tokenWrapped, COALESCE(p.notify_on_reveal, @notify), COALESCE(p.ask_first, @askFirst), @language, @createdAt
     FROM (SELECT lower(customer_email) AS email FROM tickets WHERE id = @ticketId) t LEFT JOIN portal_preferences p ON p.email = t.email`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM receipts WHERE id = ?');
  const byHash = db.prepare<[Buffer], Raw>('SELECT * FROM receipts WHERE token_hash = ?');
  const setNotify = db.prepare('UPDATE receipts SET notify_on_reveal = ? WHERE id = ?');
  const setLanguage = db.prepare('UPDATE receipts SET language = ? WHERE id = ?');
  const page = db.prepare<[string, number], Raw>('SELECT * FROM receipts WHERE id > ? ORDER BY id LIMIT ?');
  const rewrap = db.prepare('UPDATE receipts SET token_kek_id = ?, token_wrapped = ? WHERE id = ?');
  return {
    insert: (r) => {
      insert.run({
        id: r.id,
        ticketId: r.ticketId,
        intakeLinkId: r.intakeLinkId,
        tokenHash: r.tokenHash,
        tokenKekId: r.tokenKekId,
        tokenWrapped: r.tokenWrapped,
        notify: r.notifyOnReveal ? 1 : 0,
        askFirst: r.askFirst ? 1 : 0,
        language: r.language,
        createdAt: r.createdAt,
      });
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getByTokenHash: (hash) => {
      const r = byHash.get(hash);
      return r && fromRaw(r);
    },
    setNotifyOnReveal: (id, value) => {
      setNotify.run(value ? 1 : 0, id);
    },
    setLanguage: (id, language) => {
      setLanguage.run(language, id);
    },
    listPage: (afterId, limit) => page.all(afterId, limit).map(fromRaw),
    rewrapToken: (id, kekId, wrapped) => {
      rewrap.run(kekId, wrapped, id);
    },
  };
}
