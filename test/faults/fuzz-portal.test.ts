import fc from 'fast-check';
import { SIGN_IN_LINKS_PER_WINDOW, SIGN_IN_LINK_MS } from '../../src/portal/portal.js';
import { checkRequest, checkVaultSound, fuzzRuns, fuzzVaultPerFile, type Answer, type Expectation, type FuzzVault, type PlainRequest } from './fuzz-vault.js';
import {
  malformedToken,
  materialize,
  paramsOf,
  portalAuth,
  portalSiteAccepted,
  requestPlan,
  routesOf,
  segment,
  type Auth,
  type PortalSessionKind,
  type RequestPlan,
  type Route,
  type Segment,
} from './http-arbitraries.js';

// DESIGN "Customer portal" (decision 027): the e-mail form, the one-time sign-in link's page and
// post, the signed-in pages and posts, and the ask-me-first approval links, with arbitrary form
// bodies, content types, methods, e-mail addresses, tokens, session cookies and Origins. The
// portal's refusals are its HTML pages (a stable code in X-Problem-Code); a path no portal route
// takes may get the API's problem+json 404.

const PORTAL_ROUTES = routesOf('portal');
const PROBLEM_CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/** The posts that act for a signed-in customer. */
const needsSession = (route: Route) => /^\/portal\/(export|preferences|withdraw-everything|credentials\/)/.test(route.path);
const tokenRoute = (route: Route) => /^\/portal\/(sign-in|approvals)\/:/.test(route.path);

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The request's tokens (in the path) and cookie values: never repeated in an answer or a log line. */
function secretsOf(req: PlainRequest): string[] {
  const [path] = req.url.split('?');
  const token = /^\/portal\/(?:sign-in|approvals)\/(.+)$/.exec(path!)?.[1];
  const cookies = (req.headers.Cookie ?? '').split(';').map((part) => part.slice(part.indexOf('=') + 1).trim());
  return [...(token ? [token, decoded(token)] : []), ...cookies].filter((s) => s.length >= 8);
}

/** The e-mail addresses typed into the sign-in form. */
function typedOf(req: PlainRequest): string[] {
  if (!req.url.startsWith('/portal/sign-in') || req.url.startsWith('/portal/sign-in/') || !req.body) return [];
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(req.body.toString('utf8'));
  } catch {
    return [];
  }
  return form.getAll('email').filter((v) => v.includes('@') && v.trim().length >= 6);
}

/** Every credential and receipt with the e-mail it is held for, and each e-mail's portal preferences. */
function customerRows(fv: FuzzVault): Map<string, { email: string; row: string }> {
  const rows = fv.tv.db
    .prepare(
      `SELECT c.id, c.status, r.notify_on_reveal, r.ask_first, lower(t.customer_email) AS email
       FROM credentials c JOIN receipts r ON r.id = c.receipt_id JOIN tickets t ON t.id = c.ticket_id`,
    )
    .all() as Array<{ id: string; email: string }>;
  const prefs = fv.tv.db.prepare('SELECT * FROM portal_preferences').all() as Array<{ email: string }>;
  return new Map([...rows.map((r) => [r.id, { email: r.email, row: JSON.stringify(r) }] as const), ...prefs.map((p) => [`prefs:${p.email}`, { email: p.email, row: JSON.stringify(p) }] as const)]);
}

/** The e-mail whose session the request carried, from a site the CSRF check admits; null if none. */
function actingFor(fv: FuzzVault, auth: Auth | null, method: string): string | null {
  if (auth?.kind !== 'portal' || (method === 'POST' && !portalSiteAccepted(auth.site))) return null;
  return auth.session === 'live' ? fv.portal.email : auth.session === 'other' ? fv.portal.otherEmail : null;
}

/** What holds after any portal request: no mail or link for an address the vault does not hold, and no more sign-in mails than the limit. */
function checkPortalInvariants(fv: FuzzVault, say: (what: string) => Error) {
  const db = fv.tv.db;
  const held = "SELECT lower(customer_email) FROM tickets";
  const strangers = db.prepare(`SELECT email FROM portal_sign_in_links WHERE email NOT IN (${held}) UNION ALL SELECT to_address FROM portal_mails WHERE kind = 'sign_in' AND lower(to_address) NOT IN (${held})`).all();
  if (strangers.length) throw say('a sign-in link or mail for an address the vault does not hold');
  const since = fv.tv.clock.now() - SIGN_IN_LINK_MS;
  const counts = db.prepare("SELECT to_address, COUNT(*) AS n FROM portal_mails WHERE kind = 'sign_in' AND created_at >= ? GROUP BY to_address").all(since) as Array<{ n: number }>;
  if (counts.some((c) => c.n > SIGN_IN_LINKS_PER_WINDOW)) throw say(`more than ${SIGN_IN_LINKS_PER_WINDOW} sign-in mails to one address in ${SIGN_IN_LINK_MS / 60_000} minutes`);
}

