import { z } from 'zod';
import type { Actor, Audit, AuditFollower, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/keyring.js';
import { formatWebhookSecret, newWebhookSecret } from '../crypto/webhook-signing.js';
import { NotFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Storage } from '../storage/storage.js';
import { isUuid, pageLimit, parseInput } from '../validation.js';
import { EMITTING_ACTIONS, eventsOfAuditEntry, OUTGOING_EVENT_TYPES, type OutgoingEventType } from './outgoing-webhook-events.js';
import type { DeliveryRecord, DeliverySummary, QueuedDelivery, WebhookEndpointRecord, WebhookSubscription } from './outgoing-webhooks-store.js';

/** An endpoint's secret is wrapped under the master key with this context: a wrapped secret moved to another row fails to open. */
export const webhookSecretContext = (endpointId: string) => `ticketvault/webhook-secret/v1|${endpointId}`;

/** How long this process trusts its list of endpoints before reading it again (another instance or the CLI may have changed it). */
export const SUBSCRIPTIONS_TTL_MS = 5000;

export const REMOVED_ERROR = 'endpoint removed';

/**
 * Emission, at the audit log's one append (an AuditFollower): each row that stands for an event
 * queues one delivery per endpoint following it, in the same transaction. The endpoints are
 * held in memory: with none registered, an event costs no query. The list is read again after
 * this process changes it, and at most SUBSCRIPTIONS_TTL_MS after the last read otherwise.
 */
export function createWebhookEmitter(deps: { clock: Clock; ttlMs?: number }) {
  const ttlMs = deps.ttlMs ?? SUBSCRIPTIONS_TTL_MS;
  let subscriptions: WebhookSubscription[] | null = null;
  let readAt = 0;

  const follow: AuditFollower = async (stores, entries, rows) => {
    if (!entries.some((e) => EMITTING_ACTIONS.has(e.action))) return;
    const now = deps.clock.now();
    if (subscriptions === null || now - readAt >= ttlMs || now < readAt) {
      subscriptions = await stores.outgoingWebhooks.listSubscriptions();
      readAt = now;
    }
    if (subscriptions.length === 0) return;
    const deliveries: QueuedDelivery[] = [];
    entries.forEach((entry, i) => {
      const row = rows[i]!;
      for (const event of eventsOfAuditEntry(entry, row)) {
        const endpoints = subscriptions!.filter((s) => s.events.includes(event.type));
        if (endpoints.length === 0) continue;
        const eventId = `msg_${newId(row.at).replaceAll('-', '')}`;
        const payload = JSON.stringify({ type: event.type, timestamp: new Date(row.at).toISOString(), data: event.data });
        for (const endpoint of endpoints) deliveries.push({ eventId, endpointId: endpoint.id, ticketId: event.data.ticketId, type: event.type, payload, at: row.at });
      }
    });
    if (deliveries.length) await stores.outgoingWebhooks.queueDeliveries(deliveries);
  };

  /** After this process changed the endpoints (once committed): the next event reads them again. */
  const invalidate = () => {
    subscriptions = null;
  };
  return { follow, invalidate };
}

export type WebhookEmitter = ReturnType<typeof createWebhookEmitter>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: OutgoingEventType[];
  createdAt: string;
  deliveries: {
    pending: number;
    delivered: number;
    failed: number;
    lastAttemptAt: string | null;
    lastStatus: number | null;
    lastError: string | null;
    nextAttemptAt: string | null;
  };
}

export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  ticketId: string;
  state: DeliveryRecord['state'];
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

const NO_DELIVERIES: Omit<DeliverySummary, 'endpointId'> = { pending: 0, delivered: 0, failed: 0, lastAttemptAt: null, lastStatus: null, lastError: null, nextAttemptAt: null };

const endpointView = (e: WebhookEndpointRecord, s: Omit<DeliverySummary, 'endpointId'> = NO_DELIVERIES): WebhookEndpointView => ({
  id: e.id,
  url: e.url,
  events: e.events as OutgoingEventType[],
  createdAt: new Date(e.createdAt).toISOString(),
  deliveries: {
    pending: s.pending,
    delivered: s.delivered,
    failed: s.failed,
    lastAttemptAt: iso(s.lastAttemptAt),
    lastStatus: s.lastStatus,
    lastError: s.lastError,
    nextAttemptAt: iso(s.nextAttemptAt),
  },
});

const deliveryView = (d: DeliveryRecord): DeliveryView => ({
  id: String(d.id),
  eventId: d.eventId,
  type: d.type,
  ticketId: d.ticketId,
  state: d.state,
  attempts: d.attempts,
  createdAt: new Date(d.createdAt).toISOString(),
  nextAttemptAt: d.state === 'pending' ? new Date(d.nextAttemptAt).toISOString() : null,
  lastAttemptAt: iso(d.lastAttemptAt),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  deliveredAt: iso(d.deliveredAt),
});

