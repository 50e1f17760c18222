
export interface WebhookEventRecord {
  source: string;
  eventId: string;
  event: string;
  externalRef: string;
  result: 'applied' | 'ignored';
  receivedAt: number;
}

export interface WebhookEventStore {
  has(source: string, eventId: string): Promise<boolean>;
  insert(record: WebhookEventRecord): Promise<void>;
}
