import type { DeliveryRecord, DeliverySummary, DueDelivery, WebhookEndpointRecord } from '../outgoing-webhooks/outgoing-webhooks-store.js';

// The outgoing-webhook tables' rows as both backends hold them, and the records the domain sees.

export interface WebhookEndpointRow {
  id: string;
  url: string;
  events: string;
  kek_id: string | null;
  secret_wrapped: Buffer | null;
  created_by: string | null;
  created_at: number | string;
  removed_at: number | string | null;
}

const num = (v: number | string) => Number(v);
const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));

export const webhookEndpointOf = (r: WebhookEndpointRow): WebhookEndpointRecord => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  kekId: r.kek_id,
  secretWrapped: r.secret_wrapped ? new Uint8Array(r.secret_wrapped) : null,
  createdBy: r.created_by,
  createdAt: num(r.created_at),
  removedAt: numOrNull(r.removed_at),
});

export interface DueDeliveryRow {
  id: number | string;
  event_id: string;
  endpoint_id: string;
  url: string;
  kek_id: string;
  secret_wrapped: Buffer;
  ticket_id: string;
  external_ref: string | null;
  type: string;
  payload: string;
  attempts: number;
  created_at: number | string;
}

export const dueDeliveryOf = (r: DueDeliveryRow): DueDelivery => ({
  id: num(r.id),
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  url: r.url,
  kekId: r.kek_id,
  secretWrapped: new Uint8Array(r.secret_wrapped),
  ticketId: r.ticket_id,
  externalRef: r.external_ref,
  type: r.type,
  payload: r.payload,
  attempts: r.attempts,
  createdAt: num(r.created_at),
});

export interface DeliveryRow {
  id: number | string;
  event_id: string;
  endpoint_id: string;
  ticket_id: string;
  type: string;
  state: DeliveryRecord['state'];
  attempts: number;
  created_at: number | string;
  next_attempt_at: number | string;
  last_attempt_at: number | string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | string | null;
}

export const deliveryOf = (r: DeliveryRow): DeliveryRecord => ({
  id: num(r.id),
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  ticketId: r.ticket_id,
  type: r.type,
  state: r.state,
  attempts: r.attempts,
  createdAt: num(r.created_at),
  nextAttemptAt: num(r.next_attempt_at),
  lastAttemptAt: numOrNull(r.last_attempt_at),
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: numOrNull(r.delivered_at),
});

export interface DeliverySummaryRow {
  endpoint_id: string;
  pending: number | string;
  delivered: number | string;
  failed: number | string;
  last_attempt_at: number | string | null;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | string | null;
}

export const deliverySummaryOf = (r: DeliverySummaryRow): DeliverySummary => ({
  endpointId: r.endpoint_id,
  pending: num(r.pending),
  delivered: num(r.delivered),
  failed: num(r.failed),
  lastAttemptAt: numOrNull(r.last_attempt_at),
  lastStatus: r.last_status,
  lastError: r.last_error,
  nextAttemptAt: numOrNull(r.next_attempt_at),
});

/** Pending, due, of an active endpoint, and no earlier pending delivery of the same ticket to the same endpoint. */
export const DUE_DELIVERIES_WHERE = `d.state = 'pending' AND d.next_attempt_at <= $now AND e.removed_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM webhook_deliveries p
    WHERE p.endpoint_id = d.endpoint_id AND p.ticket_id = d.ticket_id AND p.state = 'pending' AND p.id < d.id
  )`;

export const DUE_DELIVERIES_SELECT = `SELECT d.id, d.event_id, d.endpoint_id, e.url, e.kek_id, e.secret_wrapped, d.ticket_id, t.external_ref,
    d.type, d.payload, d.attempts, d.created_at
  FROM webhook_deliveries d
  JOIN webhook_endpoints e ON e.id = d.endpoint_id
  LEFT JOIN tickets t ON t.id = d.ticket_id`;

/** Per endpoint: counts by state, the latest attempt and the soonest next one (pending rows). */
export const DELIVERY_SUMMARY = `SELECT d.endpoint_id,
    SUM(CASE WHEN d.state = 'pending' THEN 1 ELSE 0 END) AS pending,
    SUM(CASE WHEN d.state = 'delivered' THEN 1 ELSE 0 END) AS delivered,
    SUM(CASE WHEN d.state = 'failed' THEN 1 ELSE 0 END) AS failed,
    MAX(d.last_attempt_at) AS last_attempt_at,
    (SELECT l.last_status FROM webhook_deliveries l WHERE l.endpoint_id = d.endpoint_id AND l.last_attempt_at IS NOT NULL ORDER BY l.last_attempt_at DESC, l.id DESC LIMIT 1) AS last_status,
    (SELECT l.last_error FROM webhook_deliveries l WHERE l.endpoint_id = d.endpoint_id AND l.last_attempt_at IS NOT NULL ORDER BY l.last_attempt_at DESC, l.id DESC LIMIT 1) AS last_error,
    MIN(CASE WHEN d.state = 'pending' THEN d.next_attempt_at END) AS next_attempt_at
  FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
  WHERE e.removed_at IS NULL
  GROUP BY d.endpoint_id`;

export const DELIVERY_COLUMNS = `id, event_id, endpoint_id, ticket_id, type, state, attempts, created_at, next_attempt_at,
  last_attempt_at, last_status, last_error, delivered_at`;
