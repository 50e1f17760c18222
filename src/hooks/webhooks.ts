import type { Actor, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { BearerSecret } from '../config.js';
import { Conflict, Unauthorized } from '../errors.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Logger } from '../logger.js';
import type { Storage, Stores } from '../storage/storage.js';
import { newTicketSchema, type Tickets } from '../tickets/tickets.js';
import { parseInput } from '../validation.js';
import { parseJsonBody, readHelpdeskEvent, readHelpScoutEvent, readJiraEvent, readZendeskEvent, type TicketEvent, type TicketFacts } from './helpdesk-events.js';
import {
  matchBearerSecret,
  requireSignedRecently,
  signedMessageId,
  verifyHelpScoutSignature,
  verifyJiraSignature,
  verifyTicketvaultSignature,
  verifyZendeskSignature,
} from './webhook-signatures.js';

/** Jira retries a failed delivery for minutes, with its first timestamp: older than this, it is refused. */
export const JIRA_MAX_AGE_SECONDS = 3600;

/** A ticket a helpdesk creates without a support period is bounded by the credential max age alone, in practice. */
export const DEFAULT_SUPPORT_PERIOD_MS = 365 * 24 * 3600_000;

export interface WebhookDeps {
  storage: Storage;
  tickets: Tickets;
  intakeLinks: IntakeLinks;
  clock: Clock;
  log: Logger;
  helpdeskSecrets: { signingSecrets: string[]; bearerSecrets: BearerSecret[] };
  zendeskSecrets: string[];
  helpScoutSecrets: string[];
  jiraSecrets: string[];
}

/** One HTTP delivery as plain values: the raw body bytes and the headers that authenticate it (lower-case names). */
export interface Delivery {
  body: Buffer;
  headers: Record<string, string | undefined>;
  origin?: Origin;
}

export type WebhookResult = 'applied' | 'ignored' | 'duplicate';

export interface WebhookOutcome {
  id: string;
  result: WebhookResult;
  intakeLink?: { url: string; expiresAt: string };
}

interface Sender {
  source: string;
  actor: Actor;
}

const notConfigured = (what: string) => new Unauthorized('webhook_not_configured', `${what} webhooks are not configured on this vault.`);

/**
 * Signed helpdesk webhooks: authenticate over the raw bytes, read the event, and apply it once
 * (an events table keyed by source and event id) through the same ticket functions staff use.
 */
export function createWebhooks(deps: WebhookDeps) {
  const { storage, tickets, intakeLinks, clock, log } = deps;
  const { createTicketIn, closeTicketIn, reopenTicketIn, updateTicketIn } = tickets.inTransaction;

  function authenticateHelpdesk(delivery: Delivery): Sender {
    const { signingSecrets, bearerSecrets } = deps.helpdeskSecrets;
    const h = delivery.headers;
    if (h['x-ticketvault-token'] !== undefined && h['x-ticketvault-signature'] === undefined && bearerSecrets.length) {
      const integration = matchBearerSecret(h['x-ticketvault-token'], bearerSecrets);
      return { source: `helpdesk:${integration.name}`, actor: { type: 'helpdesk', id: integration.name, name: integration.name } };
    }
    if (!signingSecrets.length && !bearerSecrets.length) throw notConfigured('Helpdesk');
    verifyTicketvaultSignature({
      timestamp: h['x-ticketvault-timestamp'],
      signature: h['x-ticketvault-signature'],
      body: delivery.body,
      secrets: signingSecrets,
      now: clock.now(),
    });
    return { source: 'helpdesk', actor: { type: 'helpdesk', id: 'helpdesk', name: 'Helpdesk' } };
  }

  /** `POST /hooks/helpdesk`. */
  function receiveHelpdeskDelivery(delivery: Delivery): Promise<WebhookOutcome> {
    const sender = authenticateHelpdesk(delivery);
    return applyOnce(sender, readHelpdeskEvent(parseJsonBody(delivery.body)), delivery.origin);
  }

  /** `POST /hooks/zendesk`. */
  async function receiveZendeskDelivery(delivery: Delivery): Promise<WebhookOutcome> {
    if (!deps.zendeskSecrets.length) throw notConfigured('Zendesk');
    const timestamp = delivery.headers['x-zendesk-webhook-signature-timestamp'];
    verifyZendeskSignature({
      timestamp,
      signature: delivery.headers['x-zendesk-webhook-signature'],
      body: delivery.body,
      secrets: deps.zendeskSecrets,
      now: clock.now(),
    });
    // The invocation id header is not signed; the signed bytes are what must not apply twice.
    const event = readZendeskEvent(parseJsonBody(delivery.body), signedMessageId(timestamp ?? '', delivery.body));
    const sender: Sender = { source: 'zendesk', actor: { type: 'helpdesk', id: 'zendesk', name: 'Zendesk' } };
    return applyOnce(sender, event, delivery.origin);
  }

  /** `POST /hooks/helpscout`. */
  async function receiveHelpScoutDelivery(delivery: Delivery): Promise<WebhookOutcome> {
    if (!deps.helpScoutSecrets.length) throw notConfigured('Help Scout');
    verifyHelpScoutSignature({ signature: delivery.headers['x-helpscout-signature'], body: delivery.body, secrets: deps.helpScoutSecrets });
    const name = delivery.headers['x-helpscout-event']?.trim();
    // The event's name travels in an unsigned header: it is part of the id, and only selects how the signed body is read.
    const id = signedMessageId(name ?? '', delivery.body);
    const event = readHelpScoutEvent(parseJsonBody(delivery.body), name, id);
    const sender: Sender = { source: 'helpscout', actor: { type: 'helpdesk', id: 'helpscout', name: 'Help Scout' } };
    return event ? applyOnce(sender, event, delivery.origin) : passedOver(sender, id, name);
  }

  /** `POST /hooks/jira`. */
  async function receiveJiraDelivery(delivery: Delivery): Promise<WebhookOutcome> {
    if (!deps.jiraSecrets.length) throw notConfigured('Jira');
    verifyJiraSignature({ signature: delivery.headers['x-hub-signature'], body: delivery.body, secrets: deps.jiraSecrets });
    const id = signedMessageId('', delivery.body);
    const { event, signedAt } = readJiraEvent(parseJsonBody(delivery.body), id);
    requireSignedRecently(signedAt, clock.now(), JIRA_MAX_AGE_SECONDS);
    const sender: Sender = { source: 'jira', actor: { type: 'helpdesk', id: 'jira', name: 'Jira' } };
    return event ? applyOnce(sender, event, delivery.origin) : passedOver(sender, id, 'not an issue event');
  }

  /** An authenticated delivery of an event the vault does not follow: answered, so the sender does not retry it, and nothing changes. */
  function passedOver(sender: Sender, id: string, why: string | undefined): WebhookOutcome {
    log.info({ source: sender.source, eventId: id, event: why?.slice(0, 60), result: 'ignored' }, 'webhook event not followed');
    return { id, result: 'ignored' };
  }

  async function applyOnce(sender: Sender, event: TicketEvent, origin?: Origin): Promise<WebhookOutcome> {
    let outcome: WebhookOutcome;
    try {
      outcome = await applyInTransaction(sender, event, origin);
    } catch (error) {
      // Another instance created the ticket (applying this very delivery, or another) between this
      // transaction's reads: run it once more, and it sees the event as a duplicate or the ticket
      // as one the vault already follows. Only PostgreSQL's instances can race like this.
      if (!(error instanceof Conflict && error.code === 'ticket_exists')) throw error;
      outcome = await applyInTransaction(sender, event, origin);
    }
    const fields = { source: sender.source, eventId: event.id, event: event.event, externalRef: event.ticket.externalRef, result: outcome.result };
    if (outcome.result === 'ignored') log.warn(fields, 'webhook event ignored: no ticket with that externalRef');
    else log.info(fields, 'webhook event');
    return outcome;
  }

  /** Applies an event once (an events table keyed by source and event id), in one transaction. */
  function applyInTransaction(sender: Sender, event: TicketEvent, origin?: Origin): Promise<WebhookOutcome> {
    return storage.write(async (s): Promise<WebhookOutcome> => {
      if (await s.webhookEvents.has(sender.source, event.id)) return { id: event.id, result: 'duplicate' };
      const applied = await applyEvent(s, event, sender.actor, origin);
      await s.webhookEvents.insert({
        source: sender.source,
        eventId: event.id,
        event: event.event,
        externalRef: event.ticket.externalRef,
        result: applied.result === 'ignored' ? 'ignored' : 'applied',
        receivedAt: clock.now(),
      });
      return applied;
    });
  }

  /** Runs inside applyOnce's transaction, with the ticket functions' transaction-bound forms. */
  async function applyEvent(s: Stores, event: TicketEvent, actor: Actor, origin?: Origin): Promise<WebhookOutcome> {
    const { externalRef, ...changes } = event.ticket;
    const existing = await s.tickets.getByExternalRef(externalRef);
    const done = (result: WebhookResult, intakeLink?: WebhookOutcome['intakeLink']): WebhookOutcome => ({
      id: event.id,
      result,
      ...(intakeLink && { intakeLink }),
    });

    // A sender whose object may hide the customer (Help Scout, Jira): no e-mail, no new ticket.
    if (!existing && event.createOnlyWithCustomer && !event.ticket.customerEmail) return done('ignored');
    if (event.event === 'ticket.created' || (event.event === 'ticket.synced' && !existing)) {
      // Idempotent by externalRef: a ticket the vault already follows is left as it is, and a link
      // is minted only for the ticket this event created (DESIGN "Security rules").
      if (existing) {
        if (event.createIntakeLink) log.warn({ eventId: event.id, externalRef }, 'webhook asked for an intake link for a ticket it did not create: none minted');
        return done('applied');
      }
      const ticketId = (await createTicketIn(s, parseInput(newTicketSchema, newTicketOf(event.ticket)), actor, origin)).id;
      if (!event.createIntakeLink) return done('applied');
      const { url, expiresAt } = await intakeLinks.createIntakeLinkIn(s, ticketId, {}, actor, origin);
      return done('applied', { url, expiresAt });
    }
    if (!existing) return done('ignored');
    // The state change first, so credentials of a closing ticket end as ticket_closed, not expired.
    if (event.event === 'ticket.closed') await closeTicketIn(s, existing.id, actor, origin);
    if (event.event === 'ticket.reopened' || event.event === 'ticket.synced') await reopenTicketIn(s, existing.id, actor, origin);
    if (Object.keys(changes).length) await updateTicketIn(s, existing.id, changes, actor, origin);
    return done('applied');
  }

  function newTicketOf(facts: TicketFacts) {
    return {
      externalRef: facts.externalRef,
      subject: facts.subject ?? `Helpdesk ticket ${facts.externalRef}`,
      customerEmail: facts.customerEmail,
      customerName: facts.customerName,
      supportUntil: facts.supportUntil ?? new Date(clock.now() + DEFAULT_SUPPORT_PERIOD_MS).toISOString(),
    };
  }

  return { receiveHelpdeskDelivery, receiveZendeskDelivery, receiveHelpScoutDelivery, receiveJiraDelivery };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
