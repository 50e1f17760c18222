import { createHmac } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import { sealForPublicKey } from '../../src/crypto/sealed-box.js';
import { hashToken, issueToken } from '../../src/crypto/tokens.js';
import { cookieName as cookieNameOf } from '../../src/http/staff-auth.js';
import { newId } from '../../src/ids.js';
import { PORTAL_SESSION_MS, SIGN_IN_LINK_MS } from '../../src/portal/portal.js';
import { APPROVAL_LINK_MS } from '../../src/reveal/reveal-approvals.js';
import { CLIENT_ID, startOidcProvider } from '../harness/oidc-provider.js';
import { signIn } from '../harness/staff-sessions.js';
import { BY_OPERATOR, createTestVault, FTP_FIELDS, openTicketWithLink, submitCredential, TestClock, tokenOf, type TestVault } from '../harness/test-vault.js';

// The real vault (real SQLite file, real libsodium, the real Express app on a loopback port)
// that the fuzzing properties send requests to, the fixtures their requests may name, and the
// checks every answer must pass.

export const HELPDESK_SECRET = 'whsec_fuzz_3c8e1a9f7b2d6e40';
export const HELPDESK_BEARER = 'fuzzdesk-shared-secret-5b9d0c7e1f2a3b4c';
export const ZENDESK_SECRET = 'ZnV6ei16ZW5kZXNrLXNpZ25pbmctc2VjcmV0';
export const HELPSCOUT_SECRET = 'fuzz-help-scout-secret-0042';
export const JIRA_SECRET = 'fuzz-jira-webhook-secret-0042';

/**
 * Fixed by default so CI runs the same cases every time; FUZZ_SEED=<n> replays a reported
 * failure, FUZZ_SEED=random explores, FUZZ_RUNS=<factor> scales every property's run count.
 */
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS_FACTOR = Number(process.env.FUZZ_RUNS ?? 1);

/** fast-check parameters: a fixed seed (printed with any failure), a bounded run count. */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)), endOnFailure: false };
}

/** Where a path parameter or a body placeholder takes a real value from. */
export type PoolName =
  | 'tickets'
  | 'links'
  | 'credentials'
  | 'linkTokens'
  | 'receiptTokens'
  | 'receiptCredentials'
  | 'staff'
  | 'signInTokens'
  | 'approvalTokens'
  | 'portalActions';

export interface Pools {
  tickets: string[];
  links: string[];
  credentials: string[];
  linkTokens: string[];
  receiptTokens: string[];
  /** The credential each receipt token (same index) holds. */
  receiptCredentials: string[];
  staff: string[];
  /** Portal sign-in links: the first usable, then used and expired ones. */
  signInTokens: string[];
  /** Ask-me-first approval links: the first pending on the live credential, then decided, expired, on an ended credential. */
  approvalTokens: string[];
  /** The portal's credential actions (a path segment naming an action, not a thing). */
  portalActions: string[];
}

/** The portal's customer (every fixture ticket's e-mail) and the session cookies requests may carry. */
export interface PortalFixtures {
  email: string;
  /** Another customer, with a ticket and a credential of their own. */
  otherEmail: string;
  cookieName: string;
  /** Session tokens: the customer's live one, the other customer's, an expired and an ended one of the customer's. */
  sessions: { live: string; other: string; expired: string; ended: string };
}

export interface FuzzVault {
  tv: TestVault;
  pools: Pools;
  /** The console session cookie (`name=value`) of the engineer. */
  cookie: string;
  /** A sealed box of valid FTP fields for the vault's intake key. */
  sealed: string;
  portal: PortalFixtures;
  /** Puts back what earlier runs ended (the live ticket, link, credential, staff roles, session; the portal's sessions, sign-in link and pending approval). */
  restoreFixtures(): Promise<void>;
  send(req: PlainRequest): Promise<Answer>;
  close(): Promise<void>;
}

