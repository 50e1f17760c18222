import fc from 'fast-check';
import { AUDIT_ACTIONS } from '../../src/audit/audit.js';
import { CREDENTIAL_KINDS, KIND_SPECS } from '../../src/credentials/credential-kinds.js';
import { OUTGOING_EVENT_TYPES } from '../../src/outgoing-webhooks/outgoing-webhook-events.js';
import type { StaffRole } from '../../src/staff-auth/staff-roles.js';
import { PASSWORD } from '../harness/staff-sessions.js';
import {
  checkRequest,
  encodeBody,
  fuzzRuns,
  helpdeskSignature,
  HELPDESK_BEARER,
  HELPDESK_SECRET,
  HELPSCOUT_SECRET,
  helpScoutSignature,
  JIRA_SECRET,
  jiraSignature,
  ZENDESK_SECRET,
  zendeskSignature,
  type Expectation,
  type FuzzVault,
  type PlainRequest,
  type PoolName,
} from './fuzz-vault.js';

// Requests as plain, printable plans (so fast-check can show and shrink a failing one), made
// real against the fixtures of the moment by `materialize`.

export type Audience = 'staff' | 'sign-in' | 'customer' | 'page' | 'portal' | 'console' | 'hook' | 'public';

export interface Route {
  method: PlainRequest['method'];
  /** `:name` segments name the pool their real values come from. */
  path: string;
  audience: Audience;
  /** The role a staff route needs; `any` for any signed-in member. */
  role?: StaffRole | 'any';
  fields?: string[];
  /** Values for this route's fields where they differ from the shared ones (Zendesk's ticket). */
  plausible?: Record<string, fc.Arbitrary<unknown>>;
  query?: string[];
}

// ---- values --------------------------------------------------------------------------------

/** Placeholders a body may hold, replaced by a real value when the request is made. */
const PLACEHOLDERS = ['{{externalRef}}', '{{receiptToken}}', '{{otherReceiptToken}}', '{{linkToken}}', '{{sealed}}', '{{ticketId}}', '{{credentialId}}', '{{staffId}}'];

const NASTY_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\u202e', '\ufeff', 'null', 'true', '0', '-1', '1e309', 'NaN', '__proto__', 'constructor', 'prototype',
  '../../etc/passwd', "' OR 1=1 --", '%', '%00', '<script>alert(1)</script>', '${7*7}', '{{7*7}}',
  '2026-03-01', '2026-03-01T09:00:00Z', '2026-02-30', '9999-12-31', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '2026-03-01T09:00:00+25:00',
  'a@b.c', 'casey@shop.test', 'ENGINEER@vendor.test', 'admin@vendor.test', 'x@y', '@', 'a'.repeat(321),
  'x'.repeat(16 * 1024), 'x'.repeat(16 * 1024 + 1), 'é'.repeat(8193),
  ...CREDENTIAL_KINDS, 'file', 'FTP', 'open', 'closed', 'all', 'admin', 'engineer', 'auditor', 'root', 'ticket.created', 'ticket.closed', 'solved',
  ...PLACEHOLDERS,
];

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.uuid() },
);

const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 59, 60, 65535, 65536, 2 ** 31, 2 ** 53, 1e308, -0, 0.5));

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), nastyString, { maxKeys: 3 }) },
);

const fieldNames = [...new Set(Object.values(KIND_SPECS).flatMap((s) => [...s.required, ...s.optional]))];

/** Secret fields: valid FTP ones (the fixtures' kind), or mostly of known names with short string values. */
const secretFields = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ host: 'sftp.shop.test', username: 'support', password: 'CANARY-fuzz-2' }) },
  fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fieldNames) }, fc.string({ maxLength: 8 })), fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, nastyValue), { maxKeys: 7 }),
  fc.constant({ host: 'ftp.shop.test', username: 'support', password: 'CANARY-fuzz-1', port: '22' }),
  nastyValue,
);

const dateText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('2026-12-31', '2027-06-30T23:59:59Z', '2026-03-02T09:00:00.000Z') },
  fc.date({ min: new Date('2019-01-01'), max: new Date('2031-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('2019-01-01'), max: new Date('2031-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  nastyString,
);

/** A helpdesk's ticket: its helpdesk reference (sometimes the live ticket's), details, and Zendesk's status. */
function ticketFacts(withStatus: boolean): fc.Arbitrary<unknown> {
  return fc.record(
    {
      externalRef: fc.oneof({ weight: 3, arbitrary: fc.constant('{{externalRef}}') }, { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, nastyString),
      subject: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, nastyValue),
      customerEmail: fc.oneof({ weight: 3, arbitrary: fc.constant('casey@shop.test') }, fc.emailAddress(), nastyValue),
      customerName: fc.string({ maxLength: 20 }),
      supportUntil: fc.oneof(dateText, fc.constant('')),
      ...(withStatus ? { status: fc.constantFrom('new', 'open', 'pending', 'hold', 'On-hold', 'solved', 'closed', 'Archived', '') } : {}),
    },
    { requiredKeys: withStatus ? ['externalRef', 'status'] : ['externalRef'] },
  );
}

/** An outgoing webhook endpoint: mostly a loopback receiver nobody listens on, and a few of the events. */
const WEBHOOK_ENDPOINT: Record<string, fc.Arbitrary<unknown>> = {
  url: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('http://127.0.0.1:9/hook', 'https://hooks.example.test/tv', 'https://user:pw@hooks.example.test/', 'ftp://x.test/') }, nastyValue),
  events: fc.oneof({ weight: 3, arbitrary: fc.subarray([...OUTGOING_EVENT_TYPES], { minLength: 1 }) }, fc.array(nastyString, { maxLength: 3 }), nastyValue),
};

/** Help Scout's conversation object, as much of it as the vault reads. */
const HELP_SCOUT_CONVERSATION: Record<string, fc.Arbitrary<unknown>> = {
  number: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 99_999 }) }, fc.constantFrom('42', '-1', 1.5, ''), nastyValue),
  subject: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, nastyValue),
  status: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('active', 'pending', 'closed', 'spam', 'Active') }, nastyValue),
  primaryCustomer: fc.oneof(
    { weight: 3, arbitrary: fc.record({ email: fc.oneof(fc.constant('casey@shop.test'), fc.emailAddress(), nastyValue), first: fc.string({ maxLength: 12 }), last: fc.string({ maxLength: 12 }) }, { requiredKeys: [] }) },
    nastyValue,
  ),
};

