import type { PortalMailStore } from '../../portal/portal-mails-store.js';
import { portalMailOf, type PortalMailRow } from '../portal-rows.js';
import { allRows, bytes, changedRows, type PgClient } from './client.js';

export function createPgPortalMailStore(client: PgClient): PortalMailStore {
  return {
    prune: (sentBefore, failedBefore) => changedRows(client, 'DELETE FROM portal_mails WHERE sent_at < $1 OR failed_at < $2', [sentBefore, failedBefore]),
    queue: async (m) => {
      await client.query(
        `INSERT INTO portal_mails (kind, to_address, to_name, language, facts, link_kek_id, link_wrapped, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [m.kind, m.to.address, m.to.name, m.language, JSON.stringify(m.facts), m.link?.kekId ?? null, m.link ? bytes(m.link.wrapped) : null, m.at],
      );
    },
    // Claimed like the notice outbox: another instance skips the locked rows, then finds them postponed.
    listDue: async (now, limit) =>
      (
        await allRows<PortalMailRow>(
          client,
          `SELECT * FROM portal_mails WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
           ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [now, limit],
        )
      ).map(portalMailOf),
    postpone: async (ids, until) => {
      if (ids.length) await client.query('UPDATE portal_mails SET next_attempt_at = $2 WHERE id = ANY($1::bigint[])', [ids, until]);
    },
    markSent: async (id, at) => {
      await client.query('UPDATE portal_mails SET attempts = attempts + 1, sent_at = $2, last_error = NULL, link_kek_id = NULL, link_wrapped = NULL WHERE id = $1', [id, at]);
    },
    scheduleRetry: async (id, next, error) => {
      await client.query('UPDATE portal_mails SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1', [id, next, error]);
    },
    markFailed: async (id, at, error) => {
      await client.query(
        'UPDATE portal_mails SET attempts = attempts + 1, failed_at = $2, last_error = $3, link_kek_id = NULL, link_wrapped = NULL WHERE id = $1',
        [id, at, error],
      );
    },
  };
}