/** One HTTP request as plain values, built by the arbitraries and sent as raw bytes. */
export interface PlainRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** Path and query, already percent-encoded (or deliberately mis-encoded). */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A fuzz vault for the enclosing describe block: started before its tests, closed after. */
export function fuzzVaultPerFile(): () => FuzzVault {
  let fv: FuzzVault | undefined;
  beforeAll(async () => {
    fv = await startFuzzVault();
  });
  afterAll(() => fv?.close());
  return () => fv!;
}

const MAX_POOL = 10;
const live = (status: string) => status === 'active' || status === 'restricted';

/** A vault with live and ended fixtures of every noun, webhooks and single sign-on configured, no customer rate limit. */
export async function startFuzzVault(): Promise<FuzzVault> {
  const clock = new TestClock();
  const provider = await startOidcProvider({ now: () => clock.now() });
  const tv = await createTestVault(
    {
      HELPDESK_WEBHOOK_SECRET: `${HELPDESK_SECRET}, bearer:fuzzdesk:${HELPDESK_BEARER}`,
      ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
      HELPSCOUT_WEBHOOK_SECRET: HELPSCOUT_SECRET,
      JIRA_WEBHOOK_SECRET: JIRA_SECRET,
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: CLIENT_ID,
      OIDC_JWKS_URL: provider.jwksUrl,
      OIDC_ROLE_CLAIM: 'ticketvault_role',
      // Thousands of requests from one address: the limit would answer 429 to most of them.
      CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
    },
    { clock },
  );
  const server = http.createServer(tv.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = request(server);
  const pools: Pools = {
    tickets: [],
    links: [],
    credentials: [],
    linkTokens: [],
    receiptTokens: [],
    receiptCredentials: [],
    staff: [],
    signInTokens: [],
    approvalTokens: [],
    portalActions: ['withdraw', 'restrict', 'unrestrict'],
  };
  const { vault } = tv;

  const victim = await vault.staff.addStaff({ email: 'victim@vendor.test', role: 'engineer', name: 'Victim Person' }, BY_OPERATOR);
  const disabled = await vault.staff.addStaff({ email: 'disabled@vendor.test', role: 'engineer', name: 'Disabled Person' }, BY_OPERATOR);
  await vault.staff.disableStaff(disabled.email, BY_OPERATOR);
  pools.staff.push(victim.id, tv.staffIds.admin, tv.staffIds.auditor, disabled.id);

  const remember = (into: keyof Pools, ...values: string[]) => pools[into].push(...values);

  /** An open ticket with a link and a live credential, put first in the pools. */
  async function addLiveFixture() {
    const scenario = await openTicketWithLink(tv);
    const submitted = await submitCredential(tv, scenario.linkToken);
    pools.tickets.unshift(scenario.ticketId);
    pools.links.unshift(scenario.linkId);
    pools.linkTokens.unshift(scenario.linkToken);
    pools.credentials.unshift(submitted.credentialId);
    pools.receiptTokens.unshift(submitted.receiptToken);
    pools.receiptCredentials.unshift(submitted.credentialId);
    for (const pool of Object.values(pools)) pool.splice(MAX_POOL);
  }

  // Ended fixtures of every kind, then the live one first.
  const ended = await openTicketWithLink(tv);
  const restricted = await submitCredential(tv, ended.linkToken);
  await tv.http.post(`/api/v1/receipts/${restricted.receiptToken}/credentials/${restricted.credentialId}/restrict`).expect(200);
  const revoked = await submitCredential(tv, ended.linkToken);
  await tv.http.delete(`/api/v1/credentials/${revoked.credentialId}`).set(tv.auth()).expect(204);
  const withdrawn = await submitCredential(tv, ended.linkToken);
  await tv.http.delete(`/api/v1/receipts/${withdrawn.receiptToken}/credentials/${withdrawn.credentialId}`).expect(204);
  const revokedLink = await tv.http.post(`/api/v1/tickets/${ended.ticketId}/intake-links`).set(tv.auth()).send({}).expect(201);
  await tv.http.delete(`/api/v1/intake-links/${revokedLink.body.id}`).set(tv.auth()).expect(204);
  const closed = await openTicketWithLink(tv, {}, { maxUses: 1 });
  const onClosed = await submitCredential(tv, closed.linkToken);
  await tv.http.post(`/api/v1/tickets/${closed.ticketId}/close`).set(tv.auth()).expect(200);
  remember('tickets', ended.ticketId, closed.ticketId);
  remember('links', ended.linkId, revokedLink.body.id, closed.linkId);
  remember('linkTokens', ended.linkToken, tokenOf(revokedLink.body.url), closed.linkToken);
  for (const s of [restricted, revoked, withdrawn, onClosed]) {
    remember('credentials', s.credentialId);
    remember('receiptTokens', s.receiptToken);
    remember('receiptCredentials', s.credentialId);
  }
  await addLiveFixture();

  // The portal: the fixtures' customer, another customer, sessions, sign-in and approval links.
  // Rows are written as the portal writes them (hashed tokens): their raw tokens are mailed only.
  const email = tv.stores.tickets.get(pools.tickets[0]!)!.customerEmail.toLowerCase();
  const otherEmail = 'other-customer@shop.test';
  await submitCredential(tv, (await openTicketWithLink(tv, { customerEmail: otherEmail })).linkToken);
  const at = () => tv.clock.now();
  const portalSession = (forEmail: string, state: 'live' | 'expired' | 'ended' = 'live') => {
    const session = issueToken();
    const now = at();
    const expiresAt = state === 'expired' ? now - 1 : now + PORTAL_SESSION_MS;
    tv.stores.portal.insertSession({ tokenHash: session.hash, email: forEmail, createdAt: now - 60_000, expiresAt, endedAt: state === 'ended' ? now - 1 : null });
    return session.token;
  };
  // Sign-in links are the other customer's: the fuzzed sign-in form asks for the customer's, whose mails the limit counts.
  const signInLink = (state: 'usable' | 'used' | 'expired' = 'usable') => {
    const link = issueToken();
    const now = at();
    tv.stores.portal.insertSignInLink({ tokenHash: link.hash, email: otherEmail, language: null, createdAt: now, expiresAt: state === 'expired' ? now - 1 : now + SIGN_IN_LINK_MS });
    if (state === 'used') tv.stores.portal.useSignInLink(link.hash, now);
    return link.token;
  };
  const approval = (credentialId: string, state: 'pending' | 'approved' | 'refused' | 'expired' = 'pending') => {
    const link = issueToken();
    const now = at();
    const decided = state === 'approved' || state === 'refused';
    tv.stores.revealApprovals.insert({
      id: newId(now),
      credentialId,
      staffId: tv.staffIds.engineer,
      staffName: 'Engineer Person',
      reason: 'Checking the upload folder',
      tokenHash: link.hash,
      requestedAt: now,
      linkExpiresAt: state === 'expired' ? now - 1 : now + APPROVAL_LINK_MS,
      decision: decided ? state : null,
      decidedAt: decided ? now : null,
      approvedUntil: state === 'approved' ? now + 3600_000 : null,
      refusalToldAt: null,
    });
    return link.token;
  };
  const portal: PortalFixtures = {
    email,
    otherEmail,
    cookieName: cookieNameOf(vault.config, 'tv_portal'),
    sessions: { live: portalSession(email), other: portalSession(otherEmail), expired: portalSession(email, 'expired'), ended: portalSession(email, 'ended') },
  };
  pools.signInTokens.push(signInLink(), signInLink('used'), signInLink('expired'));
  pools.approvalTokens.push(
    approval(pools.credentials[0]!),
    approval(pools.credentials[0]!, 'approved'),
    approval(pools.credentials[0]!, 'refused'),
    approval(pools.credentials[0]!, 'expired'),
    approval(withdrawn.credentialId),
  );
  const liveSession = (token: string) => {
    const session = tv.stores.portal.getSession(hashToken(token));
    return session !== undefined && session.endedAt === null && session.expiresAt > at();
  };

  const sessionCookie = await signIn(tv, 'engineer');
  const cookieName = sessionCookie.slice(0, sessionCookie.indexOf('='));
  const sealed = sealForPublicKey(JSON.stringify(FTP_FIELDS), new Uint8Array(Buffer.from(vault.keys.intakePublicKey, 'base64url')));

  const tokensValidAfter = new Map(Object.values(tv.staffIds).map((id) => [id, tv.stores.staff.get(id)!.tokensValidAfter]));
  const fuzzVault: FuzzVault = {
    tv,
    pools,
    cookie: sessionCookie,
    sealed,
    portal,
    async restoreFixtures() {
      const now = tv.clock.now();
      const credential = tv.stores.credentials.get(pools.credentials[0]!)!;
      const ticket = tv.stores.tickets.get(credential.ticketId)!;
      const link = tv.stores.intakeLinks.get(pools.links[0]!)!;
      if (!live(credential.status) || ticket.status !== 'open' || link.revokedAt !== null || (link.maxUses !== null && link.uses >= link.maxUses)) {
        await addLiveFixture();
      }
      // A run may change, disable or revoke the tokens of the members whose tokens the next runs
      // send, or enable the disabled one whose (genuinely signed) token the forged corpus holds.
      for (const role of ['engineer', 'admin', 'auditor'] as const) {
        const member = tv.stores.staff.get(tv.staffIds[role])!;
        if (member.role !== role || member.disabledAt !== null || member.tokensValidAfter !== tokensValidAfter.get(member.id)) {
          tv.stores.staff.update(member.id, { role, disabledAt: null, tokensValidAfter: tokensValidAfter.get(member.id)! }, now);
        }
      }
      // A run may sign out, use the sign-in link, decide the pending request, or end its credential.
      if (!liveSession(portal.sessions.live)) portal.sessions.live = portalSession(email);
      if (!liveSession(portal.sessions.other)) portal.sessions.other = portalSession(otherEmail);
      if (tv.stores.portal.signInLinkState(hashToken(pools.signInTokens[0]!), now) !== 'usable') pools.signInTokens.unshift(signInLink());
      const pending = tv.stores.revealApprovals.getByTokenHash(hashToken(pools.approvalTokens[0]!))!;
      if (pending.decision !== null || pending.credentialId !== pools.credentials[0]) pools.approvalTokens.unshift(approval(pools.credentials[0]!));
      for (const pool of [pools.signInTokens, pools.approvalTokens]) pool.splice(MAX_POOL);
      if (tv.stores.staff.get(disabled.id)!.disabledAt === null) tv.stores.staff.update(disabled.id, { disabledAt: now }, now);
      try {
        await vault.staffSessions.authenticateSession(fuzzVault.cookie.slice(cookieName.length + 1));
      } catch {
        const started = await vault.storage.write((s) => vault.staffSessions.startSession(s, tv.stores.staff.get(tv.staffIds.engineer)!, 'password'));
        fuzzVault.cookie = `${cookieName}=${started.token}`;
      }
    },
    send: (req) => sendThrough(client, req),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.stop();
      await tv.close();
    },
  };
  return fuzzVault;
}

