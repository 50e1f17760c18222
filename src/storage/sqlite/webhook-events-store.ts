import type { Database } from './database.js';
import type { WebhookEventRecord, WebhookEventStore } from '../../hooks/webhook-events-store.js';
import type { Sync } from '../storage.js';

export function createWebhookEventStore(db: Database): Sync<WebhookEventStore> {
  const has = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM webhook_events WHERE source = ? AND event_id = ?');
  const insert = db.prepare(
    `INSERT INTO webhook_events (source, event_id, event, external_ref, result, received_at)
     VALUES (@source, @eventId, @event, @externalRef, @result, @receivedAt)`,
  );
  return {
    has: (source, eventId) => has.get(source, eventId) !== undefined,
    insert: (record) => {
      insert.run(record);
    },
  };
}