/** The portal's own refusals: a sign-in page for 401, otherwise a problem page naming a stable code. */
function checkPortalRefusal(answer: Answer, say: (what: string) => Error) {
  if (answer.status < 400 || !String(answer.headers['content-type']).startsWith('text/html')) return;
  if (answer.status === 401) {
    if (!answer.text.includes('name="email"')) throw say('a 401 that is not the sign-in page');
    return;
  }
  const code = String(answer.headers['x-problem-code'] ?? '');
  if (!PROBLEM_CODE.test(code) || code.length > 40) throw say('an HTML refusal without a stable X-Problem-Code');
}

/**
 * Sends each plan (the fixtures put back first) and checks what checkRequest checks, plus the
 * portal's: its refusal pages, no secret or typed address repeated, the customer rows of an
 * e-mail changed only by that e-mail's session, and the sign-in invariants.
 */
async function fuzzPortal(fv: FuzzVault, plans: fc.Arbitrary<RequestPlan>, expectation: (plan: RequestPlan) => Expectation, numRuns: number) {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      await fv.restoreFixtures();
      const req = materialize(fv, plan);
      const before = customerRows(fv);
      const answer = await checkRequest(fv, req, { secrets: secretsOf(req), typed: typedOf(req), ...expectation(plan) });
      const say = (what: string) => new Error(`${what}\n${req.method} ${req.url.slice(0, 300)} → ${answer.status}\n${answer.text.slice(0, 500)}`);
      checkPortalRefusal(answer, say);
      const acting = actingFor(fv, plan.auth as Auth | null, req.method);
      for (const [id, now] of customerRows(fv)) {
        if (before.get(id)?.row !== now.row && now.email !== acting) throw say(`a request that was not ${now.email}'s changed their ${id.startsWith('prefs:') ? 'preferences' : `credential ${id}`}`);
      }
      checkPortalInvariants(fv, say);
    }),
    fuzzRuns(numRuns),
  );
}

/** Whether the plan's path segments are all fixtures' values (so the path is one a portal route takes). */
const wellFormedPath = (plan: RequestPlan) => plan.segments.every((s) => !('literal' in s));

