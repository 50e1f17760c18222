import type { NoticeOutboxStore } from '../../notices/notice-outbox-store.js';
import type { NoticeKind } from '../../notices/notice-queue.js';
import { pendingNoticeOf, type PendingNoticeRow } from '../rows.js';
import { allRows, changedRows, type PgClient } from './client.js';

/**
 * Due rows are claimed: `FOR UPDATE OF o SKIP LOCKED` locks them until the caller's transaction
 * ends (where the sender postpones them by its lease), and another instance's listDue skips them,
 * or, once committed, re-checks them and finds them no longer due. So each notice is sent once.
 */
const LIST_DUE = `SELECT o.id, o.kind, o.attempts, o.created_at,
    t.id AS ticket_id, t.external_ref, t.subject, t.customer_email, t.customer_name,
    c.id AS credential_id, c.kind AS credential_kind, c.label, c.status, c.ended_because, c.submitted_at, c.ended_at, c.purged_at,
    r.id AS receipt_id, r.token_kek_id, r.token_wrapped, r.language AS receipt_language,
    a.at AS revealed_at, a.actor_name AS revealed_by, a.reason,
    s.email AS staff_email, s.name AS staff_name, s.disabled_at AS staff_disabled_at
  FROM notice_outbox o
  JOIN tickets t ON t.id = o.ticket_id
  JOIN credentials c ON c.id = o.credential_id
  JOIN receipts r ON r.id = o.receipt_id
  LEFT JOIN audit_events a ON a.seq = o.audit_seq
  LEFT JOIN intake_links l ON l.id = c.intake_link_id
  LEFT JOIN staff s ON s.id = l.created_by
  WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1
  ORDER BY o.next_attempt_at, o.id LIMIT $2
  FOR UPDATE OF o SKIP LOCKED`;

export function createPgNoticeOutboxStore(client: PgClient): NoticeOutboxStore {
  const queue = async (kind: NoticeKind, n: { ticketId: string; credentialId: string; receiptId: string; at: number }) => {
    await client.query(
      `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)`,
      [kind, n.ticketId, n.credentialId, n.receiptId, n.at],
    );
  };
  return {
    // One statement on the reveal's hot path: the receipt's preference decides whether a row is written.
    queueRevealNotice: async (n) => {
      await client.query(
        `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, audit_seq, created_at, next_attempt_at)
         SELECT 'reveal', $1, $2, id, $4, $5, $5 FROM receipts WHERE id = $3 AND notify_on_reveal`,
        [n.ticketId, n.credentialId, n.receiptId, n.auditSeq, n.at],
      );
    },
    queueSubmissionNotice: (n) => queue('submission', n),
    queueDestructionNotice: (n) => queue('destruction', n),
    queueDestructionNotices: async (notices) => {
      if (!notices.length) return;
      await client.query(
        `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, created_at, next_attempt_at)
         SELECT 'destruction', n.ticket_id, n.credential_id, n.receipt_id, n.at, n.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS n (ticket_id, credential_id, receipt_id, at, i) ORDER BY n.i`,
        [notices.map((n) => n.ticketId), notices.map((n) => n.credentialId), notices.map((n) => n.receiptId), notices.map((n) => n.at)],
      );
    },
    listDue: async (now, limit) => (await allRows<PendingNoticeRow>(client, LIST_DUE, [now, limit])).map(pendingNoticeOf),
    postpone: async (ids, until) => {
      if (ids.length) await client.query('UPDATE notice_outbox SET next_attempt_at = $2 WHERE id = ANY($1::bigint[])', [ids, until]);
    },
    scheduleRetry: async (ids, nextAttemptAt, error) => {
      if (ids.length) {
        await client.query('UPDATE notice_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = ANY($1::bigint[])', [
          ids,
          nextAttemptAt,
          error,
        ]);
      }
    },
    markSent: async (ids, at) => {
      if (ids.length) await client.query('UPDATE notice_outbox SET attempts = attempts + 1, sent_at = $2, last_error = NULL WHERE id = ANY($1::bigint[])', [ids, at]);
    },
    markFailed: async (ids, at, error) => {
      if (ids.length) {
        await client.query('UPDATE notice_outbox SET attempts = attempts + 1, failed_at = $2, last_error = $3 WHERE id = ANY($1::bigint[])', [ids, at, error]);
      }
    },
    // One statement: the counts are of exactly the rows closed, even with another instance at work.
    discardDue: async (now, error) =>
      allRows<{ kind: NoticeKind; count: number }>(
        client,
        `WITH closed AS (
           UPDATE notice_outbox SET failed_at = $1, last_error = $2
           WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 RETURNING kind
         )
         SELECT kind, COUNT(*) AS count FROM closed GROUP BY kind`,
        [now, error],
      ),
    prune: async (deliveredBefore, failedBefore) =>
      changedRows(client, 'DELETE FROM notice_outbox WHERE sent_at < $1 OR failed_at < $2', [deliveredBefore, failedBefore]),
  };
}
