import type { CredentialKind } from '../../credentials/credential-kinds.js';
import type { CredentialStatus, EndReason } from '../../credentials/credential-states.js';
import type { Database } from './database.js';
import type { PendingNotice, NoticeOutboxStore } from '../../notices/notice-outbox-store.js';
import type { NoticeKind, QueuedNotice, NoticeQueue } from '../../notices/notice-queue.js';
import type { Sync } from '../storage.js';
import { pendingNoticeOf as fromRaw, type PendingNoticeRow as Raw } from '../rows.js';

export function createNoticeOutboxStore(db: Database): Sync<NoticeOutboxStore> {
  // One statement on the reveal's hot path: the receipt's preference decides whether a row is written.
  const queueReveal = db.prepare(
    `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, audit_seq, created_at, next_attempt_at)
     SELECT 'reveal', @ticketId, @credentialId, id, @auditSeq, @at, @at FROM receipts WHERE id = @receiptId AND notify_on_reveal = 1`,
  );
  const queue = db.prepare(
    `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, created_at, next_attempt_at)
     VALUES (@kind, @ticketId, @credentialId, @receiptId, @at, @at)`,
  );
  // A purge batch's receipts: one statement for the whole batch, rows in the array's order.
  const queueDestructions = db.prepare<[string]>(
    `INSERT INTO notice_outbox (kind, ticket_id, credential_id, receipt_id, created_at, next_attempt_at)
     SELECT 'destruction', value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 3 FROM json_each(?) ORDER BY key`,
  );
  const due = db.prepare<[number, number], Raw>(
    `SELECT o.id, o.kind, o.attempts, o.created_at,
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
     WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
     ORDER BY o.next_attempt_at, o.id LIMIT ?`,
  );
  const postpone = db.prepare('UPDATE notice_outbox SET next_attempt_at = ? WHERE id = ?');
  const retry = db.prepare('UPDATE notice_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const sent = db.prepare('UPDATE notice_outbox SET attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?');
  const failed = db.prepare('UPDATE notice_outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ?');
  const dueCounts = db.prepare<[number], { kind: NoticeKind; count: number }>(
    `SELECT kind, COUNT(*) AS count FROM notice_outbox
     WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? GROUP BY kind`,
  );
  const discard = db.prepare(
    `UPDATE notice_outbox SET failed_at = @now, last_error = @error
     WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= @now`,
  );
  const prune = db.prepare('DELETE FROM notice_outbox WHERE sent_at < ? OR failed_at < ?');

  return {
    queueRevealNotice: (n) => {
      queueReveal.run(n);
    },
    queueSubmissionNotice: (n) => {
      queue.run({ ...n, kind: 'submission' });
    },
    queueDestructionNotice: (n) => {
      queue.run({ ...n, kind: 'destruction' });
    },
    queueDestructionNotices: (notices) => {
      if (notices.length) queueDestructions.run(JSON.stringify(notices.map((n) => [n.ticketId, n.credentialId, n.receiptId, n.at])));
    },
    listDue: (now, limit) => due.all(now, limit).map(fromRaw),
    postpone: (ids, until) => {
      for (const id of ids) postpone.run(until, id);
    },
    scheduleRetry: (ids, nextAttemptAt, error) => {
      for (const id of ids) retry.run(nextAttemptAt, error, id);
    },
    markSent: (ids, at) => {
      for (const id of ids) sent.run(at, id);
    },
    markFailed: (ids, at, error) => {
      for (const id of ids) failed.run(at, error, id);
    },
    discardDue: (now, error) => {
      const counts = dueCounts.all(now);
      discard.run({ now, error });
      return counts;
    },
    prune: (deliveredBefore, failedBefore) => prune.run(deliveredBefore, failedBefore).changes,
  };
}