describe('fuzzing the customer portal', () => {
  const fuzzVault = fuzzVaultPerFile();

  /** Tokens of the wrong length, alphabet or kind (a receipt's, an intake link's, an approval's as a sign-in link's and back), with a live session from the portal's own page. */
  const wrongToken = fc.constantFrom(...PORTAL_ROUTES.filter(tokenRoute)).chain((route: Route) => {
    const [pool] = paramsOf(route);
    const bad: fc.Arbitrary<Segment> = fc.oneof(
      // '', '.' and '..' are other paths (the form post, the portal itself), not a token.
      fc.record({ literal: malformedToken.filter((t) => !['', '.', '..'].includes(t)) }),
      segment(pool!).filter((s) => 'mutation' in s || ('pool' in s && s.pool !== pool)),
    );
    return fc.record({
      route: fc.constant(route),
      segments: fc.tuple(bad) as fc.Arbitrary<Segment[]>,
      query: fc.constant(''),
      body: fc.constant(route.path.startsWith('/portal/approvals/') && route.method === 'POST' ? { text: 'decision=approve', contentType: 'application/x-www-form-urlencoded', encoding: null } : null),
      auth: fc.constant<Auth>({ kind: 'portal', session: 'live', site: 'same-origin' }),
    }) as fc.Arbitrary<RequestPlan>;
  });

  it('answers a sign-in or approval token of the wrong length, alphabet or kind with a 404 page that changes nothing', async () => {
    await fuzzPortal(fuzzVault(), wrongToken, () => ({ kind: 'page', status: 404 }), 200);
  });

  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
  const methodsOf = (route: Route) => PORTAL_ROUTES.filter((r) => r.path === route.path).map((r) => r.method);
  const otherMethod = requestPlan(PORTAL_ROUTES, portalAuth).chain((plan) =>
    fc.constantFrom(...METHODS.filter((m) => !methodsOf(plan.route).includes(m))).map((method) => ({ ...plan, route: { ...plan.route, method } })),
  );

  it('a portal address asked with a method it does not take: never ≥ 500, an HTML page or problem+json, and nothing changes', async () => {
    await fuzzPortal(fuzzVault(), otherMethod, () => ({ kind: 'api-or-page', readOnly: true }), 200);
  });

  it('the sign-in form answers any well-formed address with the same page, known or not, and mails the customer no more than the limit allows', async () => {
    const fv = fuzzVault();
    const form = (email: string): PlainRequest => ({
      method: 'POST',
      url: '/portal/sign-in',
      headers: { Origin: fv.tv.vault.config.publicOrigin, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(new URLSearchParams({ email }).toString()),
    });
    const reference = await checkRequest(fv, form('nobody@shop.test'), { kind: 'page', status: 200 });
    const address = fc.oneof(
      fc.constantFrom(fv.portal.email, fv.portal.email.toUpperCase(), ` ${fv.portal.email}\t`, fv.portal.otherEmail, 'nobody@shop.test'),
      fc.emailAddress(),
      fc.emailAddress().map((e) => `${e}\r\nBcc: spy@evil.test`),
      fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 })).map(([local, domain]) => `${'l'.repeat(local)}@${'d'.repeat(domain)}.test`),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `${s}@shop.test`),
    );
    await fc.assert(
      fc.asyncProperty(address, async (email) => {
        const req = form(email);
        const answer = await checkRequest(fv, req, { kind: 'page', typed: typedOf(req) });
        const say = (what: string) => new Error(`${what}\nPOST /portal/sign-in email=${JSON.stringify(email).slice(0, 200)} → ${answer.status}`);
        if (answer.status === 200 && answer.text !== reference.text) throw say('a known and an unknown address get different pages');
        if (answer.status !== 200 && answer.status !== 400 && answer.status !== 413) throw say('neither the same page nor a refusal of the form');
        checkPortalRefusal(answer, say);
        checkPortalInvariants(fv, say);
      }),
      fuzzRuns(200),
    );
    // The customer asked often enough in this run to reach the limit: the mails stopped there.
    const mailed = fv.tv.db.prepare("SELECT COUNT(*) AS n FROM portal_mails WHERE kind = 'sign_in' AND to_address = ?").get(fv.portal.email) as { n: number };
    expect(mailed.n).toBe(SIGN_IN_LINKS_PER_WINDOW);
  });

  const notTheCustomers = fc.constantFrom<PortalSessionKind>('other', 'expired', 'ended', 'mangled', 'staff', 'none');
  const othersActing = requestPlan(PORTAL_ROUTES.filter((r) => needsSession(r) && r.method === 'POST'), portalAuth).chain((plan) =>
    notTheCustomers.map((session): RequestPlan => ({ ...plan, auth: { kind: 'portal', session, site: 'same-origin' } })),
  );

  it("another customer's session, or a dead, mangled or staff one, never freezes, withdraws or sets preferences for the customer", async () => {
    await fuzzPortal(fuzzVault(), othersActing, (plan) => ({ kind: wellFormedPath(plan) ? 'page' : 'api-or-page', authorized: plan.auth?.kind === 'portal' && plan.auth.session === 'other' ? undefined : false }), 200);
  });

  it('every portal page and post: never ≥ 500, refuses with its HTML pages, changes nothing when it refuses, and repeats no token or address', async () => {
    const fv = fuzzVault();
    await fuzzPortal(
      fv,
      requestPlan(PORTAL_ROUTES, portalAuth),
      (plan) => {
        const auth = plan.auth as Extract<Auth, { kind: 'portal' }>;
        const crossSite = plan.route.method === 'POST' && !portalSiteAccepted(auth.site);
        const signedOut = needsSession(plan.route) && auth.session !== 'live' && auth.session !== 'other';
        return {
          kind: wellFormedPath(plan) ? 'page' : 'api-or-page',
          authorized: crossSite || signedOut ? false : undefined,
          // Showing the portal, a sign-in link or an approval request uses nothing; the export is audited.
          readOnly: plan.route.method === 'GET' && plan.route.path !== '/portal/export',
        };
      },
      600,
    );
    await checkVaultSound(fv);
  });
});