/** Sends the request as written (raw body bytes, the path and query as encoded) and reads the answer as text. */
function sendThrough(client: ReturnType<typeof request>, req: PlainRequest): Promise<Answer> {
  const method = req.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';
  let test = client[method](req.url).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
  });
  for (const [name, value] of Object.entries(req.headers)) test = test.set(name, value);
  // The bytes go out as they are: superagent would otherwise re-encode a Buffer as JSON.
  if (req.body) test = test.serialize((bytes: Buffer) => bytes as unknown as string).send(req.body);
  return test.then((res) => ({ status: res.status, headers: res.headers as Answer['headers'], text: res.body as string }));
}

/** Content-Encoding applied for real, so the server inflates what was claimed. */
export function encodeBody(text: string, encoding: string | undefined): Buffer {
  const raw = Buffer.from(text, 'utf8');
  if (encoding === 'gzip') return zlib.gzipSync(raw);
  if (encoding === 'deflate') return zlib.deflateSync(raw);
  if (encoding === 'br') return zlib.brotliCompressSync(raw);
  return raw;
}

/** The helpdesk's signature over "<timestamp>.<body>" (hex, `v1=`), as in test/hooks.test.ts. */
export const helpdeskSignature = (secret: string, timestamp: string, body: Buffer) =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;

