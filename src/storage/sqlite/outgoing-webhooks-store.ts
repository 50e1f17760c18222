import type { Database } from './database.js';
import type { OutgoingWebhookStore, WebhookSubscription } from '../../outgoing-webhooks/outgoing-webhooks-store.js';
import type { Sync } from '../storage.js';
import {
  DELIVERY_COLUMNS,
  DELIVERY_SUMMARY,
  DUE_DELIVERIES_SELECT,
  DUE_DELIVERIES_WHERE,
  deliveryOf,
  deliverySummaryOf,
  dueDeliveryOf,
  webhookEndpointOf,
  type DeliveryRow,
  type DeliverySummaryRow,
  type DueDeliveryRow,
  type WebhookEndpointRow,
} from '../outgoing-webhook-rows.js';

export function createOutgoingWebhookStore(db: Database): Sync<OutgoingWebhookStore> {
  const insertEndpoint = db.prepare(
    `INSERT INTO webhook_endpoints (id, url, events, kek_id, secret_wrapped, created_by, created_at, removed_at)
     VALUES (@id, @url, @events, @kekId, @secretWrapped, @createdBy, @createdAt, @removedAt)`,
  );
  const getEndpoint = db.prepare<[string], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE id = ?');
  const listEndpoints = db.prepare<[], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE removed_at IS NULL ORDER BY created_at, id');
  const listSubscriptions = db.prepare<[], { id: string; events: string }>('SELECT id, events FROM webhook_endpoints WHERE removed_at IS NULL');
  const removeEndpoint = db.prepare('UPDATE webhook_endpoints SET removed_at = ?, kek_id = NULL, secret_wrapped = NULL WHERE id = ? AND removed_at IS NULL');
  const closePending = db.prepare(`UPDATE webhook_deliveries SET state = 'failed', last_error = ? WHERE endpoint_id = ? AND state = 'pending'`);
  const wrappedPage = db.prepare<[string, number], { id: string; kek_id: string; secret_wrapped: Buffer }>(
    'SELECT id, kek_id, secret_wrapped FROM webhook_endpoints WHERE id > ? AND secret_wrapped IS NOT NULL ORDER BY id LIMIT ?',
  );
  const rewrap = db.prepare('UPDATE webhook_endpoints SET kek_id = ?, secret_wrapped = ? WHERE id = ? AND secret_wrapped IS NOT NULL');
  // One statement for a whole batch (a purge batch's events), rows in the array's order.
  const queue = db.prepare<[string]>(
    `INSERT INTO webhook_deliveries (event_id, endpoint_id, ticket_id, type, payload, created_at, next_attempt_at)
     SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 5
     FROM json_each(?) j JOIN webhook_endpoints e ON e.id = j.value ->> 1 AND e.removed_at IS NULL
     ORDER BY j.key`,
  );
  const due = db.prepare<[{ now: number; limit: number }], DueDeliveryRow>(
    `${DUE_DELIVERIES_SELECT} WHERE ${DUE_DELIVERIES_WHERE} ORDER BY d.next_attempt_at, d.id LIMIT $limit`,
  );
  const postpone = db.prepare('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?');
  const delivered = db.prepare(
    `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = NULL, delivered_at = @at WHERE id = @id`,
  );
  const retry = db.prepare(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error, next_attempt_at = @next WHERE id = @id`,
  );
  const failed = db.prepare(
    `UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error WHERE id = @id`,
  );
  const summary = db.prepare<[], DeliverySummaryRow>(DELIVERY_SUMMARY);
  const deliveries = db.prepare<[string, number], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`);
  const prune = db.prepare(
    `DELETE FROM webhook_deliveries WHERE (state = 'delivered' AND delivered_at < ?) OR (state = 'failed' AND COALESCE(last_attempt_at, created_at) < ?)`,
  );

  return {
    insertEndpoint: (e) => {
      insertEndpoint.run({ ...e, events: JSON.stringify(e.events), secretWrapped: e.secretWrapped ? Buffer.from(e.secretWrapped) : null });
    },
    getEndpoint: (id) => {
      const row = getEndpoint.get(id);
      return row ? webhookEndpointOf(row) : undefined;
    },
    listEndpoints: () => listEndpoints.all().map(webhookEndpointOf),
    listSubscriptions: (): WebhookSubscription[] => listSubscriptions.all().map((r) => ({ id: r.id, events: JSON.parse(r.events) as string[] })),
    removeEndpoint: (id, at, error) => {
      if (removeEndpoint.run(at, id).changes === 0) return false;
      closePending.run(error, id);
      return true;
    },
    listWrappedPage: (after, limit) => wrappedPage.all(after, limit).map((r) => ({ id: r.id, kekId: r.kek_id, secretWrapped: new Uint8Array(r.secret_wrapped) })),
    rewrapSecret: (id, kekId, wrapped) => {
      rewrap.run(kekId, Buffer.from(wrapped), id);
    },
    queueDeliveries: (rows) => {
      if (rows.length) queue.run(JSON.stringify(rows.map((r) => [r.eventId, r.endpointId, r.ticketId, r.type, r.payload, r.at])));
    },
    listDue: (now, limit) => due.all({ now, limit }).map(dueDeliveryOf),
    postpone: (ids, until) => {
      for (const id of ids) postpone.run(until, id);
    },
    markDelivered: (id, o) => {
      delivered.run({ id, at: o.at, status: o.status });
    },
    scheduleRetry: (id, next, o) => {
      retry.run({ id, next, at: o.at, status: o.status, error: o.error });
    },
    markFailed: (id, o) => {
      failed.run({ id, at: o.at, status: o.status, error: o.error });
    },
    summarize: () => summary.all().map(deliverySummaryOf),
    listDeliveries: (endpointId, limit) => deliveries.all(endpointId, limit).map(deliveryOf),
    prune: (deliveredBefore, failedBefore) => prune.run(deliveredBefore, failedBefore).changes,
  };
}