/**
 * An endpoint's URL (decision 029): absolute, https (http only outside production, e.g. a
 * receiver on 127.0.0.1), no user name or password in it, no fragment. Private addresses are
 * allowed: only admins register endpoints, and no response body is ever kept or shown.
 */
export function webhookUrlSchema(allowHttp: boolean) {
  return z
    .string()
    .trim()
    .max(2048, 'must be at most 2048 characters')
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
        return;
      }
      if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
        ctx.addIssue({ code: 'custom', message: allowHttp ? 'must be an http or https URL' : 'must be an https URL' });
      } else if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'must not hold a user name or password' });
      } else if (url.hash || value.includes('#')) {
        ctx.addIssue({ code: 'custom', message: 'must not have a fragment' });
      }
    });
}

const eventType = z.enum(OUTGOING_EVENT_TYPES, { error: `must be one of ${OUTGOING_EVENT_TYPES.join(', ')}` });

export interface OutgoingWebhookDeps {
  storage: Storage;
  keyring: Keyring;
  audit: Audit;
  clock: Clock;
  emitter: WebhookEmitter;
  /** Outside production an endpoint may be plain http. */
  allowHttp: boolean;
}

/** Who changes the endpoints (an admin, or the CLI's system actor) and from where. */
export interface WebhookChangedBy {
  actor: Actor;
  origin?: Origin;
}

/** Registering, listing and removing endpoints (admins; `ticketvault webhooks`). */
export function createOutgoingWebhooks(deps: OutgoingWebhookDeps) {
  const { storage, keyring, audit, clock, emitter } = deps;
  const newEndpointSchema = z.strictObject({
    url: webhookUrlSchema(deps.allowHttp),
    events: z
      .array(eventType)
      .min(1, 'must name at least one event')
      .max(OUTGOING_EVENT_TYPES.length)
      .transform((events) => OUTGOING_EVENT_TYPES.filter((t) => events.includes(t))),
  });

  /** Registers an endpoint; the answer carries its secret, shown this once. */
  async function addWebhookEndpoint(input: unknown, by: WebhookChangedBy): Promise<WebhookEndpointView & { secret: string }> {
    const { url, events } = parseInput(newEndpointSchema, input);
    const now = clock.now();
    const id = newId(now);
    const secret = newWebhookSecret();
    const wrapped = keyring.wrap(secret, webhookSecretContext(id));
    const endpoint: WebhookEndpointRecord = {
      id,
      url,
      events,
      kekId: wrapped.kekId,
      secretWrapped: wrapped.wrapped,
      createdBy: by.actor.type === 'staff' ? by.actor.id : null,
      createdAt: now,
      removedAt: null,
    };
    try {
      await storage.write(async (s) => {
        await s.outgoingWebhooks.insertEndpoint(endpoint);
        // The host only: a URL's path or query may carry the receiver's own token.
        await audit.record(s, { action: 'webhook.added', actor: by.actor, origin: by.origin, detail: JSON.stringify({ webhookId: id, host: new URL(url).host, events }) });
      });
      emitter.invalidate();
      return { ...endpointView(endpoint), secret: formatWebhookSecret(secret) };
    } finally {
      secret.fill(0);
    }
  }

  async function listWebhookEndpoints(): Promise<WebhookEndpointView[]> {
    return storage.read(async (s) => {
      const summaries = new Map((await s.outgoingWebhooks.summarize()).map((d) => [d.endpointId, d]));
      return (await s.outgoingWebhooks.listEndpoints()).map((e) => endpointView(e, summaries.get(e.id)));
    });
  }

  /** Removes an endpoint: its secret is dropped and its pending deliveries are closed, never sent. */
  async function removeWebhookEndpoint(id: string, by: WebhookChangedBy): Promise<void> {
    if (!isUuid(id)) throw unknownEndpoint();
    await storage.write(async (s) => {
      if (!(await s.outgoingWebhooks.removeEndpoint(id, clock.now(), REMOVED_ERROR))) throw unknownEndpoint();
      await audit.record(s, { action: 'webhook.removed', actor: by.actor, origin: by.origin, detail: JSON.stringify({ webhookId: id }) });
    });
    emitter.invalidate();
  }

  async function listWebhookDeliveries(id: string, query: unknown = {}): Promise<DeliveryView[]> {
    const { limit } = parseInput(z.strictObject({ limit: pageLimit }), query, 'query');
    if (!isUuid(id)) throw unknownEndpoint();
    return storage.read(async (s) => {
      const endpoint = await s.outgoingWebhooks.getEndpoint(id);
      if (!endpoint || endpoint.removedAt !== null) throw unknownEndpoint();
      return (await s.outgoingWebhooks.listDeliveries(id, limit)).map(deliveryView);
    });
  }

  return { addWebhookEndpoint, listWebhookEndpoints, removeWebhookEndpoint, listWebhookDeliveries };
}

const unknownEndpoint = () => new NotFound('webhook_not_found', 'No webhook endpoint with this id.');

export type OutgoingWebhooks = ReturnType<typeof createOutgoingWebhooks>;
