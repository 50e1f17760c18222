import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { AUDIT_ACTIONS, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { TooManyRequests, Unauthorized, VaultError } from '../errors.js';
import type { Logger } from '../logger.js';
import { safeConsolePath, type OidcSignIn } from '../staff-auth/oidc-sign-in.js';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import type { Staff } from '../staff-auth/staff.js';
import type { OutgoingWebhooks } from '../outgoing-webhooks/outgoing-webhooks.js';
import type { StaffSession } from '../staff-auth/staff-sessions.js';
import type { StaffRole } from '../staff-auth/staff-roles.js';
import { dateIn } from '../tickets/support-period.js';
import type { Tickets } from '../tickets/tickets.js';
import { TICKET_SORTS, type TicketSort } from '../tickets/tickets-store.js';
import { isUuid, parseInput } from '../validation.js';
import {
  consoleHome,
  renderAuditPage,
  renderAccountPage,
  renderConsoleProblemPage,
  renderContinuePage,
  renderNewTicketPage,
  renderNoTicketByRefPage,
  renderSignInPage,
  renderStaffPage,
  renderWebhooksPage,
  renderTicketListPage,
  renderTicketPage,
  type AuditPageQuery,
  type TicketListData,
  type TicketListQuery,
  type Viewer,
} from '../web/console/console-pages.js';
import { consoleStringsFor } from '../web/console/console-strings.js';
import { param } from './params.js';
import { clientProblemOf, routeOf, setRetryAfter } from './problems.js';
import { originOf } from './request-origin.js';
import { clearSessionCookie, cookieName, cookieOf, isSecureCookie, sessionCookieOf, setSessionCookie, type StaffAuthDeps } from './staff-auth.js';
import { auditQuerySchema } from './audit-routes.js';

export interface ConsoleRouteDeps extends StaffAuthDeps {
  config: { vendorName: string; publicUrl: string; publicOrigin: string; intakeLinkTtlSeconds: number; supportTimeZone: string };
  tickets: Tickets;
  audit: Audit;
  staff: Staff;
  outgoingWebhooks: OutgoingWebhooks;
  secondFactors: SecondFactors;
  oidcSignIn: OidcSignIn | null;
  clock: Clock;
  log: Logger;
}

const FLOW_MAX_AGE_MS = 600_000;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** `referrer`: the console's own fetches must carry Origin/Referer for the CSRF check. */
function sendPage(res: Response, status: number, html: string, referrer: 'same-origin' | 'no-referrer' = 'same-origin'): void {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .set('X-Robots-Tag', 'noindex, nofollow')
    .set('Referrer-Policy', referrer)
    .send(html);
}

const viewerOf = (res: Response): Viewer => {
  const session = res.locals.session as StaffSession;
  return { staff: session.staff, method: session.method };
};

/** A datetime-local value ("2026-03-01T09:00") is read as UTC, as the form's labels say. */
const utc = (value: string) => (value && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value);

/**
 * The console's pages: server-rendered from the same domain functions as the API. Changes are
 * made by the page's script through the JSON API, with the session cookie.
 */
export function consoleRoutes(deps: ConsoleRouteDeps): Router {
  const { config, tickets, audit, staff, secondFactors, staffSessions, oidcSignIn, clock } = deps;
  const router = Router();
  const vendorName = config.vendorName;

  /** Pages need a live session (else the sign-in page) and one of `roles` (else a friendly 403). */
  const signedIn =
    (...roles: StaffRole[]): RequestHandler =>
    async (req, res, next) => {
      const here = safeConsolePath(req.originalUrl);
      const cookie = sessionCookieOf(req, config);
      if (cookie === undefined) {
        // A SameSite=Strict cookie stays behind on a link from another site (the helpdesk): one
        // same-site hop brings it along; without a session that hop lands on the sign-in page.
        const site = req.get('sec-fetch-site');
        if (site === 'cross-site' || site === 'same-site') return sendPage(res, 200, renderContinuePage({ vendorName, next: here }));
        return res.redirect(303, `/console/sign-in?next=${encodeURIComponent(here)}`);
      }
      let authenticated;
      try {
        authenticated = await staffSessions.authenticateSession(cookie);
      } catch (error) {
        // Only an ended session signs the member out; a storage fault is a 503 page, the cookie kept.
        if (!(error instanceof Unauthorized)) return next(error);
        clearSessionCookie(res, config);
        return res.redirect(303, `/console/sign-in?reason=expired&next=${encodeURIComponent(here)}`);
      }
      const { session, renewed } = authenticated;
      if (renewed) setSessionCookie(res, config, cookie, session.expiresInMs);
      res.locals.staff = session.staff;
      res.locals.session = session;
      // MFA required and none enrolled: the account page, where they add one, and nothing else.
      if (session.enrolmentDue && req.path !== '/console/account') {
        return res.redirect(303, `/console/account?next=${encodeURIComponent(here)}`);
      }
      if (session.staff.role !== 'admin' && roles.length && !roles.includes(session.staff.role)) {
        return sendPage(res, 403, renderConsoleProblemPage(viewerOf(res), vendorName, 403));
      }
      next();
    };

  router.get('/console', signedIn(), (_req, res) => {
    res.redirect(303, consoleHome(viewerOf(res).staff));
  });

  router.get('/console/sign-in', async (req, res) => {
    const next = safeConsolePath(req.query.next);
    const cookie = sessionCookieOf(req, config);
    if (cookie !== undefined) {
      try {
        const { session } = await staffSessions.authenticateSession(cookie);
        return res.redirect(303, next === '/console' ? consoleHome(session.staff) : next);
      } catch {
        clearSessionCookie(res, config);
      }
    }
    const reason = text(req.query.reason);
    const notice = reason === 'signed_out' || reason === 'expired' ? reason : undefined;
    sendPage(res, 200, renderSignInPage({ vendorName, next, sso: oidcSignIn !== null, notice }));
  });

  router.get('/console/tickets', signedIn('engineer'), async (req, res) => {
    const status = text(req.query.status);
    const sort = text(req.query.sort);
    const query: TicketListQuery = {
      status: status === 'closed' ? 'closed' : status === 'all' ? '' : 'open',
      q: text(req.query.q).trim().slice(0, 200),
      sort: (TICKET_SORTS as readonly string[]).includes(sort) ? (sort as TicketSort) : 'created',
      cursor: text(req.query.cursor) || undefined,
    };
    // A search for a helpdesk reference opens that ticket, whatever its status; `list=1` (the
    // page's own links back to a search) lists instead.
    if (query.q && !query.cursor && req.query.list === undefined) {
      const exact = await tickets.findTicketByRef(query.q);
      if (exact) return res.redirect(303, `/console/tickets/${exact.id}?${new URLSearchParams({ from: query.q })}`);
    }
    const filter = { ...(query.status ? { status: query.status } : {}), ...(query.q ? { q: query.q } : {}), sort: query.sort };
    let result: TicketListData = { items: [], nextCursor: null, total: null, closedMatches: null, now: clock.now() };
    let error: string | undefined;
    try {
      const page = await tickets.listTickets({ ...filter, ...(query.cursor ? { cursor: query.cursor } : {}) });
      result = {
        ...result,
        ...page,
        total: await tickets.countTickets(filter),
        // A search of open tickets says how many closed ones it left out.
        closedMatches: query.q && query.status === 'open' ? await tickets.countTickets({ ...filter, status: 'closed' }) : null,
      };
    } catch (err) {
      if (!(err instanceof VaultError) || err.status !== 400) throw err;
      error = err.code;
    }
    sendPage(res, error ? 400 : 200, renderTicketListPage(viewerOf(res), vendorName, query, result, error));
  });

  router.get('/console/tickets/new', signedIn('engineer'), (req, res) => {
    const supportUntil = dateIn(clock.now() + 365 * 24 * 3600_000, config.supportTimeZone);
    sendPage(
      res,
      200,
      renderNewTicketPage(viewerOf(res), vendorName, { supportUntil, supportTimeZone: config.supportTimeZone, externalRef: text(req.query.externalRef).trim().slice(0, 200) }),
    );
  });

  // DESIGN "Outgoing webhooks": helpdesk macros and sidebars open a ticket by its reference.
  router.get('/console/tickets/by-ref/:ref', signedIn('engineer'), async (req, res) => {
    const ref = param(req, 'ref');
    const ticket = await tickets.findTicketByRef(ref);
    if (ticket) return res.redirect(303, `/console/tickets/${ticket.id}`);
    const mentions = ref.trim() ? (await tickets.listTickets({ q: ref.trim().slice(0, 200), limit: '20' })).items : [];
    sendPage(res, 404, renderNoTicketByRefPage(viewerOf(res), vendorName, ref, mentions));
  });

  router.get('/console/tickets/:id', signedIn('engineer'), async (req, res) => {
    const detail = await tickets.getTicketDetail(param(req, 'id'), viewerOf(res).staff.id);
    const reveals = await audit.listReveals(detail.credentials.map((c) => c.id));
    const from = text(req.query.from).trim().slice(0, 200);
    sendPage(
      res,
      200,
      renderTicketPage(viewerOf(res), vendorName, detail, {
        defaultTtlSeconds: config.intakeLinkTtlSeconds,
        reveals,
        supportTimeZone: config.supportTimeZone,
        now: clock.now(),
        searchedFor: from || undefined,
      }),
    );
  });

  router.get('/console/audit', signedIn('auditor'), async (req, res) => {
    const query: AuditPageQuery = {
      ticketId: text(req.query.ticketId).trim(),
      credentialId: text(req.query.credentialId).trim(),
      actorId: text(req.query.actorId).trim(),
      action: text(req.query.action),
      since: text(req.query.since),
      until: text(req.query.until),
      cursor: text(req.query.cursor) || undefined,
    };
    const t = consoleStringsFor();
    let result: Awaited<ReturnType<Audit['listEvents']>> = { items: [], nextCursor: null };
    let error: string | undefined;
    // Auditors know tickets by their helpdesk reference; the filter takes that or the id.
    const ticketId = query.ticketId && !isUuid(query.ticketId) ? await audit.ticketIdOfRef(query.ticketId) : query.ticketId;
    // What GET /audit (and its export) is asked: the ticket by id, the times as UTC.
    const filter = Object.fromEntries(
      Object.entries({ ...query, ticketId: ticketId ?? '', since: utc(query.since), until: utc(query.until) }).filter(([, v]) => v),
    ) as Record<string, string>;
    if (ticketId === null) {
      error = t.audit.noSuchTicket;
    } else {
      try {
        result = await audit.listEvents(parseInput(auditQuerySchema, filter, 'query'));
      } catch (err) {
        if (!(err instanceof VaultError) || err.status !== 400) throw err;
        error = t.audit.badFilter;
      }
    }
    const named = (ids: (string | null)[]) => ids.filter((id): id is string => id !== null && isUuid(id));
    const subjects = await audit.nameSubjects({
      ticketIds: named([...result.items.map((e) => e.ticketId), ticketId]),
      credentialIds: named([...result.items.map((e) => e.credentialId), query.credentialId]),
    });
    sendPage(
      res,
      error ? 400 : 200,
      renderAuditPage(viewerOf(res), vendorName, query, result, { staff: await staff.listStaff(), actions: AUDIT_ACTIONS, subjects, apiFilter: filter, error }),
    );
  });

  router.get('/console/webhooks', signedIn('admin'), async (_req, res) => {
    sendPage(res, 200, renderWebhooksPage(viewerOf(res), vendorName, await deps.outgoingWebhooks.listWebhookEndpoints()));
  });
  router.get('/console/staff', signedIn('admin'), async (_req, res) => {
    const mfa = await secondFactors.getMfaPolicy();
    sendPage(res, 200, renderStaffPage(viewerOf(res), vendorName, await staff.listStaff(), { sso: oidcSignIn !== null, mfa }));
  });

  router.get('/console/account', signedIn(), async (req, res) => {
    const session = res.locals.session as StaffSession;
    const security = await secondFactors.getAccountSecurity(session.staff.id);
    const next = safeConsolePath(req.query.next);
    sendPage(
      res,
      200,
      renderAccountPage(viewerOf(res), vendorName, security, { enrolmentDue: session.enrolmentDue, next: next === '/console' || next === '/console/account' ? consoleHome(session.staff) : next }),
    );
  });

  // One single sign-on round trip's state: Lax, because the provider sends the browser back
  // cross-site; Path=/ because `__Host-` demands it.
  const flowCookieName = cookieName(config, 'tv_oidc');
  const flowCookie = { httpOnly: true, sameSite: 'lax' as const, secure: isSecureCookie(config), path: '/' };

  router.get('/console/oidc/start', async (req, res) => {
    if (!oidcSignIn) return sendPage(res, 404, renderConsoleProblemPage(null, vendorName, 404));
    try {
      const { authorizationUrl, flow } = await oidcSignIn.startOidcSignIn({ next: req.query.next, reauth: req.query.reauth === '1' });
      res.cookie(flowCookieName, flow, { ...flowCookie, maxAge: FLOW_MAX_AGE_MS });
      res.set('Cache-Control', 'no-store').redirect(303, authorizationUrl);
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      sendPage(res, error.status, renderSignInPage({ vendorName, next: safeConsolePath(req.query.next), sso: true, error: error.code }));
    }
  });

  // This page's URL holds the provider's one-time code and state: once signed in, no Referer may
  // carry them on (to its stylesheet and script, or to the page it continues to).
  router.get('/console/oidc/callback', async (req: Request, res) => {
    if (!oidcSignIn) return sendPage(res, 404, renderConsoleProblemPage(null, vendorName, 404));
    const flow = cookieOf(req, flowCookieName);
    res.clearCookie(flowCookieName, flowCookie);
    try {
      const signedIn = await oidcSignIn.finishOidcSignIn(
        { code: text(req.query.code) || undefined, state: text(req.query.state) || undefined, error: text(req.query.error) || undefined, flow },
        originOf(req),
        sessionCookieOf(req, config),
      );
      setSessionCookie(res, config, signedIn.token, signedIn.session.expiresInMs);
      const next = signedIn.next === '/console' ? consoleHome(signedIn.session.staff) : signedIn.next;
      sendPage(res, 200, renderContinuePage({ vendorName, next }), 'no-referrer');
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      if (error instanceof TooManyRequests) res.set('Retry-After', String(error.retryAfterSeconds));
      // Same-origin here: this page's own sign-in form must pass the CSRF check (a no-referrer
      // page's POST carries Origin: null); the code in its URL has been spent or refused.
      sendPage(res, error.status, renderSignInPage({ vendorName, next: '/console', sso: true, error: error.code }));
    }
  });

  router.get('/console/{*rest}', (_req, res) => {
    sendPage(res, 404, renderConsoleProblemPage(res.locals.session ? viewerOf(res) : null, vendorName, 404));
  });

  // A domain error while rendering a page (an unknown ticket) gets the console's friendly page;
  // anything else is logged and gets the friendly 500, never a stack or a JSON body.
  const problemPage: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = clientProblemOf(err)?.status ?? 500;
    if (status >= 500) deps.log.error({ err, method: req.method, route: routeOf(req) }, 'console page failed');
    setRetryAfter(res, err);
    sendPage(res, status, renderConsoleProblemPage(res.locals.session ? viewerOf(res) : null, vendorName, status));
  };
  router.use('/console', problemPage);
  return router;
}