/** A Jira issue event: its signed timestamp (mostly now), the event's name and the issue. */
const JIRA_ISSUE_EVENT: Record<string, fc.Arbitrary<unknown>> = {
  timestamp: fc.oneof({ weight: 4, arbitrary: fc.constant('{{now}}') }, fc.integer({ min: 0, max: 2 ** 42 }), nastyValue),
  webhookEvent: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted', 'comment_created') }, nastyValue),
  issue: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        key: fc.oneof(fc.constantFrom('SUP-1', 'SUP-42', 'sup-7'), fc.string({ maxLength: 12 })),
        fields: fc.record(
          {
            summary: fc.string({ maxLength: 30 }),
            status: fc.record({ statusCategory: fc.record({ key: fc.constantFrom('new', 'indeterminate', 'done', '') }) }),
            reporter: fc.oneof(fc.constant(null), fc.record({ emailAddress: fc.oneof(fc.constant('casey@shop.test'), nastyValue), displayName: fc.string({ maxLength: 12 }) })),
          },
          { requiredKeys: [] },
        ),
      }),
    },
    nastyValue,
  ),
};

/** Values a well-meaning client would send for each field, so runs reach past validation. */
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  externalRef: fc.string({ minLength: 1, maxLength: 24 }),
  subject: fc.string({ minLength: 1, maxLength: 60 }),
  customerEmail: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('casey@shop.test', 'o.brien+vault@example.co.uk') }, fc.emailAddress()),
  customerName: fc.string({ maxLength: 30 }),
  supportUntil: dateText,
  ttlSeconds: fc.integer({ min: -10, max: 91 * 24 * 3600 }),
  maxUses: fc.integer({ min: -1, max: 1001 }),
  reason: fc.string({ minLength: 1, maxLength: 60 }),
  email: fc.oneof(fc.emailAddress(), fc.constantFrom('engineer@vendor.test', 'admin@vendor.test', 'victim@vendor.test', 'disabled@vendor.test')),
  password: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(PASSWORD)),
  role: fc.constantFrom('admin', 'engineer', 'auditor', 'root', ''),
  name: fc.string({ maxLength: 30 }),
  kind: fc.oneof({ weight: 3, arbitrary: fc.constant('ftp') }, fc.constantFrom(...CREDENTIAL_KINDS, 'file', 'FTP')),
  label: fc.string({ maxLength: 30 }),
  fields: secretFields,
  sealed: fc.oneof(fc.constant('{{sealed}}'), fc.base64String({ maxLength: 200 }).map((s) => s.replace(/=+$/, '')), fc.string({ maxLength: 100 })),
  receipt: fc.constantFrom('{{receiptToken}}', '{{otherReceiptToken}}', '{{linkToken}}', 'A'.repeat(43)),
  notifyOnReveal: fc.boolean(),
  sub: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constant('x'.repeat(256))),
  id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), nastyString),
  event: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('ticket.created', 'ticket.updated', 'ticket.closed', 'ticket.reopened') }, fc.constantFrom('ticket.synced', 'ticket.assigned', '')),
  ticket: ticketFacts(false),
  createIntakeLink: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.boolean(), nastyValue),
};

const keyOf = (fields: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...fields) }, fc.constantFrom('__proto__', 'constructor', 'extra'), fc.string({ maxLength: 10 }));

/** JSON text from [key, value] pairs: keeps `__proto__` and duplicate keys, which JSON.stringify would drop. */
const objectText = (pairs: Array<[string, unknown]>) =>
  `{${pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(',')}}`;

/** Usually `null`: mostly the plausible request goes out as it is. */
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, arb);

/** A plausible body for these fields, now and then with some dropped and one replaced or added. */
const plausibleBody = (fields: string[], own: Record<string, fc.Arbitrary<unknown>> = {}) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(fields.map((f) => [f, own[f] ?? PLAUSIBLE[f] ?? nastyValue]))),
      fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, fc.subarray(fields)),
      fc.constantFrom('fields', 'sealed'),
      sometimes(fc.tuple(keyOf(fields), nastyValue)),
    )
    .map(([record, dropped, notBoth, change]) => {
      // A submission or rectification carries fields or sealed, not both.
      const drop = 'fields' in record && 'sealed' in record ? [...dropped, notBoth] : dropped;
      const pairs = Object.entries(record).filter(([key]) => !drop.includes(key));
      if (change) pairs.push(change);
      return objectText(pairs);
    });

const looseBody = (fields: string[]) => fc.array(fc.tuple(keyOf(fields), nastyValue), { maxLength: 6 }).map(objectText);

const MALFORMED = [
  '', '{', '{"a":', '[', 'nul', '{"a":1}}', '\ufeff{}', '{"a":"\\ud800"}', '{"a":1,"a":2}', '"just a string"', '42', 'null', '[]',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
];

/** Deeper than any call stack, and past the 1 MiB limit: the parser and the checks after it must not recurse or buffer without bound. */
const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const OVERSIZED = `{"notes":"${'x'.repeat(1024 * 1024 + 1)}"}`;

export const bodyText = (fields: string[], own?: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { weight: 10, arbitrary: plausibleBody(fields, own) },
    { weight: 4, arbitrary: looseBody(fields) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...MALFORMED), fc.string({ maxLength: 40 })) },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((field) => `{"${field}":${DEEP}}`) },
    { weight: 1, arbitrary: fc.constantFrom(DEEP, OVERSIZED) },
  );

export interface BodyPlan {
  text: string;
  contentType: string | null;
  /** Content-Encoding; `real` compresses the bytes as claimed, otherwise they are sent as they are. */
  encoding: { name: string; real: boolean } | null;
}

/** Mostly the media type the route reads; now and then an odd one, or none. */
const mediaType = (usual: string, odd: string[]) =>
  fc.oneof({ weight: 24, arbitrary: fc.constant<string | null>(usual) }, { weight: 2, arbitrary: fc.constantFrom(...odd) }, { weight: 1, arbitrary: fc.constant(null) });

const contentType = mediaType('application/json', [
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16le',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/vnd.api+json',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
]);

