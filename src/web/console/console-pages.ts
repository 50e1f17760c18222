import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { AuditEvent, AuditSubjects, RevealRecord } from '../../audit/audit.js';
import { SECRET_FIELDS } from '../../credentials/credential-kinds.js';
import type { AccountSecurity } from '../../staff-auth/second-factors.js';
import type { StaffView } from '../../staff-auth/staff.js';
import { OUTGOING_EVENT_TYPES } from '../../outgoing-webhooks/outgoing-webhook-events.js';
import type { WebhookEndpointView } from '../../outgoing-webhooks/outgoing-webhooks.js';
import type { SessionMethod } from '../../staff-auth/staff-session-states.js';
import type { StaffPrincipal } from '../../staff-auth/staff-tokens.js';
import type { IntakeLinkView } from '../../intake-links/intake-link-view.js';
import type { TicketDetail, TicketListItem } from '../../tickets/tickets.js';
import { TICKET_SORTS, type TicketSort } from '../../tickets/tickets-store.js';
import { auditDetailWords } from './audit-detail-words.js';
import { consoleStringsFor, type ConsoleStrings } from './console-strings.js';
import { ticketChangeMark } from './ticket-change-mark.js';

// The staff console's pages as HTML strings: plain values in, markup out. Eta escapes every
// `<%= %>`; `<%~ %>` is used only for layout and included partials. No page ever holds a secret
// or a link token: revealed values and a new link's URL only ever live in the page's script.

const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/web/console/templates');

const eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true });

export interface Viewer {
  staff: StaffPrincipal;
  /** How this session signed in: what a step-up asks for. */
  method: SessionMethod;
}

export interface TimeView {
  iso: string;
  text: string;
  /** A calendar date: shown as it is, never rewritten into the reader's zone. */
  date?: true;
}

type NavKey = 'tickets' | 'audit' | 'staff' | 'webhooks';

function timeView(t: ConsoleStrings, iso: string): TimeView {
  return { iso, text: new Intl.DateTimeFormat(t.locale, { ...t.shortDateTime, timeZone: 'UTC' }).format(new Date(iso)) };
}

