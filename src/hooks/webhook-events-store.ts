import type { Database } from '../storage/database.js';

export interface WebhookEventRecord {
  source: string;
  eventId: string;
  event: string;
  externalRef: string;
  result: 'applied' | 'ignored';
  receivedAt: number;
}

export interface WebhookEventStore {
  has(source: string, eventId: string): boolean;
  insert(record: WebhookEventRecord): void;
}

export function createWebhookEventStore(db: Database): WebhookEventStore {
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