const encoding = fc.oneof(
  { weight: 24, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.record({ name: fc.constantFrom('gzip', 'deflate', 'br'), real: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('identity', 'compress', 'zstd', 'gzip, gzip', 'x-bogus'), real: fc.constant(false) }) },
);

/** A body for a route that takes these fields (sometimes one for a route that takes none). */
export const bodyPlan = ({ fields, plausible }: Route): fc.Arbitrary<BodyPlan | null> => {
  const some = fc.record({ text: bodyText(fields ?? ['x'], plausible), contentType, encoding });
  return fields ? fc.oneof({ weight: 9, arbitrary: some }, fc.constant(null)) : fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, some);
};

// ---- the portal's form posts (decision 027: pages, not JSON) ----------------------------------

/** E-mail addresses a customer, a typo or an attacker types into the portal's sign-in form. */
const portalEmail: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('{{customerEmail}}', '{{CUSTOMEREMAIL}}', ' {{customerEmail}} ') },
  { weight: 2, arbitrary: fc.emailAddress() },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'nobody@shop.test',
      '{{customerEmail}}\r\nBcc: spy@evil.test',
      '{{customerEmail}}%0d%0aBcc:spy@evil.test',
      '"quoted local"@shop.test',
      'ünïcödé@shöp.test',
      'user@[127.0.0.1]',
      '<script>alert(1)</script>@shop.test',
      `${'a'.repeat(64)}@${'b'.repeat(250)}.test`,
      `${'a'.repeat(310)}@shop.test`,
      `${'a'.repeat(3900)}@shop.test`,
      '@shop.test',
      'casey@',
      'a@b',
    ),
  },
  { weight: 2, arbitrary: nastyString },
);

const FORM_PLAUSIBLE: Record<string, fc.Arbitrary<string>> = {
  email: portalEmail,
  notifyOnReveal: fc.oneof({ weight: 3, arbitrary: fc.constant('on') }, fc.constantFrom('', 'true', 'off', '0'), nastyString),
  askFirst: fc.oneof({ weight: 3, arbitrary: fc.constant('on') }, fc.constantFrom('', 'true', 'off', '0'), nastyString),
  decision: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('approve', 'refuse') }, fc.constantFrom('APPROVE', 'approved', 'refuse ', ''), nastyString),
};

/** A form value as a browser sends it; a `{{placeholder}}` stays as it is for materialize to fill in. */
const formValue = (v: string) => (v.includes('{{') ? v.replaceAll('\r\n', '%0D%0A').replaceAll(' ', '+') : pct(v));

const FORM_MALFORMED = [
  '', '%', '%zz', 'email', '=', '&&&', '=on', 'email=%E0%A4%A', 'email=a%00b%40shop.test', 'email=a&email=b', 'email[]=a',
  '__proto__=x', '__proto__[email]=x', 'constructor[prototype][x]=1', 'hasOwnProperty=1', `${'a=1&'.repeat(10)}a=1`, `email=${'a'.repeat(5000)}`,
];

/** A form body for these fields (sometimes one for a post that takes none): mostly well-formed, with dropped, unknown and repeated keys. */
const formText = (fields: string[]) =>
  fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .tuple(
          fc.record(Object.fromEntries(fields.map((f) => [f, FORM_PLAUSIBLE[f] ?? urlString]))),
          fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, fc.subarray(fields)),
          sometimes(fc.tuple(fc.oneof(keyOf(fields), fc.constantFrom('__proto__', 'toString')), urlString)),
        )
        .map(([record, dropped, extra]) => {
          const pairs = Object.entries(record).filter(([k]) => !dropped.includes(k));
          if (extra) pairs.push(extra);
          return pairs.map(([k, v]) => `${pct(k)}=${formValue(v)}`).join('&');
        }),
    },
    { weight: 3, arbitrary: fc.constantFrom(...FORM_MALFORMED) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: bodyText(fields) },
  );

const formType = mediaType('application/x-www-form-urlencoded', [
  'application/x-www-form-urlencoded; charset=UTF-8',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16le',
  'application/x-www-form-urlencoded; charset=bogus',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
]);

/** A portal post's body: a form (the pages send nothing else), at times JSON, junk or no body; for a GET, mostly none. */
export const formBodyPlan = ({ fields, method }: Route): fc.Arbitrary<BodyPlan | null> => {
  const some = fc.record({ text: formText(fields ?? ['x']), contentType: formType, encoding });
  if (method === 'GET') return fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, some);
  return fields ? fc.oneof({ weight: 9, arbitrary: some }, fc.constant(null)) : fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, some);
};

/** Percent-encodes UTF-8 bytes (a lone surrogate as U+FFFD), so any string can go into a URL. */
export const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

const BROKEN_ENCODINGS = ['%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '%C0%AF', '%FF'];

const PLAUSIBLE_QUERY: Record<string, fc.Arbitrary<string>> = {
  status: fc.constantFrom('open', 'closed', 'all', ''),
  limit: fc.oneof(fc.integer({ min: -5, max: 600 }).map(String), fc.constantFrom('1e3', '10.5', '0x10', '')),
  action: fc.constantFrom(...AUDIT_ACTIONS, 'credential.revealed ', 'nope'),
  ticketId: fc.oneof(fc.uuid(), fc.constant('{{ticketId}}')),
  credentialId: fc.oneof(fc.uuid(), fc.constant('{{credentialId}}')),
  since: dateText.map(String),
  until: dateText.map(String),
  head: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-f]{63}$/)),
  next: fc.constantFrom('/console/tickets', '//evil.test/x', 'https://evil.test', '/console/../api', '\\\\evil.test', 'javascript:alert(1)'),
  lang: fc.constantFrom('en', 'de', 'fr', 'xx', '../en', ''),
  done: fc.constantFrom('withdraw', 'withdrawAll', 'restrict', 'unrestrict', 'preferences', '__proto__', 'toString', '<b>done</b>'),
  // Full-text query syntax and page cursors shaped like the real ones (base64url of "key.id").
  q: fc.oneof(fc.constantFrom('"', 'a" OR "b', 'NEAR(a b)', '*', 'shop*', '^a', 'subject:x', '-x', '()', "'", '%', '_', 'ZD-'), fc.string({ maxLength: 20 })),
  cursor: fc.oneof(
    fc.tuple(fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53, 1e21, 0.5)), fc.oneof(fc.uuid(), fc.string({ maxLength: 5 }))).map(([n, id]) => Buffer.from(`${n}.${id}`).toString('base64url')),
    fc.oneof(fc.integer(), fc.string({ maxLength: 10 })).map((n) => Buffer.from(String(n)).toString('base64url')),
  ),
};

