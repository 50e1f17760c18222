import { z } from 'zod';
import { BadRequest } from '../errors.js';
import { parseInput } from '../validation.js';

// The payloads the vault accepts, read into one shape. For the vault's own payload and the
// Zendesk template (both written for the vault) only the fields named here are allowed; anything
// else is a 400 and changes nothing. Help Scout and Jira send their own full objects: only the
// fields named here are read, the rest is not looked at.

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
  /** An unknown ticket without a customer e-mail is passed over (202 ignored) instead of refused: the sender's object may hide it. */
  createOnlyWithCustomer?: boolean;
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

const text = z.string().trim().max(10_000).optional().catch(undefined);

const helpScoutCustomer = z.object({ email: text, first: text, last: text, firstName: text, lastName: text }).optional().catch(undefined);

const helpScoutConversation = z.object({
  number: z.union([z.number().int().nonnegative(), z.string().trim().regex(/^\d{1,18}$/)]),
  subject: text,
  status: z.string(),
  primaryCustomer: helpScoutCustomer,
  customer: helpScoutCustomer,
});

/** Help Scout's conversation statuses. */
const HELP_SCOUT_STATUSES: Record<string, TicketEvent['event']> = {
  active: 'ticket.synced',
  pending: 'ticket.synced',
  closed: 'ticket.closed',
  spam: 'ticket.closed',
};

const nameOf = (...parts: Array<string | undefined>) => parts.filter(Boolean).join(' ').trim() || undefined;

/**
 * `POST /hooks/helpscout`: every `convo.*` event carrying a conversation object (created, status,
 * customer reply, …) brings the ticket `HS-<number>` to the conversation's state, like Zendesk's
 * statuses. Other events (customers, ratings, tags, a deletion, which names no number) are passed
 * over: null. The delivery's id comes from its signed bytes.
 */
export function readHelpScoutEvent(json: unknown, eventName: string | undefined, id: string): TicketEvent | null {
  if (!eventName?.startsWith('convo.') || eventName === 'convo.deleted') return null;
  const conversation = parseInput(helpScoutConversation, json);
  const event = HELP_SCOUT_STATUSES[conversation.status.trim().toLowerCase()];
  if (!event) {
    throw new BadRequest('unknown_status', `status must be one of active, pending, closed, spam (got "${conversation.status.slice(0, 40)}")`, [
      { path: 'body.status', message: 'unknown status' },
    ]);
  }
  const customer = conversation.primaryCustomer ?? conversation.customer;
  return {
    id,
    event,
    ticket: compact({
      externalRef: `HS-${conversation.number}`,
      subject: conversation.subject || undefined,
      customerEmail: customer?.email || undefined,
      customerName: nameOf(customer?.first ?? customer?.firstName, customer?.last ?? customer?.lastName),
    }),
    createIntakeLink: false,
    createOnlyWithCustomer: true,
  };
}

const jiraPayload = z.object({
  timestamp: z.number().optional().catch(undefined),
  webhookEvent: z.string(),
  issue: z
    .object({
      key: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9_]{0,49}-\d{1,18}$/, 'must be an issue key such as SUP-42'),
      fields: z
        .object({
          summary: text,
          status: z.object({ statusCategory: z.object({ key: z.string() }).optional() }).optional().catch(undefined),
          reporter: z.object({ emailAddress: text, displayName: text }).nullish().catch(undefined),
        })
        .optional(),
    })
    .optional(),
});

/** Jira's issue events: a created or updated issue follows its status category (done → closed), a deleted one closes. */
const JIRA_EVENTS = ['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted'];

/**
 * `POST /hooks/jira`: the issue `KEY-n` is the ticket's reference, its reporter the customer
 * (Jira Service Management). Events other than an issue's are passed over: null. `signedAt` is
 * the body's signed `timestamp` (milliseconds), checked by the caller.
 */
export function readJiraEvent(json: unknown, id: string): { event: TicketEvent | null; signedAt: number | undefined } {
  const data = parseInput(jiraPayload, json);
  if (!JIRA_EVENTS.includes(data.webhookEvent)) return { event: null, signedAt: data.timestamp };
  if (!data.issue) throw new BadRequest('validation_failed', 'An issue event needs its issue', [{ path: 'body.issue', message: 'required' }]);
  const { key, fields } = data.issue;
  const done = fields?.status?.statusCategory?.key?.toLowerCase() === 'done';
  const closes = data.webhookEvent === 'jira:issue_deleted' || done;
  return {
    signedAt: data.timestamp,
    event: {
      id,
      event: closes ? 'ticket.closed' : 'ticket.synced',
      ticket: compact({
        externalRef: key.toUpperCase(),
        subject: fields?.summary || undefined,
        customerEmail: fields?.reporter?.emailAddress || undefined,
        customerName: fields?.reporter?.displayName || undefined,
      }),
      createIntakeLink: false,
      createOnlyWithCustomer: true,
    },
  };
}
