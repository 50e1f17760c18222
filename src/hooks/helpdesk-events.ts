import { z } from 'zod';
import { BadRequest } from '../errors.js';
import { parseInput } from '../validation.js';

// The two payloads the vault accepts, read into one shape. Only the fields named here are
// allowed; anything else is a 400 and changes nothing.

export const HELPDESK_EVENTS = ['ticket.created', 'ticket.updated', 'ticket.closed', 'ticket.reopened'] as const;

export type HelpdeskEventName = (typeof HELPDESK_EVENTS)[number];

/**
 * What one delivery asks for. `ticket.synced` is Zendesk's "the ticket is live" (new, open,
 * pending, on-hold): create it if unknown, reopen it if closed, and take its current details.
 */
export interface TicketEvent {
  id: string;
  event: HelpdeskEventName | 'ticket.synced';
  ticket: TicketFacts;
  createIntakeLink: boolean;
}

export interface TicketFacts {
  externalRef: string;
  subject?: string;
  customerEmail?: string;
  customerName?: string;
  supportUntil?: string;
}

/** Zendesk renders an empty placeholder as "": that means "not given". */
const given = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const ticketFacts = z.strictObject({
  externalRef: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  subject: given(z.string()),
  customerEmail: given(z.string()),
  customerName: given(z.string()),
  supportUntil: given(z.string()),
});

const helpdeskPayload = z.strictObject({
  id: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  event: z.string(),
  ticket: ticketFacts,
  createIntakeLink: z.boolean().optional(),
});

const zendeskPayload = z.strictObject({
  ticket: ticketFacts.extend({ status: z.string() }),
});

/** Zendesk's ticket statuses (English names, any case; "on-hold" as Zendesk renders it). */
const ZENDESK_STATUSES: Record<string, TicketEvent['event']> = {
  new: 'ticket.synced',
  open: 'ticket.synced',
  pending: 'ticket.synced',
  hold: 'ticket.synced',
  onhold: 'ticket.synced',
  solved: 'ticket.closed',
  closed: 'ticket.closed',
};

export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequest('malformed_json', 'The body is not valid JSON.');
  }
}

const compact = (facts: TicketFacts): TicketFacts =>
  Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as unknown as TicketFacts;

/** `POST /hooks/helpdesk`: `{ id, event, ticket: { externalRef, … }, createIntakeLink? }`. */
export function readHelpdeskEvent(json: unknown): TicketEvent {
  const data = parseInput(helpdeskPayload, json);
  if (!(HELPDESK_EVENTS as readonly string[]).includes(data.event)) {
    throw new BadRequest('unknown_event', `event must be one of ${HELPDESK_EVENTS.join(', ')}`, [{ path: 'body.event', message: 'unknown event' }]);
  }
  if (data.createIntakeLink !== undefined && data.event !== 'ticket.created') {
    throw new BadRequest('validation_failed', 'createIntakeLink goes with ticket.created only', [{ path: 'body.createIntakeLink', message: 'not allowed here' }]);
  }
  return { id: data.id, event: data.event as HelpdeskEventName, ticket: compact(data.ticket), createIntakeLink: data.createIntakeLink === true };
}

/** `POST /hooks/zendesk`: the trigger template in the README; the delivery's id comes from its signed bytes. */
export function readZendeskEvent(json: unknown, id: string): TicketEvent {
  const { ticket } = parseInput(zendeskPayload, json);
  const { status, ...facts } = ticket;
  const event = ZENDESK_STATUSES[status.trim().toLowerCase().replace(/[\s_-]+/g, '')];
  if (!event) {
    throw new BadRequest('unknown_status', `ticket.status must be one of new, open, pending, hold, solved, closed (got "${status.slice(0, 40)}")`, [
      { path: 'body.ticket.status', message: 'unknown status' },
    ]);
  }
  return { id, event, ticket: compact(facts), createIntakeLink: false };
}