/** Short enough that path and query stay under Node's 16 KiB header limit (past it Node answers 431 itself, before the app). */
export const urlString = nastyString.filter((s) => Buffer.byteLength(s) <= 1024);

/** A query string of known and unknown keys, repeated keys, and the odd broken escape. */
export const queryText = (keys: string[] = []) =>
  fc
    .tuple(
      fc.array(
        fc.oneof({ weight: 4, arbitrary: keys.length ? fc.constantFrom(...keys) : fc.constant('q') }, fc.constantFrom('__proto__', 'q[]', 'a[b]', 'limit', 'cursor'), fc.string({ maxLength: 8 })).chain((key) =>
          fc.tuple(fc.constant(key), fc.oneof({ weight: 2, arbitrary: Object.hasOwn(PLAUSIBLE_QUERY, key) ? PLAUSIBLE_QUERY[key]! : urlString }, urlString)),
        ),
        { maxLength: 4 },
      ),
      fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.constantFrom(...BROKEN_ENCODINGS, '&&', '==', '&=&')),
    )
    .map(([pairs, broken]) => {
      const text = pairs.map(([k, v]) => `${pct(k)}=${pct(String(v))}`).join('&') + (broken ?? '');
      return text ? `?${text}` : '';
    })
    .filter((query) => query.length <= 8 * 1024);

const AUDIT_QUERY = ['ticketId', 'credentialId', 'actorId', 'action', 'since', 'until', 'limit', 'cursor'];

