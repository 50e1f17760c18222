import type { WebhookEventStore } from '../../hooks/webhook-events-store.js';
import { oneRow, type PgClient } from './client.js';

/**
 * The primary key (source, event_id) makes an id unique across instances: when two deliveries of
 * one event race, the second insert fails with a unique violation, its transaction rolls back and
 * the storage runs it again, when `has` answers true.
 */
export function createPgWebhookEventStore(client: PgClient): WebhookEventStore {
  return {
    has: async (source, eventId) => (await oneRow(client, 'SELECT 1 AS one FROM webhook_events WHERE source = $1 AND event_id = $2', [source, eventId])) !== undefined,
    insert: async (r) => {
      await client.query(
        `INSERT INTO webhook_events (source, event_id, event, external_ref, result, received_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [r.source, r.eventId, r.event, r.externalRef, r.result, r.receivedAt],
      );
    },
  };
}
