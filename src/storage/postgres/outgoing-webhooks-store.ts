import type { OutgoingWebhookStore } from '../../outgoing-webhooks/outgoing-webhooks-store.js';
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
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

/**
 * Due rows are claimed: `FOR UPDATE OF d SKIP LOCKED` locks them until the caller's transaction
 * ends (where the sender postpones them by its lease); another instance skips them, and the later
 * events of their tickets wait, as the earlier ones are still pending. So each is sent by one instance.
 */
const LIST_DUE = `${DUE_DELIVERIES_SELECT} WHERE ${DUE_DELIVERIES_WHERE.replace('$now', '$1')}
  ORDER BY d.next_attempt_at, d.id LIMIT $2
  FOR UPDATE OF d SKIP LOCKED`;

export function createPgOutgoingWebhookStore(client: PgClient): OutgoingWebhookStore {
  return {
    insertEndpoint: async (e) => {
      await client.query(
        `INSERT INTO webhook_endpoints (id, url, events, kek_id, secret_wrapped, created_by, created_at, removed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.id, e.url, JSON.stringify(e.events), e.kekId, e.secretWrapped ? bytes(e.secretWrapped) : null, e.createdBy, e.createdAt, e.removedAt],
      );
    },
    getEndpoint: async (id) => {
      const row = await oneRow<WebhookEndpointRow>(client, 'SELECT * FROM webhook_endpoints WHERE id = $1', [id]);
      return row ? webhookEndpointOf(row) : undefined;
    },
    listEndpoints: async () => (await allRows<WebhookEndpointRow>(client, 'SELECT * FROM webhook_endpoints WHERE removed_at IS NULL ORDER BY created_at, id')).map(webhookEndpointOf),
    listSubscriptions: async () =>
      (await allRows<{ id: string; events: string }>(client, 'SELECT id, events FROM webhook_endpoints WHERE removed_at IS NULL')).map((r) => ({
        id: r.id,
        events: JSON.parse(r.events) as string[],
      })),
    removeEndpoint: async (id, at, error) => {
      const removed = await changedRows(client, 'UPDATE webhook_endpoints SET removed_at = $1, kek_id = NULL, secret_wrapped = NULL WHERE id = $2 AND removed_at IS NULL', [at, id]);
      if (removed === 0) return false;
      await client.query(`UPDATE webhook_deliveries SET state = 'failed', last_error = $1 WHERE endpoint_id = $2 AND state = 'pending'`, [error, id]);
      return true;
    },
    listWrappedPage: async (after, limit) =>
      (
        await allRows<{ id: string; kek_id: string; secret_wrapped: Buffer }>(
          client,
          'SELECT id, kek_id, secret_wrapped FROM webhook_endpoints WHERE id > $1 AND secret_wrapped IS NOT NULL ORDER BY id LIMIT $2',
          [after, limit],
        )
      ).map((r) => ({ id: r.id, kekId: r.kek_id, secretWrapped: new Uint8Array(r.secret_wrapped) })),
    rewrapSecret: async (id, kekId, wrapped) => {
      await client.query('UPDATE webhook_endpoints SET kek_id = $1, secret_wrapped = $2 WHERE id = $3 AND secret_wrapped IS NOT NULL', [kekId, bytes(wrapped), id]);
    },
    // One statement for a whole batch (a purge batch's events), rows in the array's order.
    queueDeliveries: async (rows) => {
      if (!rows.length) return;
      await client.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, ticket_id, type, payload, created_at, next_attempt_at)
         SELECT q.event_id, q.endpoint_id, q.ticket_id, q.type, q.payload, q.at, q.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY AS q (event_id, endpoint_id, ticket_id, type, payload, at, i)
         JOIN webhook_endpoints e ON e.id = q.endpoint_id AND e.removed_at IS NULL
         ORDER BY q.i`,
        [rows.map((r) => r.eventId), rows.map((r) => r.endpointId), rows.map((r) => r.ticketId), rows.map((r) => r.type), rows.map((r) => r.payload), rows.map((r) => r.at)],
      );
    },
    listDue: async (now, limit) => (await allRows<DueDeliveryRow>(client, LIST_DUE, [now, limit])).map(dueDeliveryOf),
    postpone: async (ids, until) => {
      if (ids.length) await client.query('UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = ANY($1::bigint[])', [ids, until]);
    },
    markDelivered: async (id, o) => {
      await client.query(
        `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_attempt_at = $2, last_status = $3, last_error = NULL, delivered_at = $2 WHERE id = $1`,
        [id, o.at, o.status],
      );
    },
    scheduleRetry: async (id, next, o) => {
      await client.query(
        'UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $2, last_status = $3, last_error = $4, next_attempt_at = $5 WHERE id = $1',
        [id, o.at, o.status, o.error, next],
      );
    },
    markFailed: async (id, o) => {
      await client.query(
        `UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_attempt_at = $2, last_status = $3, last_error = $4 WHERE id = $1`,
        [id, o.at, o.status, o.error],
      );
    },
    summarize: async () => (await allRows<DeliverySummaryRow>(client, DELIVERY_SUMMARY)).map(deliverySummaryOf),
    listDeliveries: async (endpointId, limit) =>
      (await allRows<DeliveryRow>(client, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`, [endpointId, limit])).map(deliveryOf),
    prune: async (deliveredBefore, failedBefore) =>
      changedRows(
        client,
        `DELETE FROM webhook_deliveries WHERE (state = 'delivered' AND delivered_at < $1) OR (state = 'failed' AND COALESCE(last_attempt_at, created_at) < $2)`,
        [deliveredBefore, failedBefore],
      ),
  };
}