/** Every route of src/http/*-routes.ts (DESIGN "HTTP contract"), by audience. */
export const ROUTES: Route[] = [
  // staff-routes.ts, audit-routes.ts, staff-admin-routes.ts
  { method: 'POST', path: '/api/v1/tickets', audience: 'staff', role: 'engineer', fields: ['externalRef', 'subject', 'customerEmail', 'customerName', 'supportUntil'] },
  { method: 'GET', path: '/api/v1/tickets', audience: 'staff', role: 'engineer', query: ['status', 'q', 'limit', 'cursor'] },
  { method: 'GET', path: '/api/v1/tickets/:tickets', audience: 'staff', role: 'engineer' },
  { method: 'PATCH', path: '/api/v1/tickets/:tickets', audience: 'staff', role: 'engineer', fields: ['subject', 'customerEmail', 'customerName', 'supportUntil'] },
  { method: 'POST', path: '/api/v1/tickets/:tickets/close', audience: 'staff', role: 'engineer' },
  { method: 'POST', path: '/api/v1/tickets/:tickets/reopen', audience: 'staff', role: 'engineer' },
  { method: 'POST', path: '/api/v1/tickets/:tickets/intake-links', audience: 'staff', role: 'engineer', fields: ['ttlSeconds', 'maxUses'] },
  { method: 'DELETE', path: '/api/v1/intake-links/:links', audience: 'staff', role: 'engineer' },
  { method: 'GET', path: '/api/v1/credentials/:credentials', audience: 'staff', role: 'engineer' },
  { method: 'POST', path: '/api/v1/credentials/:credentials/reveal', audience: 'staff', role: 'engineer', fields: ['reason'] },
  { method: 'DELETE', path: '/api/v1/credentials/:credentials', audience: 'staff', role: 'engineer' },
  // attachment-routes.ts (a file id: ids of other things, so never one of the credential's files)
  { method: 'POST', path: '/api/v1/credentials/:credentials/files/:credentials/download', audience: 'staff', role: 'engineer', fields: ['reason'] },
  { method: 'GET', path: '/api/v1/audit', audience: 'staff', role: 'auditor', query: AUDIT_QUERY },
  { method: 'GET', path: '/api/v1/audit/export', audience: 'staff', role: 'auditor', query: AUDIT_QUERY },
  { method: 'GET', path: '/api/v1/audit/verify', audience: 'staff', role: 'auditor', query: ['head'] },
  { method: 'GET', path: '/api/v1/staff', audience: 'staff', role: 'admin' },
  { method: 'POST', path: '/api/v1/staff', audience: 'staff', role: 'admin', fields: ['email', 'role', 'name', 'password'] },
  { method: 'PATCH', path: '/api/v1/staff/:staff', audience: 'staff', role: 'admin', fields: ['role', 'name'] },
  { method: 'POST', path: '/api/v1/staff/:staff/disable', audience: 'staff', role: 'admin' },
  { method: 'POST', path: '/api/v1/staff/:staff/enable', audience: 'staff', role: 'admin' },
  { method: 'PUT', path: '/api/v1/staff/:staff/password', audience: 'staff', role: 'admin', fields: ['password'] },
  { method: 'POST', path: '/api/v1/staff/:staff/revoke-tokens', audience: 'staff', role: 'admin' },
  { method: 'PUT', path: '/api/v1/staff/:staff/sso', audience: 'staff', role: 'admin', fields: ['sub'] },
  { method: 'GET', path: '/api/v1/staff/mfa-policy', audience: 'staff', role: 'admin' },
  { method: 'PUT', path: '/api/v1/staff/mfa-policy', audience: 'staff', role: 'admin', fields: ['required'] },
  { method: 'POST', path: '/api/v1/staff/:staff/reset-mfa', audience: 'staff', role: 'admin' },
  // outgoing-webhook-routes.ts (an endpoint's id: ids of other things, so never an endpoint's)
  { method: 'GET', path: '/api/v1/webhooks', audience: 'staff', role: 'admin' },
  { method: 'POST', path: '/api/v1/webhooks', audience: 'staff', role: 'admin', fields: ['url', 'events'], plausible: WEBHOOK_ENDPOINT },
  { method: 'DELETE', path: '/api/v1/webhooks/:tickets', audience: 'staff', role: 'admin' },
  { method: 'GET', path: '/api/v1/webhooks/:tickets/deliveries', audience: 'staff', role: 'admin', query: ['limit'] },
  // account-routes.ts (a factor's id: ids of other things, so never one of the member's factors)
  { method: 'GET', path: '/api/v1/account/security', audience: 'staff', role: 'any' },
  { method: 'POST', path: '/api/v1/account/totp', audience: 'staff', role: 'any', fields: ['name'] },
  { method: 'POST', path: '/api/v1/account/totp/:credentials/confirm', audience: 'staff', role: 'any', fields: ['code'] },
  { method: 'POST', path: '/api/v1/account/passkeys/options', audience: 'staff', role: 'any' },
  { method: 'POST', path: '/api/v1/account/passkeys', audience: 'staff', role: 'any', fields: ['name', 'response'] },
  { method: 'POST', path: '/api/v1/account/factors/:credentials/remove', audience: 'staff', role: 'any', fields: ['code', 'recoveryCode', 'passkey'] },
  { method: 'POST', path: '/api/v1/account/recovery-codes', audience: 'staff', role: 'any', fields: ['code', 'recoveryCode', 'passkey'] },
  // auth-routes.ts
  { method: 'GET', path: '/api/v1/auth/session', audience: 'staff', role: 'any' },
  { method: 'POST', path: '/api/v1/auth/login', audience: 'sign-in', fields: ['email', 'password'] },
  { method: 'POST', path: '/api/v1/auth/logout', audience: 'sign-in' },
  { method: 'POST', path: '/api/v1/auth/login/second-factor', audience: 'sign-in', fields: ['pendingToken', 'code', 'recoveryCode', 'passkey'] },
  { method: 'POST', path: '/api/v1/auth/passkey/options', audience: 'sign-in', fields: ['pendingToken'] },
  { method: 'POST', path: '/api/v1/auth/passkey', audience: 'sign-in', fields: ['response'] },
  { method: 'POST', path: '/api/v1/auth/step-up/options', audience: 'staff', role: 'any' },
  { method: 'POST', path: '/api/v1/auth/step-up', audience: 'staff', role: 'any', fields: ['code', 'recoveryCode', 'passkey'] },
  // customer-routes.ts
  { method: 'GET', path: '/api/v1/intake/:linkTokens', audience: 'customer' },
  { method: 'POST', path: '/api/v1/intake/:linkTokens/credentials', audience: 'customer', fields: ['kind', 'label', 'fields', 'sealed', 'files'] },
  { method: 'POST', path: '/api/v1/intake/:linkTokens/files', audience: 'customer' },
  { method: 'POST', path: '/api/v1/receipts/:receiptTokens/files', audience: 'customer' },
  { method: 'GET', path: '/api/v1/receipts/:receiptTokens', audience: 'customer' },
  { method: 'GET', path: '/api/v1/receipts/:receiptTokens/export', audience: 'customer' },
  { method: 'PUT', path: '/api/v1/receipts/:receiptTokens/preferences', audience: 'customer', fields: ['notifyOnReveal'] },
  { method: 'DELETE', path: '/api/v1/receipts/:receiptTokens/credentials/:receiptCredentials', audience: 'customer' },
  { method: 'POST', path: '/api/v1/receipts/:receiptTokens/credentials/:receiptCredentials/restrict', audience: 'customer' },
  { method: 'POST', path: '/api/v1/receipts/:receiptTokens/credentials/:receiptCredentials/unrestrict', audience: 'customer' },
  { method: 'PUT', path: '/api/v1/receipts/:receiptTokens/credentials/:receiptCredentials', audience: 'customer', fields: ['fields', 'sealed', 'files'] },
  // page-routes.ts
  { method: 'GET', path: '/s/:linkTokens', audience: 'page', query: ['lang'] },
  { method: 'GET', path: '/r/:receiptTokens', audience: 'page', query: ['lang'] },
  // portal-routes.ts (decision 027): pages and form posts; the credential's action is a path segment
  { method: 'GET', path: '/portal', audience: 'portal', query: ['lang', 'done'] },
  { method: 'POST', path: '/portal/sign-in', audience: 'portal', fields: ['email'], query: ['lang'] },
  { method: 'GET', path: '/portal/sign-in/:signInTokens', audience: 'portal', query: ['lang'] },
  { method: 'POST', path: '/portal/sign-in/:signInTokens', audience: 'portal' },
  { method: 'POST', path: '/portal/sign-out', audience: 'portal' },
  { method: 'GET', path: '/portal/export', audience: 'portal' },
  { method: 'POST', path: '/portal/preferences', audience: 'portal', fields: ['notifyOnReveal', 'askFirst'] },
  { method: 'POST', path: '/portal/withdraw-everything', audience: 'portal' },
  { method: 'POST', path: '/portal/credentials/:credentials/:portalActions', audience: 'portal' },
  { method: 'GET', path: '/portal/approvals/:approvalTokens', audience: 'portal', query: ['lang'] },
  { method: 'POST', path: '/portal/approvals/:approvalTokens', audience: 'portal', fields: ['decision'], query: ['lang'] },
  // hook-routes.ts
  { method: 'POST', path: '/api/v1/hooks/helpdesk', audience: 'hook', fields: ['id', 'event', 'ticket', 'createIntakeLink'] },
  { method: 'POST', path: '/api/v1/hooks/zendesk', audience: 'hook', fields: ['ticket'], plausible: { ticket: ticketFacts(true) } },
  { method: 'POST', path: '/api/v1/hooks/helpscout', audience: 'hook', fields: ['number', 'subject', 'status', 'primaryCustomer'], plausible: HELP_SCOUT_CONVERSATION },
  { method: 'POST', path: '/api/v1/hooks/jira', audience: 'hook', fields: ['timestamp', 'webhookEvent', 'issue'], plausible: JIRA_ISSUE_EVENT },
  // console-routes.ts
  { method: 'GET', path: '/console', audience: 'console' },
  { method: 'GET', path: '/console/sign-in', audience: 'console', query: ['next', 'reason'] },
  { method: 'GET', path: '/console/tickets', audience: 'console', query: ['status', 'q', 'cursor'] },
  { method: 'GET', path: '/console/tickets/new', audience: 'console' },
  { method: 'GET', path: '/console/tickets/by-ref/:tickets', audience: 'console' },
  { method: 'GET', path: '/console/tickets/:tickets', audience: 'console' },
  { method: 'GET', path: '/console/audit', audience: 'console', query: AUDIT_QUERY },
  { method: 'GET', path: '/console/staff', audience: 'console' },
  { method: 'GET', path: '/console/webhooks', audience: 'console' },
  { method: 'GET', path: '/console/account', audience: 'console' },
  { method: 'GET', path: '/console/oidc/start', audience: 'console', query: ['next', 'reauth'] },
  { method: 'GET', path: '/console/oidc/callback', audience: 'console', query: ['code', 'state', 'error'] },
  // health-routes.ts, metrics-routes.ts
  { method: 'GET', path: '/healthz', audience: 'public' },
  { method: 'GET', path: '/readyz', audience: 'public' },
  { method: 'GET', path: '/openapi.json', audience: 'public' },
  { method: 'GET', path: '/metrics', audience: 'public' },
];

