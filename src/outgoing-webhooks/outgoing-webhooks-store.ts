/** A registered endpoint as stored: its secret wrapped under the master key (null once removed). */
export interface WebhookEndpointRecord {
  id: string;
  url: string;
  events: string[];
  kekId: string | null;
  secretWrapped: Uint8Array | null;
  createdBy: string | null;
  createdAt: number;
  removedAt: number | null;
}

/** Which events an active endpoint follows: what emission needs, without its secret. */
export interface WebhookSubscription {
  id: string;
  events: string[];
}

/** One event for one endpoint, as emission queues it; `payload` is the JSON body without `externalRef`. */
export interface QueuedDelivery {
  eventId: string;
  endpointId: string;
  ticketId: string;
  type: string;
  payload: string;
  at: number;
}

/** A due delivery with what sending it needs: the endpoint's URL and wrapped secret, the ticket's reference. */
export interface DueDelivery {
  id: number;
  eventId: string;
  endpointId: string;
  url: string;
  kekId: string;
  secretWrapped: Uint8Array;
  ticketId: string;
  externalRef: string | null;
  type: string;
  payload: string;
  attempts: number;
  createdAt: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One delivery as the console and the API show it: never its payload's secret (it holds none), never a response body. */
export interface DeliveryRecord {
  id: number;
  eventId: string;
  endpointId: string;
  ticketId: string;
  type: string;
  state: DeliveryState;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** An endpoint's deliveries counted by state, and its latest attempt. */
export interface DeliverySummary {
  endpointId: string;
  pending: number;
  delivered: number;
  failed: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  /** The soonest next attempt of a pending delivery. */
  nextAttemptAt: number | null;
}

/** The outcome of one attempt, recorded on the delivery. */
export interface AttemptOutcome {
  at: number;
  status: number | null;
  error: string | null;
}

export interface OutgoingWebhookStore {
  insertEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** Active endpoints, oldest first. */
  listEndpoints(): Promise<WebhookEndpointRecord[]>;
  listSubscriptions(): Promise<WebhookSubscription[]>;
  /** Marks the endpoint removed, drops its secret, and closes its pending deliveries as failed; false if unknown or already removed. */
  removeEndpoint(id: string, at: number, error: string): Promise<boolean>;
  /** Active endpoints with a secret, by id ascending after `after` (key rotation). */
  listWrappedPage(after: string, limit: number): Promise<Array<{ id: string; kekId: string; secretWrapped: Uint8Array }>>;
  rewrapSecret(id: string, kekId: string, wrapped: Uint8Array): Promise<void>;
  /** Queues deliveries in the order given; rows for an endpoint removed meanwhile are left out. */
  queueDeliveries(deliveries: readonly QueuedDelivery[]): Promise<void>;
  /**
   * Due pending deliveries of active endpoints, each the earliest pending one of its ticket and
   * endpoint (a later event waits). PostgreSQL claims them: other instances skip them until the
   * caller's transaction ends.
   */
  listDue(now: number, limit: number): Promise<DueDelivery[]>;
  /** Pushes rows out of reach (a lease while they are being sent) without counting an attempt. */
  postpone(ids: number[], until: number): Promise<void>;
  markDelivered(id: number, outcome: AttemptOutcome): Promise<void>;
  scheduleRetry(id: number, nextAttemptAt: number, outcome: AttemptOutcome): Promise<void>;
  markFailed(id: number, outcome: AttemptOutcome): Promise<void>;
  summarize(): Promise<DeliverySummary[]>;
  /** An endpoint's deliveries, newest first. */
  listDeliveries(endpointId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Deletes delivered rows older than `deliveredBefore` and given-up rows older than `failedBefore`. */
  prune(deliveredBefore: number, failedBefore: number): Promise<number>;
}