/** A YYYY-MM-DD date as a date ("3 Dec 2027"), the same in every zone. */
function dateView(t: ConsoleStrings, date: string): TimeView {
  return { iso: date, text: new Intl.DateTimeFormat(t.locale, { ...t.shortDate, timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`)), date: true };
}


const RELATIVE_UNITS: [string, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "in 3 days", "5 hours ago": the largest whole unit, rounded down (a credential is never later than it says). */
export function relativeTime(t: ConsoleStrings, iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  for (const [unit, size] of RELATIVE_UNITS) {
    const n = Math.floor(Math.abs(ms) / size);
    if (n >= 1) return ms > 0 ? t.relative.in(n, unit) : t.relative.ago(n, unit);
  }
  return t.relative.now;
}

/** Less than this left reads as soon: the row is marked. */
const SOON_MS = 2 * 86_400_000;

const canWorkTickets = (s: StaffPrincipal) => s.role === 'engineer' || s.role === 'admin';
const canReadAudit = (s: StaffPrincipal) => s.role === 'auditor' || s.role === 'admin';

function frame(viewer: Viewer | null, vendorName: string, page: string, title: string, current?: NavKey) {
  const t = consoleStringsFor();
  const me = viewer?.staff;
  const nav = me
    ? [
        canWorkTickets(me) && { key: 'tickets', href: '/console/tickets', label: t.nav.tickets },
        canReadAudit(me) && { key: 'audit', href: '/console/audit', label: t.nav.audit },
        me.role === 'admin' && { key: 'staff', href: '/console/staff', label: t.nav.staff },
        me.role === 'admin' && { key: 'webhooks', href: '/console/webhooks', label: t.nav.webhooks },
      ]
        .filter((item): item is { key: NavKey; href: string; label: string } => Boolean(item))
        .map((item) => ({ ...item, current: item.key === current }))
    : [];
  return { t, page, title, vendorName, me: me ? { ...me, roleTitle: t.roles[me.role] ?? me.role } : null, method: viewer?.method ?? null, nav };
}

/** Where a signed-in member starts: the tickets for those who work them, the audit log for auditors. */
export function consoleHome(staff: StaffPrincipal): string {
  return canWorkTickets(staff) ? '/console/tickets' : '/console/audit';
}

export function renderSignInPage(view: { vendorName: string; next: string; sso: boolean; notice?: 'signed_out' | 'expired'; error?: string }): string {
  const f = frame(null, view.vendorName, 'sign-in', consoleStringsFor().signIn.title);
  const notice = view.notice === 'signed_out' ? f.t.signIn.signedOut : view.notice === 'expired' ? f.t.signIn.expired : '';
  const error = view.error ? problemText(f.t, view.error) : '';
  return eta.render('./sign-in', { ...f, next: view.next, sso: view.sso, notice, error, ssoHref: `/console/oidc/start?next=${encodeURIComponent(view.next)}` });
}

/** After single sign-on: a same-site hop, so the SameSite=Strict cookie goes with the next request. */
export function renderContinuePage(view: { vendorName: string; next: string }): string {
  const f = frame(null, view.vendorName, 'continue', consoleStringsFor().signIn.continueTitle);
  return eta.render('./continue', { ...f, next: view.next });
}

export function problemText(t: ConsoleStrings, code: string, retryAfterSeconds = 60): string {
  const entry = t.errors[code];
  if (typeof entry === 'function') return entry(Math.max(1, Math.ceil(retryAfterSeconds / 60)));
  return entry ?? t.errors.generic as string;
}

export interface TicketListQuery {
  status: 'open' | 'closed' | '';
  q: string;
  sort: TicketSort;
  cursor?: string;
}

export interface TicketListData {
  items: TicketListItem[];
  nextCursor: string | null;
  /** How many tickets the filter lists (capped: `more`). */
  total: { total: number; more: boolean } | null;
  /** Closed tickets matching a search of open ones: the hint that they were left out. */
  closedMatches: { total: number; more: boolean } | null;
  now: number;
}

export function renderTicketListPage(viewer: Viewer, vendorName: string, query: TicketListQuery, result: TicketListData, error?: string): string {
  const f = frame(viewer, vendorName, 'tickets', consoleStringsFor().tickets.title, 'tickets');
  const t = f.t;
  const params = (extra: Record<string, string>, status = query.status) => {
    const p = new URLSearchParams({
      ...(status !== 'open' ? { status: status || 'all' } : {}),
      ...(query.q ? { q: query.q } : {}),
      ...(query.sort !== 'created' ? { sort: query.sort } : {}),
      // A search repeated from here lists, even when it names one ticket exactly.
      ...(query.q ? { list: '1' } : {}),
      ...extra,
    });
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  return eta.render('./tickets', {
    ...f,
    query,
    error: error ? t.errors.invalid : '',
    filtered: Boolean(query.q) || query.status !== 'open' || query.sort !== 'created',
    sorts: TICKET_SORTS.map((value) => ({ value, label: t.tickets.sorts[value] ?? value, selected: value === query.sort })),
    caption: t.tickets.captions[query.sort] ?? t.tickets.caption,
    total: result.total ? t.tickets.total(result.total.total, result.total.more, query.status, query.q) : '',
    closedHint:
      result.closedMatches && result.closedMatches.total > 0
        ? { text: t.tickets.closedMatch(result.closedMatches.total, result.closedMatches.more), href: `/console/tickets${params({}, '')}` }
        : null,
    tickets: result.items.map((ticket) => ({
      ...ticket,
      href: `/console/tickets/${ticket.id}`,
      supportUntil: dateView(t, ticket.supportUntilDate),
      supportEnded: ticket.status === 'open' && Date.parse(ticket.supportUntil) <= result.now,
      createdAt: timeView(t, ticket.createdAt),
      soonest: ticket.soonestExpiry
        ? { time: timeView(t, ticket.soonestExpiry), text: t.tickets.firstExpires(relativeTime(t, ticket.soonestExpiry, result.now)), soon: Date.parse(ticket.soonestExpiry) - result.now < SOON_MS }
        : null,
    })),
    nextHref: result.nextCursor ? `/console/tickets${params({ cursor: result.nextCursor })}` : null,
    firstHref: query.cursor ? `/console/tickets${params({})}` : null,
  });
}

/** /console/tickets/by-ref/<ref> when no ticket has that reference: what mentions it, and a way to create it. */
export function renderNoTicketByRefPage(viewer: Viewer, vendorName: string, ref: string, mentions: TicketListItem[]): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'by-ref', t.byRef.title(ref), 'tickets');
  return eta.render('./by-ref', {
    ...f,
    ref,
    mentions: mentions.map((m) => ({ ...m, href: `/console/tickets/${m.id}`, statusText: m.status === 'open' ? t.tickets.statusOpen : t.tickets.statusClosed })),
    createHref: `/console/tickets/new?${new URLSearchParams({ externalRef: ref })}`,
    searchHref: `/console/tickets?${new URLSearchParams({ q: ref, status: 'all', list: '1' })}`,
  });
}

export function renderNewTicketPage(viewer: Viewer, vendorName: string, defaults: { supportUntil: string; supportTimeZone: string; externalRef?: string }): string {
  const f = frame(viewer, vendorName, 'new-ticket', consoleStringsFor().newTicket.title, 'tickets');
  return eta.render('./new-ticket', { ...f, defaults, supportUntilHint: f.t.newTicket.supportUntilHint(defaults.supportTimeZone) });
}

const LIVE = new Set(['active', 'restricted']);

/**
 * `reveals`: each credential's reveals, oldest first (Audit.listReveals); `now` for "expires in …";
 * `searchedFor`: the search that opened this ticket by its exact reference, offered back as a list.
 */
export function renderTicketPage(
  viewer: Viewer,
  vendorName: string,
  ticket: TicketDetail,
  options: { defaultTtlSeconds: number; reveals: Map<string, RevealRecord[]>; supportTimeZone: string; now: number; searchedFor?: string },
): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'ticket', t.ticket.title(ticket.externalRef), 'tickets');
  const revealsOf = (id: string) =>
    (options.reveals.get(id) ?? [])
      .map((r) => ({ at: timeView(t, r.at), by: r.by ?? t.audit.unknownStaff, you: r.byId === viewer.staff.id, reason: r.reason ?? t.none }))
      .reverse();
  const credentials = ticket.credentials.map((c) => ({
    id: c.id,
    label: c.label,
    kind: c.kind,
    kindTitle: t.kinds[c.kind]?.title ?? c.kind,
    status: c.status,
    statusBadge: t.credentialStatuses[c.status]?.badge ?? c.status,
    endedBecause: c.endedBecause ? (t.endedBecause[c.endedBecause] ?? c.endedBecause) : '',
    live: LIVE.has(c.status),
    revealable: c.status === 'active',
    restricted: c.status === 'restricted',
    submittedAt: timeView(t, c.submittedAt),
    expiresAt: timeView(t, c.expiresAt),
    expiresIn: t.ticket.expiresIn(relativeTime(t, c.expiresAt, options.now)),
    expiresSoon: Date.parse(c.expiresAt) - options.now < SOON_MS,
    endedAt: c.endedAt ? timeView(t, c.endedAt) : null,
    revealCount: c.revealCount ?? 0,
    reveals: revealsOf(c.id),
    // The viewer's own "ask me first" request (decision 027); a lapsed one says nothing.
    approval:
      c.approval && c.approval.state !== 'lapsed'
        ? { state: c.approval.state, requestedAt: timeView(t, c.approval.requestedAt), approvedUntil: c.approval.approvedUntil ? timeView(t, c.approval.approvedUntil) : null }
        : null,
  }));
  const ttlOptions = t.ticket.ttlOptions.some((o) => o.seconds === options.defaultTtlSeconds)
    ? t.ticket.ttlOptions
    : [...t.ticket.ttlOptions, { seconds: options.defaultTtlSeconds, label: `${Math.round(options.defaultTtlSeconds / 3600)} hours` }].sort((a, b) => a.seconds - b.seconds);
  return eta.render('./ticket', {
    ...f,
    ticket: {
      ...ticket,
      supportUntil: dateView(t, ticket.supportUntilDate),
      supportEnds: t.ticket.supportEnds(options.supportTimeZone),
      createdAt: timeView(t, ticket.createdAt),
      closedAt: ticket.closedAt ? timeView(t, ticket.closedAt) : null,
      open: ticket.status === 'open',
    },
    supportUntilHint: t.newTicket.supportUntilHint(options.supportTimeZone),
    changeMark: ticketChangeMark(ticket),
    // Open, but past its support period: it takes no new links, said where "Create link" would be.
    supportEnded: ticket.status === 'open' && Date.parse(ticket.supportUntil) <= options.now,
    searchedFor: options.searchedFor
      ? { text: t.ticket.searchedFor(options.searchedFor), href: `/console/tickets?${new URLSearchParams({ q: options.searchedFor, status: 'all', list: '1' })}` }
      : null,
    credentials,
    liveCount: credentials.filter((c) => c.live).length,
    links: ticket.intakeLinks
      .slice()
      .reverse()
      .map((l) => ({
        id: l.id,
        status: l.status,
        statusText: t.ticket.linkStatuses[l.status] ?? l.status,
        createdAt: timeView(t, l.createdAt),
        ends: linkEnds(t, l, ticket, options.now),
        uses: t.ticket.usesOf(l.uses, l.maxUses),
        revocable: l.status === 'active',
      })),
    ttlOptions: ttlOptions.map((o) => ({ ...o, selected: o.seconds === options.defaultTtlSeconds })),
    auditHref: canReadAudit(viewer.staff) ? `/console/audit?${new URLSearchParams({ ticketId: ticket.externalRef })}` : null,
    revealReason: t.reveal.reasonPrefill(ticket.externalRef),
    secretFields: JSON.stringify(SECRET_FIELDS),
  });
}

/**
 * A link row's "Ends" cell: when a working link stops, or how a stopped one ended, so no row
 * reads "works until" beside "Expired".
 */
function linkEnds(t: ConsoleStrings, l: IntakeLinkView, ticket: TicketDetail, now: number): { label: string; time: TimeView | null; note: string } {
  switch (l.status) {
    case 'active':
      return { label: '', time: timeView(t, l.expiresAt), note: t.ticket.linkEndsIn(relativeTime(t, l.expiresAt, now)) };
    case 'revoked':
      return { label: t.ticket.linkRevokedAt, time: l.revokedAt ? timeView(t, l.revokedAt) : null, note: '' };
    case 'used_up':
      return { label: t.ticket.linkUsedUp, time: null, note: '' };
    case 'expired':
      if (Date.parse(l.expiresAt) <= now && Date.parse(l.expiresAt) <= Date.parse(ticket.supportUntil) && (!ticket.closedAt || Date.parse(l.expiresAt) <= Date.parse(ticket.closedAt))) {
        return { label: t.ticket.linkEnded, time: timeView(t, l.expiresAt), note: '' };
      }
      if (ticket.closedAt) return { label: t.ticket.linkStoppedWithTicket, time: null, note: '' };
      return { label: t.ticket.linkStoppedWithSupport, time: null, note: '' };
  }
}

export interface AuditPageQuery {
  ticketId: string;
  credentialId: string;
  actorId: string;
  action: string;
  since: string;
  until: string;
  cursor?: string;
}

export interface AuditPageData {
  staff: StaffView[];
  actions: readonly string[];
  /** The reference of each ticket and the label of each credential the events name, shown instead of ids. */
  subjects: AuditSubjects;
  /** The filter as GET /audit takes it (the ticket by id, times in UTC), for the export link. */
  apiFilter: Record<string, string>;
  error?: string;
}

export function renderAuditPage(
  viewer: Viewer,
  vendorName: string,
  query: AuditPageQuery,
  result: { items: AuditEvent[]; nextCursor: string | null },
  data: AuditPageData,
): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'audit', t.audit.title, 'audit');
  const { subjects } = data;
  const filters = Object.fromEntries(Object.entries(query).filter(([key, value]) => key !== 'cursor' && value)) as Record<string, string>;
  const withFilters = (base: string, extra: Record<string, string> = {}, given = filters) => {
    const s = new URLSearchParams({ ...given, ...extra }).toString();
    return s ? `${base}?${s}` : base;
  };
  const names = new Map(data.staff.map((s) => [s.id, s.name]));
  const credentialName = credentialNamer(result.items, subjects);
  const filteredCredential = query.credentialId ? subjects.credentials.get(query.credentialId) : undefined;
  return eta.render('./audit', {
    ...f,
    query,
    error: data.error,
    filtered: Object.keys(filters).length > 0,
    credentialHint: filteredCredential ? t.audit.credentialHint(filteredCredential.label, subjects.tickets.get(filteredCredential.ticketId) ?? '') : '',
    staff: data.staff.map((s) => ({ id: s.id, label: `${s.name} (${s.email})`, selected: s.id === query.actorId })),
    actions: data.actions.map((a) => ({ value: a, label: t.audit.actions[a] ?? a, selected: a === query.action })),
    events: result.items.map((e) => {
      const ticketRef = e.ticketId ? (subjects.tickets.get(e.ticketId) ?? null) : null;
      return {
        seq: e.seq,
        at: timeView(t, e.at),
        action: e.action,
        actionTitle: t.audit.actions[e.action] ?? e.action,
        detail: auditDetailWords(t, e),
        actor:
          e.actor.type === 'staff'
            ? (e.actor.name ?? (e.actor.id ? names.get(e.actor.id) : null) ?? t.audit.unknownStaff)
            : (e.actor.name ?? t.audit.actors[e.actor.type] ?? e.actor.type),
        actorType: t.audit.actors[e.actor.type] ?? e.actor.type,
        ticketId: e.ticketId,
        // A ticket that is gone keeps its whole id: a prefix of time-ordered ids is not unique.
        ticketRef: ticketRef ?? e.ticketId,
        ticketKnown: ticketRef !== null,
        ticketHref: e.ticketId && ticketRef !== null && canWorkTickets(viewer.staff) ? `/console/tickets/${e.ticketId}` : null,
        ticketFilterHref: e.ticketId ? withFilters('/console/audit', { ticketId: ticketRef ?? e.ticketId }) : null,
        credentialId: e.credentialId,
        credentialName: e.credentialId ? credentialName(e.credentialId) : null,
        credentialKnown: e.credentialId !== null && subjects.credentials.has(e.credentialId),
        credentialFilterHref: e.credentialId ? withFilters('/console/audit', { credentialId: e.credentialId }) : null,
        reason: e.reason,
        ipParts: e.ip ? e.ip.split(':') : [],
        denied: e.action === 'credential.reveal_denied' || e.action === 'staff.login_failed',
        revealed: e.action === 'credential.revealed',
      };
    }),
    exportHref: withFilters('/api/v1/audit/export', {}, Object.fromEntries(Object.entries(data.apiFilter).filter(([key]) => key !== 'cursor'))),
    olderHref: result.nextCursor ? withFilters('/console/audit', { cursor: result.nextCursor }) : null,
    newestHref: query.cursor ? withFilters('/console/audit') : null,
  });
}

/**
 * A credential's label; where two credentials of one ticket on the page share a label, each gets
 * the end of its id too (the random end: the start of a time-ordered id is alike for neighbours).
 */
function credentialNamer(events: AuditEvent[], subjects: AuditSubjects): (id: string) => string {
  const idsByName = new Map<string, Set<string>>();
  for (const id of new Set(events.map((e) => e.credentialId))) {
    const known = id ? subjects.credentials.get(id) : undefined;
    if (!id || !known) continue;
    const key = `${known.ticketId} ${known.label}`;
    idsByName.set(key, (idsByName.get(key) ?? new Set()).add(id));
  }
  return (id) => {
    const known = subjects.credentials.get(id);
    if (!known) return id;
    return (idsByName.get(`${known.ticketId} ${known.label}`)?.size ?? 1) > 1 ? `${known.label} · …${id.slice(-6)}` : known.label;
  };
}

/** `sso`: single sign-on is configured, so members can be linked to its subjects. */
/** Sign-in security: the member's authenticator apps and recovery codes, and adding one. */
export function renderAccountPage(viewer: Viewer, vendorName: string, security: AccountSecurity, options: { enrolmentDue: boolean; next: string }): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'account', t.account.title);
  return eta.render('./account', {
    ...f,
    enrolmentDue: options.enrolmentDue,
    next: options.next,
    recoveryCodesLeft: security.recoveryCodesLeft,
    factors: security.factors.map((factor) => ({
      ...factor,
      createdAt: timeView(t, factor.createdAt),
      lastUsedAt: factor.lastUsedAt ? timeView(t, factor.lastUsedAt) : null,
    })),
  });
}

export function renderStaffPage(
  viewer: Viewer,
  vendorName: string,
  staff: (StaffView & { secondFactors: number })[],
  options: { sso: boolean; mfa: { requiredByConfig: boolean; requiredBySetting: boolean } },
): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'staff', t.staff.title, 'staff');
  return eta.render('./staff', {
    ...f,
    sso: options.sso,
    mfa: options.mfa,
    members: staff.map((s) => ({
      ...s,
      you: s.id === viewer.staff.id,
      signIn: [s.hasPassword && t.staff.password, s.hasSso && t.staff.sso].filter((method): method is string => Boolean(method)),
      roles: (['engineer', 'admin', 'auditor'] as const).map((r) => ({ value: r, label: t.roles[r]!, selected: r === s.role })),
    })),
    roles: (['engineer', 'admin', 'auditor'] as const).map((r) => ({ value: r, label: t.roles[r]!, selected: r === 'engineer' })),
  });
}

/** Outgoing webhooks (admins): each endpoint with its delivery state, the form to add one. */
export function renderWebhooksPage(viewer: Viewer, vendorName: string, endpoints: WebhookEndpointView[]): string {
  const t = consoleStringsFor();
  const f = frame(viewer, vendorName, 'webhooks', t.webhooks.title, 'webhooks');
  const stateOf = (d: WebhookEndpointView['deliveries']) =>
    d.pending + d.delivered + d.failed === 0 ? 'idle' : d.lastError !== null ? (d.pending > 0 ? 'retrying' : 'failing') : 'ok';
  const STATES = {
    idle: { badge: 'badge--expired', text: t.webhooks.stateIdle },
    ok: { badge: 'badge--active', text: t.webhooks.stateOk },
    retrying: { badge: 'badge--restricted', text: t.webhooks.stateRetrying },
    failing: { badge: 'badge--restricted', text: t.webhooks.stateFailing },
  };
  return eta.render('./webhooks', {
    ...f,
    endpoints: endpoints.map((e) => {
      const state = stateOf(e.deliveries);
      const answer = e.deliveries.lastError ?? (e.deliveries.lastStatus === null ? null : `HTTP ${e.deliveries.lastStatus}`);
      return {
        id: e.id,
        url: e.url,
        eventNames: e.events.map((ev) => t.webhooks.eventNames[ev] ?? ev).join(', '),
        state,
        badge: STATES[state].badge,
        stateText: STATES[state].text,
        counts: t.webhooks.counts(e.deliveries.pending, e.deliveries.delivered, e.deliveries.failed),
        lastAnswer: answer ? t.webhooks.lastAnswerText(answer) : null,
        nextAttemptAt: e.deliveries.pending > 0 ? e.deliveries.nextAttemptAt : null,
      };
    }),
    eventTypes: OUTGOING_EVENT_TYPES.map((value) => ({ value, id: value.replace(/[._]/g, '-'), label: t.webhooks.eventNames[value] ?? value })),
  });
}

/** The console's friendly page for a 403, a 404 or anything else. */
export function renderConsoleProblemPage(viewer: Viewer | null, vendorName: string, status: number): string {
  const t = consoleStringsFor();
  const problem = status === 404 ? t.problems.notFound : status === 403 ? t.problems.forbidden : t.problems.error;
  const f = frame(viewer, vendorName, 'problem', problem.title);
  return eta.render('./problem', { ...f, problem, homeHref: viewer ? consoleHome(viewer.staff) : '/console/sign-in' });
}