/** Where the paths no route knows start: under each page's catch-all (fuzzed-routes checks that every catch-all is here), the API's, and none. */
export const UNKNOWN_PATH_PREFIXES = ['/', '/api/v1/', '/api/v1/tickets/', '/api/v1/receipts/', '/api/v1/hooks/', '/console/', '/s/', '/r/', '/portal/', '/assets/', '/metrics/'];

export const routesOf = (...audiences: Audience[]) => ROUTES.filter((r) => audiences.includes(r.audience));

// ---- path segments -----------------------------------------------------------------------

export type TokenMutation = 'drop-last' | 'add-char' | 'swap-case' | 'change-last' | 'pad';

export type Segment = { pool: PoolName; index: number; mutation?: TokenMutation } | { literal: string };

const TOKEN_POOLS: PoolName[] = ['linkTokens', 'receiptTokens', 'signInTokens', 'approvalTokens'];
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Tokens of the wrong length or alphabet (DESIGN: a plain 404, never a 500). */
export const malformedToken: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 100 }).filter((s) => s.length !== 43),
  fc
    .tuple(fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 42, maxLength: 42 }), fc.constantFrom('+', '/', '=', '.', '~', '!', '*', 'é', ' ', '\u0000', '%'), fc.nat(42))
    .map(([s, bad, at]) => pct(s.slice(0, at) + bad + s.slice(at))),
  fc.constantFrom('', '.', '..', 'null', 'undefined', 'A'.repeat(4096), `${'A'.repeat(42)}=`, `${'A'.repeat(43)}%20`, `${'A'.repeat(43)}%00`, '%E0%A4%A'),
);

const literalSegment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(pct) },
  { weight: 2, arbitrary: fc.constantFrom(...BROKEN_ENCODINGS, '..', '.', 'x'.repeat(3000), '00000000-0000-0000-0000-000000000000', 'null') },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: malformedToken },
);

export const segment = (pool: PoolName): fc.Arbitrary<Segment> =>
  fc.oneof(
    // Index 0 is the live fixture (restoreFixtures keeps it so); the others are ended ones.
    { weight: 8, arbitrary: fc.record({ pool: fc.constant(pool), index: fc.oneof(fc.constant(0), fc.nat(9)) }) },
    {
      weight: TOKEN_POOLS.includes(pool) ? 2 : 0,
      arbitrary: fc.record({ pool: fc.constant(pool), index: fc.nat(9), mutation: fc.constantFrom<TokenMutation>('drop-last', 'add-char', 'swap-case', 'change-last', 'pad') }),
    },
    { weight: TOKEN_POOLS.includes(pool) ? 1 : 0, arbitrary: fc.record({ pool: fc.constantFrom(...TOKEN_POOLS.filter((p) => p !== pool)), index: fc.nat(9) }) },
    { weight: 3, arbitrary: fc.record({ literal: literalSegment }) },
  );

function mutate(token: string, mutation: TokenMutation): string {
  if (mutation === 'drop-last') return token.slice(0, -1);
  if (mutation === 'add-char') return `${token}A`;
  if (mutation === 'pad') return `${token}=`;
  if (mutation === 'swap-case') return token.replace(/[A-Za-z]/, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
  return token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
}

// ---- credentials sent with a request ------------------------------------------------------

export type Auth =
  | { kind: 'bearer'; role: StaffRole }
  | { kind: 'none' }
  | { kind: 'header'; value: string }
  | { kind: 'forged'; index: number }
  | { kind: 'cookie'; valid: boolean; site: 'same-origin' | 'cross-site' | 'absent' }
  | { kind: 'portal'; session: PortalSessionKind; site: PortalSite };

/** The portal session cookie a request carries (fixtures in FuzzVault.portal), or a staff session's, a mangled one, none. */
export type PortalSessionKind = 'live' | 'other' | 'expired' | 'ended' | 'mangled' | 'staff' | 'none';
/** Where a request says it comes from: the vault's own page (Origin, or Referer alone), another site, nowhere. */
export type PortalSite = 'same-origin' | 'referer' | 'cross-site' | 'foreign-origin' | 'foreign-referer' | 'null-origin' | 'absent';

/** Mostly the live customer's session from the portal's own page; otherwise another's, a dead or junk one, from elsewhere. */
export const portalAuth = (): fc.Arbitrary<Auth> =>
  fc.record({
    kind: fc.constant('portal' as const),
    session: fc.oneof(
      { weight: 8, arbitrary: fc.constant<PortalSessionKind>('live') },
      { weight: 3, arbitrary: fc.constant<PortalSessionKind>('other') },
      { weight: 3, arbitrary: fc.constantFrom<PortalSessionKind>('expired', 'ended', 'mangled', 'staff', 'none') },
    ),
    site: fc.oneof(
      { weight: 10, arbitrary: fc.constant<PortalSite>('same-origin') },
      { weight: 2, arbitrary: fc.constant<PortalSite>('referer') },
      fc.constantFrom<PortalSite>('cross-site', 'foreign-origin', 'foreign-referer', 'null-origin', 'absent'),
    ),
  });

/** Whether the site passes the portal's CSRF check (DESIGN "CSRF": Origin, or failing that Referer, is PUBLIC_URL's). */
export const portalSiteAccepted = (site: PortalSite) => site === 'same-origin' || site === 'referer';

/** Who passes each role check: admin passes every one. */
const PASSES: Record<StaffRole | 'any', StaffRole[]> = { any: ['admin', 'engineer', 'auditor'], admin: ['admin'], engineer: ['engineer', 'admin'], auditor: ['auditor', 'admin'] };

/** Mostly the token of a role the route admits; otherwise another role, none, junk, a forged JWT or a cookie. */
export const staffAuth = (route: Route): fc.Arbitrary<Auth> => {
  const admitted = route.role ? PASSES[route.role] : (['engineer'] as StaffRole[]);
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('bearer' as const), role: fc.constantFrom(...admitted) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bearer' as const), role: fc.constantFrom<StaffRole>('engineer', 'admin', 'auditor') }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('header' as const), value: fc.oneof(printable, printable.map((s) => `Bearer ${s}`), fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', 'bearer a.b.c', 'Bearer a b')) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('forged' as const), index: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('cookie' as const), valid: fc.boolean(), site: fc.constantFrom('same-origin' as const, 'cross-site' as const, 'absent' as const) }) },
  );
};

