import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { applySupportPeriod, credentialView, endCredential, type CredentialView } from '../credentials/credential-lifecycle.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { intakeLinkView, type IntakeLinkView } from '../intake-links/intake-link-view.js';
import { approvalView } from '../reveal/reveal-approvals.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid, pageLimit, parseInput } from '../validation.js';
import { supportDate, supportPeriodEnd } from './support-period.js';
import type { TicketStatus } from './ticket-status.js';
import { TICKET_SORTS, type TicketChanges, type TicketListRow, type TicketRecord, type TicketSort } from './tickets-store.js';
import { newId } from '../ids.js';

export interface TicketView {
  id: string;
  externalRef: string;
  subject: string;
  customerEmail: string;
  customerName: string | null;
  /** When the support period ends (ISO date-time): the end of supportUntilDate in SUPPORT_TIMEZONE. */
  supportUntil: string;
  /** The support period's last day (YYYY-MM-DD): what pages show, never shifted by a viewer's zone. */
  supportUntilDate: string;
  status: TicketStatus;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface TicketDetail extends TicketView {
  credentials: CredentialView[];
  intakeLinks: IntakeLinkView[];
}

export const ticketView = (t: TicketRecord): TicketView => ({
  id: t.id,
  externalRef: t.externalRef,
  subject: t.subject,
  customerEmail: t.customerEmail,
  customerName: t.customerName,
  supportUntil: new Date(t.supportUntil).toISOString(),
  supportUntilDate: t.supportUntilDate,
  status: t.status,
  createdAt: new Date(t.createdAt).toISOString(),
  updatedAt: new Date(t.updatedAt).toISOString(),
  closedAt: t.closedAt === null ? null : new Date(t.closedAt).toISOString(),
});

export interface TicketListItem extends TicketView {
  liveCredentials: number;
  /** When its first live credential expires; null when none is live. */
  soonestExpiry: string | null;
}

/** One list item: the view gains its fields in place (no spread into a second object per row). */
const ticketListItem = (r: TicketListRow): TicketListItem => {
  const item = ticketView(r) as TicketListItem;
  item.liveCredentials = r.liveCredentials;
  item.soonestExpiry = r.soonestExpiry === null ? null : new Date(r.soonestExpiry).toISOString();
  return item;
};

/** A count stops here: "more than 1 000" costs what reading 1 000 index entries costs (docs/decisions/024). */
export const TICKET_COUNT_CAP = 1000;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const newTicketSchema = z.strictObject({
  externalRef: text(200),
  subject: text(500),
  customerEmail: z.string().trim().max(320).pipe(z.email({ error: 'must be an e-mail address' })),
  customerName: z.string().trim().max(200).optional(),
  supportUntil: supportDate,
});

export type NewTicket = z.input<typeof newTicketSchema>;

const CHANGEABLE = ['subject', 'customerEmail', 'customerName', 'supportUntil'] as const;

/** `PATCH /tickets/:id`: any of the four, at least one; customerName null (or empty) clears it. */
const ticketChangesSchema = newTicketSchema
  .omit({ externalRef: true })
  .partial()
  .extend({ customerName: newTicketSchema.shape.customerName.unwrap().nullable().optional() })
  .refine((changes) => CHANGEABLE.some((key) => changes[key] !== undefined), { message: `give at least one of ${CHANGEABLE.join(', ')}` });

const filterSchema = z.strictObject({
  status: z.enum(['open', 'closed']).optional(),
  // A NUL ends the text SQLite matches (LIKE would search for less than was typed) and is not a
  // valid full-text query: refused as bad input.
  q: z.string().trim().max(200).refine((q) => !q.includes('\u0000'), 'must not contain a NUL character').optional(),
});

const listQuerySchema = filterSchema.extend({
  sort: z.enum(TICKET_SORTS).default('created'),
  limit: pageLimit,
  cursor: z.string().max(400).optional(),
});

export interface TicketDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  credentialMaxAgeSeconds: number;
  /** SUPPORT_TIMEZONE: a support period ends at the end of its last day there. */
  supportTimeZone: string;
}

