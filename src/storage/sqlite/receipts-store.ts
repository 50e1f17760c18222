import type { Database } from './database.js';
import type { ReceiptRecord, ReceiptStore } from '../../receipts/receipts-store.js';
import type { Sync } from '../storage.js';
import { receiptOf as fromRaw, type ReceiptRow as Raw } from '../rows.js';

export function createReceiptStore(db: Database): Sync<ReceiptStore> {
  const insert = db.prepare(
    `INSERT INTO receipts (id, ticket_id, intake_link_id, token_hash, token_kek_id, token_wrapped, notify_on_reveal, language, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM receipts WHERE id = ?');
  const byHash = db.prepare<[Buffer], Raw>('SELECT * FROM receipts WHERE token_hash = ?');
  const setNotify = db.prepare('UPDATE receipts SET notify_on_reveal = ? WHERE id = ?');
  const setLanguage = db.prepare('UPDATE receipts SET language = ? WHERE id = ?');
  const page = db.prepare<[string, number], Raw>('SELECT * FROM receipts WHERE id > ? ORDER BY id LIMIT ?');
  const rewrap = db.prepare('UPDATE receipts SET token_kek_id = ?, token_wrapped = ? WHERE id = ?');
  return {
    insert: (r) => {
      insert.run(r.id, r.ticketId, r.intakeLinkId, r.tokenHash, r.tokenKekId, r.tokenWrapped, r.notifyOnReveal ? 1 : 0, r.language, r.createdAt);
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