/** Whether `auth` may act on `route`: the right role's bearer token, or the engineer's live cookie sent same-origin. */
export function authorizes(auth: Auth, route: Route): boolean {
  if (!route.role) return true;
  if (auth.kind === 'bearer') return PASSES[route.role].includes(auth.role);
  if (auth.kind === 'cookie') return auth.valid && (route.method === 'GET' || auth.site === 'same-origin') && PASSES[route.role].includes('engineer');
  return false;
}

export type HookAuth =
  | { kind: 'signed'; secret: 'right' | 'wrong'; skewSeconds: number; timestampForm: 'seconds' | 'milliseconds' | 'iso' | 'garbage' }
  | { kind: 'bearer'; right: boolean }
  | { kind: 'none' }
  | { kind: 'raw'; timestamp: string; signature: string };

export const hookAuth = (): fc.Arbitrary<HookAuth> => fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('signed' as const),
      secret: fc.oneof({ weight: 19, arbitrary: fc.constant('right' as const) }, fc.constant('wrong' as const)),
      skewSeconds: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, fc.constantFrom(-400, -301, -299, 299, 301, 86_400)),
      timestampForm: fc.oneof({ weight: 30, arbitrary: fc.constant('seconds' as const) }, fc.constantFrom('milliseconds' as const, 'iso' as const, 'garbage' as const)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bearer' as const), right: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), timestamp: printable, signature: printable }) },
);

/** Whether a hook delivery could be authentic; false when it certainly is not. */
export function hookMayBeAuthentic(auth: HookAuth): boolean {
  return (auth.kind === 'signed' && auth.secret === 'right' && Math.abs(auth.skewSeconds) < 300) || (auth.kind === 'bearer' && auth.right);
}

// ---- a whole request -------------------------------------------------------------------------

export interface RequestPlan {
  route: Route;
  segments: Segment[];
  query: string;
  body: BodyPlan | null;
  auth: Auth | HookAuth | null;
  /** Headers a browser, proxy or scanner adds, any of them junk. */
  headers?: Record<string, string>;
}

/** Printable junk (or nothing) in the headers the vault reads besides credentials. */
export const junkHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  fc.record(
    {
      'Accept-Language': fc.oneof(printable, fc.constantFrom('de-DE,de;q=0.9', '*', 'xx;q=abc', 'en;q=1.5, fr;q=-1')),
      Accept: fc.oneof(printable, fc.constantFrom('text/html', 'application/json', '*/*;q=0')),
      Referer: fc.oneof(printable, fc.constantFrom('https://vault.example.test/console', 'https://evil.test/', '::')),
      'X-Forwarded-For': fc.oneof(printable, fc.constantFrom('1.2.3.4', '1.2.3.4, 5.6.7.8', 'unknown', '::ffff:10.0.0.1')),
      'Sec-Fetch-Site': fc.constantFrom('same-origin', 'cross-site', 'none', 'x'),
      Cookie: fc.oneof(printable, fc.constantFrom('tv_session=', 'tv_session=%', 'tv_session=a; tv_session=b', '__Host-tv_session=x', '=;=;')),
    },
    { requiredKeys: [] },
  ),
);

export const paramsOf = (route: Route) => [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] as PoolName);

/** A request for one of `routes`, its auth drawn from `auth`. */
export function requestPlan(routes: Route[], auth: (route: Route) => fc.Arbitrary<Auth | HookAuth | null>): fc.Arbitrary<RequestPlan> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      segments: fc.tuple(...paramsOf(route).map(segment)) as fc.Arbitrary<Segment[]>,
      query: fc.oneof({ weight: route.query ? 4 : 1, arbitrary: queryText(route.query) }, { weight: 3, arbitrary: fc.constant('') }),
      body: route.audience === 'portal' ? formBodyPlan(route) : route.method === 'GET' ? fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, bodyPlan(route)) : bodyPlan(route),
      auth: auth(route),
      headers: junkHeaders,
    }),
  );
}

/** The plan made real against the vault's fixtures of the moment; `forged` is the forged-JWT corpus. */
export function materialize(fv: FuzzVault, plan: RequestPlan, forged: string[] = []): PlainRequest {
  const { pools } = fv;
  const pick = (pool: PoolName, index: number) => pools[pool][index % pools[pool].length]!;
  let i = 0;
  const path = plan.route.path.replace(/:\w+/g, () => {
    const seg = plan.segments[i++]!;
    if ('literal' in seg) return seg.literal;
    const value = pick(seg.pool, seg.index);
    return seg.mutation ? pct(mutate(value, seg.mutation)) : value;
  });

  const headers: Record<string, string> = { ...plan.headers };
  let body: Buffer | undefined;
  if (plan.body) {
    const text = plan.body.text
      .replaceAll('{{externalRef}}', fv.tv.stores.tickets.get(pools.tickets[0]!)!.externalRef)
      .replaceAll('{{receiptToken}}', pools.receiptTokens[0]!)
      .replaceAll('{{otherReceiptToken}}', pools.receiptTokens.at(-1)!)
      .replaceAll('{{linkToken}}', pools.linkTokens[0]!)
      .replaceAll('{{sealed}}', fv.sealed)
      .replaceAll('{{ticketId}}', pools.tickets[0]!)
      .replaceAll('{{credentialId}}', pools.credentials[0]!)
      .replaceAll('{{staffId}}', pools.staff[0]!)
      .replaceAll('{{customerEmail}}', fv.portal.email)
      .replaceAll('{{CUSTOMEREMAIL}}', fv.portal.email.toUpperCase())
      .replaceAll('"{{now}}"', String(fv.tv.clock.now()));
    body = plan.body.encoding?.real ? encodeBody(text, plan.body.encoding.name) : Buffer.from(text, 'utf8');
    if (plan.body.contentType) headers['Content-Type'] = plan.body.contentType;
    if (plan.body.encoding) headers['Content-Encoding'] = plan.body.encoding.name;
  }
  const query = plan.query
    .replaceAll('%7B%7BticketId%7D%7D', pools.tickets[0]!)
    .replaceAll('%7B%7BcredentialId%7D%7D', pools.credentials[0]!);
  // A cookie request's credentials include where it says it comes from: that is the auth plan's to set.
  if (plan.auth?.kind === 'cookie' || plan.auth?.kind === 'portal') for (const name of ['Referer', 'Sec-Fetch-Site', 'Origin']) delete headers[name];
  Object.assign(headers, authHeaders(fv, plan, body ?? Buffer.alloc(0), forged));
  return { method: plan.route.method, url: path + query, headers, body };
}