/** Zendesk's signature: base64 HMAC-SHA256 over timestamp + body. */
export const zendeskSignature = (secret: string, timestamp: string, body: Buffer) =>
  createHmac('sha256', secret).update(timestamp).update(body).digest('base64');

/** Help Scout's signature: base64 HMAC-SHA1 over the body. */
export const helpScoutSignature = (secret: string, body: Buffer) => createHmac('sha1', secret).update(body).digest('base64');

/** Jira's signature: `sha256=` and the hex HMAC-SHA256 over the body. */
export const jiraSignature = (secret: string, body: Buffer) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// ---- what every answer must satisfy --------------------------------------------------------

/** Every table but SQLite's own and full-text index internals, row by row. */
export function snapshotTables(tv: TestVault): Map<string, string> {
  const db = tv.db;
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")
    .all() as Array<{ name: string }>;
  const virtual = (db.prepare("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'").all() as Array<{ name: string }>).map((t) => t.name);
  const snapshot = new Map<string, string>();
  for (const { name } of tables) {
    if (virtual.some((v) => name.startsWith(`${v}_`))) continue;
    snapshot.set(name, JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all()));
  }
  return snapshot;
}

/** A state change a refusal may make because DESIGN asks for it (denied reveals and sign-ins are audited). */
export type Allowance = (table: string, before: unknown[], after: unknown[], status: number) => boolean;