export function createTickets(deps: TicketDeps) {
  const { storage, audit, clock } = deps;

  /** The ticket, read with the caller's stores (or on its own), else 404. */
  const requireTicket = async (id: string, stores?: Stores): Promise<TicketRecord> => {
    const ticket = !isUuid(id) ? undefined : stores ? await stores.tickets.get(id) : await storage.read((s) => s.tickets.get(id));
    if (!ticket) throw new NotFound('ticket_not_found', 'No ticket with that id.');
    return ticket;
  };

  function createTicket(input: unknown, actor: Actor, origin?: Origin): Promise<TicketView> {
    const data = parseInput(newTicketSchema, input);
    return storage.write((s) => createTicketIn(s, data, actor, origin));
  }

  /** Creates a ticket inside the caller's write transaction (a helpdesk webhook applies its event in one). */
  async function createTicketIn(s: Stores, data: z.output<typeof newTicketSchema>, actor: Actor, origin?: Origin): Promise<TicketView> {
    const now = clock.now();
    const ticket: TicketRecord = {
      id: newId(),
      externalRef: data.externalRef,
      subject: data.subject,
      customerEmail: data.customerEmail,
      customerName: data.customerName || null,
      supportUntil: supportPeriodEnd(data.supportUntil, deps.supportTimeZone),
      supportUntilDate: data.supportUntil,
      status: 'open',
      createdBy: actor.type === 'staff' ? actor.id : null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    if (await s.tickets.getByExternalRef(ticket.externalRef)) {
      throw new Conflict('ticket_exists', `A ticket with externalRef "${ticket.externalRef}" already exists.`);
    }
    await s.tickets.insert(ticket);
    await audit.record(s, { action: 'ticket.created', actor, origin, ticketId: ticket.id });
    return ticketView(ticket);
  }

  /** A page of tickets in `sort` order; the expiry order lists only tickets with a live credential. */
  async function listTickets(query: unknown) {
    const q = parseInput(listQuerySchema, query, 'query');
    const after = q.cursor === undefined ? undefined : decodeTicketCursor(q.sort, q.cursor);
    const rows = await storage.read((s) =>
      s.tickets.list({ status: q.status, q: q.q || undefined, sort: q.sort, limit: q.limit + 1, after }),
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(ticketListItem),
      nextCursor: rows.length > q.limit && last ? encodeTicketCursor(q.sort, last) : null,
    };
  }

  /**
   * How many tickets `listTickets` would list for the same filter and order, up to
   * TICKET_COUNT_CAP (`more` when there are more).
   */
  async function countTickets(query: unknown): Promise<{ total: number; more: boolean }> {
    const q = parseInput(filterSchema.extend({ sort: z.enum(TICKET_SORTS).default('created') }), query, 'query');
    const n = await storage.read((s) => s.tickets.count({ status: q.status, q: q.q || undefined, live: q.sort === 'expiry' || undefined }, TICKET_COUNT_CAP + 1));
    return { total: Math.min(n, TICKET_COUNT_CAP), more: n > TICKET_COUNT_CAP };
  }

  /** The ticket with this helpdesk reference, exactly as written; undefined when none has it. */
  async function findTicketByRef(externalRef: string): Promise<TicketView | undefined> {
    if (externalRef.length === 0 || externalRef.length > 200) return undefined;
    const ticket = await storage.read((s) => s.tickets.getByExternalRef(externalRef));
    return ticket && ticketView(ticket);
  }

  /** `viewer`: the member asking, who sees their own "ask me first" requests with each credential. */
  function getTicketDetail(id: string, viewer?: string | null): Promise<TicketDetail> {
    return storage.read(async (s) => {
      const ticket = await requireTicket(id, s);
      const now = clock.now();
      const credentials = await s.credentials.listByTicket(ticket.id);
      const counts = await s.audit.countReveals(credentials.map((c) => c.id));
      const approvals = viewer ? await s.revealApprovals.latestForEach(credentials.map((c) => c.id), viewer) : [];
      const links = await s.intakeLinks.listByTicket(ticket.id);
      // Each view gains its extra fields in place: spreading it into a second object cost more.
      const detail = ticketView(ticket) as TicketDetail;
      detail.credentials = credentials.map((c) => {
        const view = credentialView(c, ticket, now);
        view.revealCount = counts.get(c.id) ?? 0;
        const approval = approvals.find((a) => a.credentialId === c.id);
        if (approval) view.approval = approvalView(approval, now);
        return view;
      });
      detail.intakeLinks = links.map((l) => intakeLinkView(l, ticket, now));
      return detail;
    });
  }

  /** Closes the ticket and expires its live credentials in the same transaction. Idempotent. */
  function closeTicket(id: string, actor: Actor, origin?: Origin): Promise<TicketView> {
    return storage.write((s) => closeTicketIn(s, id, actor, origin));
  }

  async function closeTicketIn(s: Stores, id: string, actor: Actor, origin?: Origin): Promise<TicketView> {
    const ticket = await requireTicket(id, s);
    if (ticket.status === 'closed') return ticketView(ticket);
    const now = clock.now();
    await s.tickets.setStatus(ticket.id, 'closed', now);
    await audit.record(s, { action: 'ticket.closed', actor, origin, ticketId: ticket.id });
    // One already past its expiresAt (the purge timer had not written it yet) expired before the
    // close, and keeps that as why it ended.
    for (const credential of await s.credentials.listLiveByTicket(ticket.id)) {
      const because = now >= credential.expiresAt ? 'expired' : 'ticket_closed';
      await endCredential({ stores: s, audit }, credential, because, now, actor, origin);
    }
    return ticketView((await s.tickets.get(ticket.id))!);
  }

  /** Reopens a closed ticket; its ended credentials stay ended. */
  function reopenTicket(id: string, actor: Actor, origin?: Origin): Promise<TicketView> {
    return storage.write((s) => reopenTicketIn(s, id, actor, origin));
  }

  async function reopenTicketIn(s: Stores, id: string, actor: Actor, origin?: Origin): Promise<TicketView> {
    const ticket = await requireTicket(id, s);
    if (ticket.status === 'open') return ticketView(ticket);
    await s.tickets.setStatus(ticket.id, 'open', clock.now());
    await audit.record(s, { action: 'ticket.reopened', actor, origin, ticketId: ticket.id });
    return ticketView((await s.tickets.get(ticket.id))!);
  }

  /**
   * Changes a ticket's subject, customer or support period, audited as ticket.changed with the
   * names of what changed (and the period's dates), never the values people typed. Moving
   * supportUntil re-bounds its live credentials in the same transaction: what now falls outside the
   * period expires at once; nothing ended comes back.
   */
  function updateTicket(id: string, input: unknown, actor: Actor, origin?: Origin): Promise<TicketView> {
    const changes = parseInput(ticketChangesSchema, input);
    return storage.write((s) => changeTicketIn(s, id, changes, actor, origin));
  }

  /** Inside the caller's write transaction (a helpdesk webhook applies its event in one). */
  function updateTicketIn(s: Stores, id: string, input: unknown, actor: Actor, origin?: Origin): Promise<TicketView> {
    return changeTicketIn(s, id, parseInput(ticketChangesSchema, input), actor, origin);
  }

  async function changeTicketIn(s: Stores, id: string, changes: z.output<typeof ticketChangesSchema>, actor: Actor, origin?: Origin): Promise<TicketView> {
    const ticket = await requireTicket(id, s);
    const changed: TicketChanges = {};
    if (changes.subject !== undefined && changes.subject !== ticket.subject) changed.subject = changes.subject;
    if (changes.customerEmail !== undefined && changes.customerEmail !== ticket.customerEmail) changed.customerEmail = changes.customerEmail;
    const customerName = changes.customerName === undefined ? undefined : changes.customerName || null;
    if (customerName !== undefined && customerName !== ticket.customerName) changed.customerName = customerName;
    if (changes.supportUntil !== undefined && changes.supportUntil !== ticket.supportUntilDate) {
      changed.supportUntilDate = changes.supportUntil;
      changed.supportUntil = supportPeriodEnd(changes.supportUntil, deps.supportTimeZone);
    }
    const names = CHANGEABLE.filter((key) => (key === 'supportUntil' ? changed.supportUntilDate : changed[key]) !== undefined);
    if (names.length === 0) return ticketView(ticket);
    const now = clock.now();
    await s.tickets.update(ticket.id, changed, now);
    const note: Record<string, unknown> = { changed: names };
    if (changed.supportUntilDate !== undefined) note.supportUntil = { from: ticket.supportUntilDate, to: changed.supportUntilDate };
    await audit.record(s, { action: 'ticket.changed', actor, origin, ticketId: ticket.id, detail: JSON.stringify(note) });
    if (changed.supportUntil !== undefined) {
      const lifecycle = { stores: s, audit };
      for (const credential of await s.credentials.listLiveByTicket(ticket.id)) {
        await applySupportPeriod(lifecycle, credential, changed.supportUntil, deps.credentialMaxAgeSeconds * 1000, now, actor, origin);
      }
    }
    return ticketView((await s.tickets.get(ticket.id))!);
  }

  return { createTicket, listTickets, countTickets, findTicketByRef, getTicketDetail, closeTicket, reopenTicket, updateTicket, requireTicket, inTransaction: { createTicketIn, closeTicketIn, reopenTicketIn, updateTicketIn } };
}

export type Tickets = ReturnType<typeof createTickets>;

/**
 * A page's cursor: the last item's sort key and id. The created order's has the two parts it had
 * before there were orders; the others name their order, and a reference is base64url (it may hold '.').
 */
function encodeTicketCursor(sort: TicketSort, last: TicketListRow): string {
  switch (sort) {
    case 'created':
      return encodeCursor(last.createdAt, last.id);
    case 'updated':
      return encodeCursor(sort, last.updatedAt, last.id);
    case 'ref':
      return encodeCursor(sort, Buffer.from(last.externalRef).toString('base64url'), last.id);
    case 'expiry':
      return encodeCursor(sort, last.soonestExpiry ?? 0, last.id);
  }
}

/** The cursor's key, refused unless this order gave it out. */
function decodeTicketCursor(sort: TicketSort, cursor: string): { key: number | string; id: string } {
  return decodeCursor(cursor, (parts) => {
    const [key, id, ...rest] = sort === 'created' ? parts : parts[0] === sort ? parts.slice(1) : [];
    if (key === undefined || id === undefined || !isUuid(id) || rest.length > 0) return undefined;
    if (sort === 'ref') {
      const ref = Buffer.from(key, 'base64url').toString('utf8');
      return ref.length > 0 && Buffer.from(ref).toString('base64url') === key ? { key: ref, id } : undefined;
    }
    const at = Number(key);
    return /^\d+$/.test(key) && Number.isSafeInteger(at) ? { key: at, id } : undefined;
  });
}