function authHeaders(fv: FuzzVault, plan: RequestPlan, body: Buffer, forged: string[]): Record<string, string> {
  const auth = plan.auth;
  if (!auth) return {};
  const { tv } = fv;
  const origin = tv.vault.config.publicOrigin;
  switch (auth.kind) {
    case 'bearer':
      if ('role' in auth) return { Authorization: `Bearer ${tv.tokens[auth.role]}` };
      return { 'X-Ticketvault-Token': auth.right ? HELPDESK_BEARER : `${HELPDESK_BEARER.slice(0, -1)}x` };
    case 'none':
      return {};
    case 'header':
      return { Authorization: auth.value };
    case 'forged':
      return forged.length ? { Authorization: `Bearer ${forged[auth.index % forged.length]}` } : {};
    case 'cookie': {
      const cookie = auth.valid ? fv.cookie : `${fv.cookie.slice(0, fv.cookie.indexOf('='))}=${'Z'.repeat(43)}`;
      const site: Record<string, string> = auth.site === 'absent' ? {} : auth.site === 'same-origin' ? { Origin: origin, 'Sec-Fetch-Site': 'same-origin' } : { Origin: 'https://evil.test', 'Sec-Fetch-Site': 'cross-site' };
      return { Cookie: cookie, ...site };
    }
    case 'portal': {
      const { sessions, cookieName } = fv.portal;
      const value = { live: sessions.live, other: sessions.other, expired: sessions.expired, ended: sessions.ended, mangled: mutate(sessions.live, 'change-last'), staff: null, none: null }[auth.session];
      const cookie: Record<string, string> = auth.session === 'staff' ? { Cookie: fv.cookie } : value ? { Cookie: `${cookieName}=${value}` } : {};
      const site: Record<PortalSite, Record<string, string>> = {
        'same-origin': { Origin: origin, 'Sec-Fetch-Site': 'same-origin' },
        referer: { Referer: `${origin}/portal` },
        'cross-site': { Origin: origin, 'Sec-Fetch-Site': 'cross-site' },
        'foreign-origin': { Origin: 'https://evil.test' },
        'foreign-referer': { Referer: 'https://evil.test/portal' },
        'null-origin': { Origin: 'null' },
        absent: {},
      };
      return { ...cookie, ...site[auth.site] };
    }
    case 'raw':
      if (plan.route.path.endsWith('/helpscout')) return { 'X-HelpScout-Event': auth.timestamp, 'X-HelpScout-Signature': auth.signature };
      if (plan.route.path.endsWith('/jira')) return { 'X-Hub-Signature': auth.signature };
      return plan.route.path.endsWith('/zendesk')
        ? { 'X-Zendesk-Webhook-Signature-Timestamp': auth.timestamp, 'X-Zendesk-Webhook-Signature': auth.signature }
        : { 'X-Ticketvault-Timestamp': auth.timestamp, 'X-Ticketvault-Signature': auth.signature };
    case 'signed': {
      // Help Scout and Jira sign the body alone (Jira's time is inside it); the timestamp form picks Help Scout's event name.
      if (plan.route.path.endsWith('/helpscout')) {
        const event = { seconds: 'convo.created', milliseconds: 'convo.status', iso: 'customer.created', garbage: 'convo.deleted' }[auth.timestampForm];
        return { 'X-HelpScout-Event': event, 'X-HelpScout-Signature': helpScoutSignature(auth.secret === 'right' ? HELPSCOUT_SECRET : 'not-the-help-scout-secret', body) };
      }
      if (plan.route.path.endsWith('/jira')) return { 'X-Hub-Signature': jiraSignature(auth.secret === 'right' ? JIRA_SECRET : 'not-the-jira-secret-000', body) };
      const at = tv.clock.now() + auth.skewSeconds * 1000;
      const zendesk = plan.route.path.endsWith('/zendesk');
      const timestamp = {
        seconds: zendesk ? new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') : String(Math.floor(at / 1000)),
        milliseconds: String(at),
        iso: zendesk ? String(Math.floor(at / 1000)) : new Date(at).toISOString(),
        garbage: 'yesterday',
      }[auth.timestampForm];
      const secret = auth.secret === 'right' ? (zendesk ? ZENDESK_SECRET : HELPDESK_SECRET) : 'whsec_not_the_secret_00000000';
      return zendesk
        ? { 'X-Zendesk-Webhook-Signature-Timestamp': timestamp, 'X-Zendesk-Webhook-Signature': zendeskSignature(secret, timestamp, body) }
        : { 'X-Ticketvault-Timestamp': timestamp, 'X-Ticketvault-Signature': helpdeskSignature(secret, timestamp, body) };
    }
  }
}

/**
 * The property every fuzzing test states: for each plan, with the fixtures put back first, the
 * answer passes checkRequest with what `expectation` asks of that plan.
 */
export async function fuzzRequests(
  fv: FuzzVault,
  plans: fc.Arbitrary<RequestPlan>,
  expectation: (plan: RequestPlan) => Expectation,
  numRuns: number,
  forged: string[] = [],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      await fv.restoreFixtures();
      await checkRequest(fv, materialize(fv, plan, forged), expectation(plan));
    }),
    fuzzRuns(numRuns),
  );
}