const auditOnly =
  (statuses: number[], actions: string[], otherTables: string[] = []): Allowance =>
  (table, before, after, status) => {
    if (!statuses.includes(status)) return false;
    if (otherTables.includes(table)) return true;
    if (table !== 'audit_events') return false;
    const added = after.slice(before.length) as Array<{ action: string }>;
    return JSON.stringify(after.slice(0, before.length)) === JSON.stringify(before) && added.every((row) => actions.includes(row.action));
  };

/** DESIGN "Reveal answers" (decision 012): 404, 410 and 423 to an allowed staff member are audited. */
export const revealDenialAudited = auditOnly([404, 410, 423], ['credential.reveal_denied']);
/** A failed sign-in is audited and counted by the sign-in limits. */
export const signInFailureCounted = auditOnly([401, 429], ['staff.login_failed'], ['login_throttles']);

const PROBLEM_CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const INTERNALS = /node_modules|at [\w.<>]+ \(|\.ts:\d+|\.js:\d+|SqliteError|SQLITE_|TypeError|RangeError/;

export interface Expectation {
  /** An API answer (problem+json on error), a page (HTML on error), or either (a mangled page URL). */
  kind: 'api' | 'page' | 'api-or-page';
  /** Whether the request carried valid credentials for the route; if not, no answer may be 2xx. */
  authorized?: boolean;
  /** The one status every answer must have (e.g. 404 for a token of the wrong shape). */
  status?: number;
  allowance?: Allowance;
  /** A page that only shows: nothing may change, whatever the answer. */
  readOnly?: boolean;
  /** Tokens and cookies the request carried: in no answer (body or header) and no log line. */
  secrets?: string[];
  /** What the customer typed (an e-mail address): in no log line, and back only HTML-escaped in a 400 form. */
  typed?: string[];
}

/**
 * Sends `req` and checks the answer: never ≥ 500, an API refusal is problem+json with a stable
 * code and no internals, a refused request (any request, for a read-only page) changes no row,
 * and no secret of the request comes back or reaches the log. Throws a readable error.
 */
export async function checkRequest(fv: FuzzVault, req: PlainRequest, expected: Expectation): Promise<Answer> {
  const before = snapshotTables(fv.tv);
  const logged = fv.tv.logs.length;
  const answer = await fv.send(req);
  const say = (what: string) => new Error(`${what}\n${req.method} ${req.url.slice(0, 300)} → ${answer.status}\n${answer.text.slice(0, 500)}`);
  if (answer.status >= 500) throw say('a 5xx answer');
  checkNothingRepeated(answer, fv.tv.logs.slice(logged).join(''), expected, say);
  if (expected.status !== undefined && answer.status !== expected.status) throw say(`expected ${expected.status}`);
  if (expected.authorized === false && answer.status < 400) throw say('a request without valid credentials succeeded');
  if (answer.status >= 400) {
    if (INTERNALS.test(answer.text)) throw say('a refusal that shows internals');
    const html = String(answer.headers['content-type']).startsWith('text/html');
    if (expected.kind === 'api' || (expected.kind === 'api-or-page' && !html)) checkProblem(answer, say);
    else if (!html) throw say('a page refusal that is not HTML');
  }
  if (answer.status >= 400 || expected.readOnly) {
    const after = snapshotTables(fv.tv);
    for (const [table, rows] of after) {
      const was = before.get(table);
      if (was === rows) continue;
      if (expected.allowance && was !== undefined && expected.allowance(table, JSON.parse(was), JSON.parse(rows), answer.status)) continue;
      throw say(`${answer.status >= 400 ? 'a refused request' : 'a page that only shows'} changed table ${table}`);
    }
  }
  return answer;
}

const HTML_SPECIAL = /[<>"'&]/;

/** Secrets from the request in neither the answer nor the new log lines; typed text only HTML-escaped, in a 400 form. */
function checkNothingRepeated(answer: Answer, logs: string, expected: Expectation, say: (what: string) => Error) {
  const headers = Object.entries(answer.headers)
    .filter(([name]) => name !== 'set-cookie')
    .map(([, value]) => String(value))
    .join('\n');
  const shown = `${headers}\n${answer.text}`;
  for (const secret of expected.secrets ?? []) {
    if (shown.includes(secret)) throw say(`the answer repeats a token or cookie of the request (${secret.slice(0, 12)}…)`);
    if (logs.includes(secret)) throw say(`a log line repeats a token or cookie of the request (${secret.slice(0, 12)}…)`);
  }
  for (const typed of expected.typed ?? []) {
    if (logs.includes(typed)) throw say('a log line repeats an e-mail address of the request');
    if (!shown.includes(typed)) continue;
    if (answer.status !== 400) throw say('the answer repeats an e-mail address of the request');
    if (HTML_SPECIAL.test(typed)) throw say('the answer repeats typed text without HTML-escaping it');
  }
}

function checkProblem(answer: Answer, say: (what: string) => Error) {
  if (!String(answer.headers['content-type']).startsWith('application/problem+json')) throw say('a refusal that is not application/problem+json');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    throw say('a problem body that is not JSON');
  }
  const { type, title, status, detail, code } = body;
  if (typeof code !== 'string' || !PROBLEM_CODE.test(code) || code.length > 40) throw say('no stable code');
  if (type !== `urn:ticketvault:problem:${code}` || typeof title !== 'string' || typeof detail !== 'string' || status !== answer.status) {
    throw say('a problem body without type, title, status and detail');
  }
}

/** After a property: the audit chain still verifies and SQLite finds the file sound. */
export async function checkVaultSound(fv: FuzzVault): Promise<void> {
  const verdict = await fv.tv.vault.chainVerifier.verify();
  expect(verdict).toMatchObject({ ok: true });
  expect(fv.tv.db.pragma('integrity_check', { simple: true })).toBe('ok');
}
