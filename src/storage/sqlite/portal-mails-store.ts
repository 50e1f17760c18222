import type { Database } from './database.js';
import type { PortalMailStore } from '../../portal/portal-mails-store.js';
import type { Sync } from '../storage.js';
import { portalMailOf, type PortalMailRow } from '../portal-rows.js';

export function createPortalMailStore(db: Database): Sync<PortalMailStore> {
  const queue = db.prepare(
    `INSERT INTO portal_mails (kind, to_address, to_name, language, facts, link_kek_id, link_wrapped, created_at, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const due = db.prepare<[number, number], PortalMailRow>(
    `SELECT * FROM portal_mails WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
  );
  const postpone = db.prepare('UPDATE portal_mails SET next_attempt_at = ? WHERE id = ?');
  const sent = db.prepare('UPDATE portal_mails SET attempts = attempts + 1, sent_at = ?, last_error = NULL, link_kek_id = NULL, link_wrapped = NULL WHERE id = ?');
  const retry = db.prepare('UPDATE portal_mails SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const failed = db.prepare('UPDATE portal_mails SET attempts = attempts + 1, failed_at = ?, last_error = ?, link_kek_id = NULL, link_wrapped = NULL WHERE id = ?');
  const prune = db.prepare('DELETE FROM portal_mails WHERE sent_at < ? OR failed_at < ?');
  return {
    prune: (sentBefore, failedBefore) => prune.run(sentBefore, failedBefore).changes,
    queue: (m) => {
      queue.run(m.kind, m.to.address, m.to.name, m.language, JSON.stringify(m.facts), m.link?.kekId ?? null, m.link?.wrapped ?? null, m.at, m.at);
    },
    listDue: (now, limit) => due.all(now, limit).map(portalMailOf),
    postpone: (ids, until) => {
      for (const id of ids) postpone.run(until, id);
    },
    markSent: (id, at) => {
      sent.run(at, id);
    },
    scheduleRetry: (id, next, error) => {
      retry.run(next, error, id);
    },
    markFailed: (id, at, error) => {
      failed.run(at, error, id);
    },
  };
}
