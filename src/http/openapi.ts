import { AUDIT_ACTIONS } from '../audit/audit.js';
import { CREDENTIAL_KINDS, KIND_SPECS } from '../credentials/credential-kinds.js';
import { LANGUAGES } from '../languages/languages.js';
import { OUTGOING_EVENT_TYPES } from '../outgoing-webhooks/outgoing-webhook-events.js';

// GET /openapi.json: the contract of DESIGN.md as an OpenAPI 3.1 document.

const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const body = (schema: object) => ({ required: true, ...json(schema) });
/** A second factor in a body: `code` (6 digits from the authenticator app) or `recoveryCode`, exactly one. */
const proofBody = (more: Record<string, object> = {}, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties: { ...more, code: { type: 'string', pattern: '^[0-9]{6}$' }, recoveryCode: { type: 'string', maxLength: 64 }, passkey: { type: 'object', description: "a passkey's answer (navigator.credentials.get) to a challenge from /auth/passkey/options or /auth/step-up/options" } },
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const staff = [{ bearer: [] }, { session: [] }];
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, schema: object, description: string) => ({ name, in: 'query', required: false, description, schema });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
/** The customer endpoints' answers: these errors, and 429 once the client address is over its limit. */
const customerErrors = (...statuses: number[]) => ({ ...errors(...statuses), '429': { $ref: '#/components/responses/RateLimited' } });

const token = path('token', 'the 43-character token from the link');
const id = path('id', 'a UUID');
/** DESIGN "Languages": what the customer's e-mails about this receipt are written in. */
const customerLanguage = {
  name: 'Accept-Language',
  in: 'header',
  required: false,
  description: `the customer's language (${LANGUAGES.join(', ')}; \`?lang=\` wins over it), kept with the receipt: its e-mails are written in it; otherwise DEFAULT_LANGUAGE`,
  schema: { type: 'string' },
};
const auditFilters = [
  query('ticketId', { type: 'string' }, 'filter'),
  query('credentialId', { type: 'string' }, 'filter'),
  query('action', { enum: [...AUDIT_ACTIONS] }, 'filter'),
  query('actorId', { type: 'string' }, 'filter'),
  query('since', { type: 'string', format: 'date-time' }, 'at or after'),
  query('until', { type: 'string', format: 'date-time' }, 'before'),
];
const paging = [query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'page size'), query('cursor', { type: 'string' }, 'nextCursor of the previous page')];

/** A calendar date; a full date-time is accepted and its date kept. The period ends at the end of that day in SUPPORT_TIMEZONE. */
const supportUntilInput = { type: 'string', description: 'YYYY-MM-DD (a date-time is accepted and its date kept)', examples: ['2027-06-30'] };

const fieldsSchema = {
  type: 'object',
  description: 'Secret fields of the kind; each a string of at most 16 KiB (UTF-8).',
  additionalProperties: { type: 'string', maxLength: 16384 },
};
/** DESIGN "Attachments": the upload ids a credential carries, each staged first by POST …/files. */
const filesInput = {
  type: 'array',
  maxItems: 5,
  items: { type: 'string', description: 'an upload id from POST /intake/{token}/files (or /receipts/{token}/files for a rectification)' },
  description: 'at most 5 files (400 too_many_files); kind file needs at least one (400 files_required); an unknown or used upload is 400 upload_unknown',
};
/** Ask me first (decision 027): nothing revealed, the customer was e-mailed; a reveal and a file download answer it alike. */
const approvalPending = {
  description: 'ask me first: nothing revealed; the customer was e-mailed to approve or refuse (a problem-like body, code approval_pending; decision 027)',
  content: {
    'application/problem+json': {
      schema: { type: 'object', properties: { code: { const: 'approval_pending' }, status: { const: 202 }, detail: {}, credentialId: {}, requestedAt: {}, linkExpiresAt: {} } },
    },
  },
};
const fileEntry = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, size: { type: 'integer' } } };
const uploadBody = {
  required: true,
  content: {
    'application/octet-stream': {
      schema: {
        type: 'string',
        format: 'binary',
        description:
          'u32 big-endian length L, then L bytes crypto_box_seal(JSON {v: 1, key, header, name, type}, publicKey) (key and header base64url), then the file as crypto_secretstream_xchacha20poly1305 chunks of 65536 plaintext bytes, the last tagged FINAL',
      },
    },
  },
};
const staged = ok('staged until a submission names it, or destroyed after an hour', { type: 'object', properties: { id: { type: 'string' }, size: { type: 'integer' }, expiresAt: { type: 'string' } } });
const secretPayload = {
  properties: { files: filesInput },
  oneOf: [
    { type: 'object', required: ['fields'], properties: { fields: fieldsSchema } },
    {
      type: 'object',
      required: ['sealed'],
      properties: { sealed: { type: 'string', description: 'base64url (no padding) of crypto_box_seal(UTF-8 JSON of fields, publicKey)' } },
    },
  ],
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'ticketvault',
    version: '1',
    description:
      'A vault for the credentials customers hand to a support desk. Errors are application/problem+json with a stable `code`. ' +
      'Any request that writes may answer 503 `storage_unavailable` (a reveal: `audit_unavailable`) with Retry-After while the storage cannot take the write; nothing was changed.',
  },
  servers: [{ url: '/api/v1' }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-tv_session',
        description: 'The console session; named tv_session (without Secure) when PUBLIC_URL is plain http.',
      },
    },
    responses: {
      Problem: {
        description: 'A problem (RFC 9457)',
        content: { 'application/problem+json': { schema: ref('Problem') } },
      },
      RateLimited: {
        description:
          'Too many requests from this client address to the customer endpoints (CUSTOMER_RATE_LIMIT_PER_MINUTE, one budget per address across them): `rate_limited`; nothing was done',
        headers: { 'Retry-After': { description: 'seconds until the address may try again', required: true, schema: { type: 'integer', minimum: 1 } } },
        content: { 'application/problem+json': { schema: ref('Problem') } },
      },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' } },
      },
      Ticket: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          externalRef: { type: 'string' },
          subject: { type: 'string' },
          customerEmail: { type: 'string' },
          customerName: { type: ['string', 'null'] },
          supportUntil: { type: 'string', format: 'date-time', description: 'when the support period ends: the end of supportUntilDate in SUPPORT_TIMEZONE' },
          supportUntilDate: { type: 'string', format: 'date', description: 'the support period\'s last day, as given' },
          status: { enum: ['open', 'closed'] },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
          closedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
      Credential: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          ticketId: { type: 'string', format: 'uuid' },
          kind: { enum: [...CREDENTIAL_KINDS] },
          label: { type: 'string' },
          status: { enum: ['active', 'restricted', 'expired', 'revoked', 'withdrawn', 'purged'] },
          endedBecause: { enum: ['ticket_closed', 'expired', 'revoked', 'withdrawn', null] },
          submittedAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time' },
          approval: {
            type: 'object',
            description: "on a ticket's detail: the viewing engineer's latest ask-me-first request (decision 027)",
            properties: { state: { enum: ['pending', 'approved', 'refused', 'lapsed'] }, requestedAt: {}, decidedAt: {}, approvedUntil: {} },
          },
        },
      },
      Kind: {
        type: 'object',
        properties: { kind: { type: 'string' }, title: { type: 'string' }, required: { type: 'array' }, optional: { type: 'array' } },
        examples: [KIND_SPECS.ftp],
      },
      AuditEvent: {
        type: 'object',
        properties: {
          seq: { type: 'integer' },
          at: { type: 'string', format: 'date-time' },
          action: { enum: [...AUDIT_ACTIONS] },
          actor: { type: 'object' },
          ticketId: { type: ['string', 'null'] },
          credentialId: { type: ['string', 'null'] },
          reason: { type: ['string', 'null'] },
          prevHash: { type: 'string' },
          hash: { type: 'string' },
        },
      },
    },
  },
  paths: {
    '/tickets': {
      post: {
        summary: 'Create a ticket',
        security: staff,
        requestBody: body({
          type: 'object',
          required: ['externalRef', 'subject', 'customerEmail', 'supportUntil'],
          additionalProperties: false,
          properties: {
            externalRef: { type: 'string' },
            subject: { type: 'string' },
            customerEmail: { type: 'string', format: 'email' },
            customerName: { type: 'string' },
            supportUntil: supportUntilInput,
          },
        }),
        responses: { '201': ok('the ticket', ref('Ticket')), ...errors(400, 401, 403, 409, 415) },
      },
      get: {
        summary: 'List tickets',
        security: staff,
        parameters: [
          query('status', { enum: ['open', 'closed'] }, 'filter'),
          query('q', { type: 'string' }, 'search reference, subject, customer, credential labels'),
          query('sort', { enum: ['created', 'updated', 'ref', 'expiry'], default: 'created' }, 'newest created or updated first, reference A–Z, or soonest live-credential expiry first (tickets with a live credential only)'),
          ...paging,
        ],
        responses: {
          '200': ok('a page', {
            type: 'object',
            properties: {
              items: { type: 'array', items: { allOf: [ref('Ticket'), { type: 'object', properties: { liveCredentials: { type: 'integer' }, soonestExpiry: { type: ['string', 'null'], format: 'date-time' } } }] } },
              nextCursor: { type: ['string', 'null'] },
            },
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    '/tickets/{id}': {
      get: { summary: 'A ticket with its credentials (metadata only) and intake links', security: staff, parameters: [id], responses: { '200': ok('the ticket'), ...errors(401, 403, 404) } },
      patch: {
        summary: 'Change a ticket; moving supportUntil re-bounds its live credentials (audited ticket.changed)',
        security: staff,
        parameters: [id],
        requestBody: body({
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            subject: { type: 'string' },
            customerEmail: { type: 'string', format: 'email' },
            customerName: { type: ['string', 'null'] },
            supportUntil: supportUntilInput,
          },
        }),
        responses: { '200': ok('the ticket', ref('Ticket')), ...errors(400, 401, 403, 404, 415) },
      },
    },
    '/tickets/{id}/close': {
      post: { summary: 'Close a ticket; expires its credentials now (idempotent)', security: staff, parameters: [id], responses: { '200': ok('the ticket', ref('Ticket')), ...errors(401, 403, 404) } },
    },
    '/tickets/{id}/reopen': {
      post: { summary: 'Reopen a ticket; credentials that ended stay ended (idempotent)', security: staff, parameters: [id], responses: { '200': ok('the ticket', ref('Ticket')), ...errors(401, 403, 404) } },
    },
    '/tickets/{id}/intake-links': {
      post: {
        summary: 'Create an intake link (the url is shown once)',
        security: staff,
        parameters: [id],
        requestBody: { required: false, ...json({ type: 'object', additionalProperties: false, properties: { ttlSeconds: { type: 'integer' }, maxUses: { type: 'integer' } } }) },
        responses: { '201': ok('the link', { type: 'object', properties: { id: { type: 'string' }, url: { type: 'string' }, expiresAt: { type: 'string' } } }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/intake-links/{id}': { delete: { summary: 'Revoke an intake link', security: staff, parameters: [id], responses: { '204': { description: 'revoked' }, ...errors(401, 403, 404) } } },
    '/credentials/{id}': {
      get: { summary: 'Credential metadata', security: staff, parameters: [id], responses: { '200': ok('metadata', ref('Credential')), ...errors(401, 403, 404) } },
      delete: { summary: 'Revoke a credential', security: staff, parameters: [id], responses: { '204': { description: 'revoked' }, ...errors(401, 403, 404) } },
    },
    '/credentials/{id}/reveal': {
      post: {
        summary: 'Reveal the secret fields, with a reason; audited before the secret leaves',
        security: staff,
        parameters: [id],
        requestBody: body({ type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } }),
        responses: {
          '200': ok('the fields and the list of files', { type: 'object', properties: { id: {}, kind: {}, label: {}, fields: fieldsSchema, files: { type: 'array', items: fileEntry } } }),
          '202': approvalPending,
          ...errors(400, 401, 403, 404, 410, 423, 503),
        },
      },
    },
    '/credentials/{id}/files/{fileId}/download': {
      post: {
        summary: "Download one file, with a reason: its own reveal, audited (credential.revealed naming the file) before the first byte; refused as a reveal is",
        security: staff,
        parameters: [id, path('fileId', 'a file id from the reveal')],
        requestBody: body({ type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } }),
        responses: {
          '200': { description: 'the file (Content-Disposition: attachment, Cache-Control: no-store)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          '202': approvalPending,
          ...errors(400, 401, 403, 404, 410, 423, 503),
        },
      },
    },
    '/audit': {
      get: {
        summary: 'Audit events, newest first',
        security: staff,
        parameters: [...auditFilters, ...paging],
        responses: { '200': ok('a page', { type: 'object', properties: { items: { type: 'array', items: ref('AuditEvent') }, nextCursor: { type: ['string', 'null'] } } }), ...errors(400, 401, 403) },
      },
    },
    '/audit/export': {
      get: {
        summary: 'Audit events matching the filter as JSON Lines (one event a line, newest first), as a download',
        security: staff,
        parameters: auditFilters,
        responses: { '200': { description: 'JSON Lines', content: { 'application/jsonl': { schema: { type: 'string' } } } }, ...errors(400, 401, 403) },
      },
    },
    '/audit/verify': {
      get: {
        summary: "Walk the audit hash chain; ok false names the first broken row (admin, auditor)",
        security: staff,
        parameters: [query('head', { type: 'string', pattern: '^[0-9a-fA-F]{64}$' }, 'a head hash saved earlier: also detects rows cut off the end')],
        responses: { '200': ok('the result', { type: 'object', properties: { ok: { type: 'boolean' }, count: { type: 'integer' }, headSeq: { type: 'integer' }, headHash: { type: 'string' }, firstBadSeq: { type: 'integer' }, problem: { type: 'string' } } }), ...errors(400, 401, 403) },
      },
    },
    '/hooks/helpdesk': {
      post: {
        summary: 'Helpdesk events (ticket.created/updated/closed/reopened), signed: X-Ticketvault-Timestamp + X-Ticketvault-Signature v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">, or a bearer entry in X-Ticketvault-Token',
        parameters: [
          { name: 'X-Ticketvault-Timestamp', in: 'header', required: false, schema: { type: 'string' }, description: 'unix seconds; within 300 s of the server clock' },
          { name: 'X-Ticketvault-Signature', in: 'header', required: false, schema: { type: 'string' }, description: 'v1=<hex>[,v1=<hex>]' },
        ],
        requestBody: body({
          type: 'object',
          required: ['id', 'event', 'ticket'],
          properties: {
            id: { type: 'string' },
            event: { enum: ['ticket.created', 'ticket.updated', 'ticket.closed', 'ticket.reopened'] },
            ticket: { type: 'object', required: ['externalRef'] },
            createIntakeLink: { type: 'boolean' },
          },
        }),
        responses: { '202': ok('accepted (also for a repeated event id or an unknown ticket on close)'), ...errors(400, 401, 413, 415) },
      },
    },
    '/hooks/zendesk': {
      post: {
        summary: "Zendesk webhook, signed with Zendesk's X-Zendesk-Webhook-Signature (base64 HMAC-SHA256 of timestamp + body) and X-Zendesk-Webhook-Signature-Timestamp",
        requestBody: body({ type: 'object' }),
        responses: { '202': ok('accepted'), ...errors(400, 401, 413, 415) },
      },
    },
    '/hooks/helpscout': {
      post: {
        summary:
          "Help Scout webhook (convo.* events; the conversation number is the ticket's reference HS-<number>), signed with X-HelpScout-Signature (base64 HMAC-SHA1 of the body); X-HelpScout-Event names the event",
        requestBody: body({ type: 'object', required: ['number', 'status'], properties: { number: { type: 'integer' }, subject: { type: 'string' }, status: { enum: ['active', 'pending', 'closed', 'spam'] }, primaryCustomer: { type: 'object' } } }),
        responses: { '202': ok('accepted (result ignored for events the vault does not follow)'), ...errors(400, 401, 413, 415) },
      },
    },
    '/hooks/jira': {
      post: {
        summary: "Jira webhook (jira:issue_created|updated|deleted; the issue key is the ticket's reference, the reporter the customer), signed with X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>; the body's timestamp must be under an hour old",
        requestBody: body({ type: 'object', required: ['timestamp', 'webhookEvent'], properties: { timestamp: { type: 'integer' }, webhookEvent: { type: 'string' }, issue: { type: 'object' } } }),
        responses: { '202': ok('accepted (result ignored for events the vault does not follow)'), ...errors(400, 401, 413, 415) },
      },
    },
    '/auth/login': {
      post: {
        summary: 'Console sign-in with e-mail and password; sets the HttpOnly, SameSite=Strict session cookie',
        requestBody: body({ type: 'object', required: ['email', 'password'], additionalProperties: false, properties: { email: { type: 'string' }, password: { type: 'string' } } }),
        responses: {
          '200': ok('the staff member and the session'),
          '202': ok('the password was right and the member has a second factor: { secondFactor: { pendingToken, expiresAt, methods } }, no session yet'),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    '/auth/login/second-factor': {
      post: {
        summary: "Sign-in's second step: the pendingToken from the 202 and a code from the authenticator app or a recovery code; sets the session cookie",
        requestBody: body(proofBody({ pendingToken: { type: 'string' } }, ['pendingToken'])),
        responses: { '200': ok('the staff member and the session (method password+totp or password+recovery)'), ...errors(400, 401, 403, 429) },
      },
    },
    '/auth/passkey/options': {
      post: {
        summary: 'WebAuthn options (a challenge) to sign in with a passkey alone, or, with the pendingToken of a correct password, as the second step',
        requestBody: body({ type: 'object', properties: { pendingToken: { type: 'string' } } }),
        responses: { '200': ok('PublicKeyCredentialRequestOptionsJSON, user verification required'), ...errors(401, 403) },
      },
    },
    '/auth/passkey': {
      post: {
        summary: 'Sign in with a passkey alone (a discoverable credential); sets the session cookie',
        requestBody: body({ type: 'object', required: ['response'], additionalProperties: false, properties: { response: { type: 'object' } } }),
        responses: { '200': ok('the staff member and the session (method passkey)'), ...errors(400, 401, 403, 429) },
      },
    },
    '/auth/step-up/options': {
      post: { summary: "WebAuthn options to confirm the signed-in member with one of their passkeys (step-up, changes to their factors)", security: staff, responses: { '200': ok('PublicKeyCredentialRequestOptionsJSON'), ...errors(401) } },
    },
    '/account/passkeys/options': {
      post: { summary: 'WebAuthn options to add a passkey (resident key, user verification required)', security: staff, responses: { '200': ok('PublicKeyCredentialCreationOptionsJSON'), ...errors(401) } },
    },
    '/account/passkeys': {
      post: {
        summary: "Add a passkey from the browser's answer; the member's first factor comes with 10 recovery codes, shown once",
        security: staff,
        requestBody: body({ type: 'object', required: ['response'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 }, response: { type: 'object' } } }),
        responses: { '200': ok('the factor, and recoveryCodes for the first one'), ...errors(400, 401, 409) },
      },
    },
    '/auth/step-up': {
      post: {
        summary: 'Confirm the console session with the second factor instead of the password (before a reveal)',
        security: [{ session: [] }],
        requestBody: body(proofBody()),
        responses: { '200': ok('the session, authenticated just now'), ...errors(400, 401, 403, 429) },
      },
    },
    '/account/security': {
      get: { summary: "The signed-in member's second factors and recovery codes left (open while enrolment is due)", security: staff, responses: { '200': ok('factors, recoveryCodesLeft, required'), ...errors(401) } },
    },
    '/account/totp': {
      post: {
        summary: 'Start adding an authenticator app: a new secret and its otpauth:// URI (confirmed by the next call)',
        security: staff,
        requestBody: body({ type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 } } }),
        responses: { '201': ok('id, secret (base32), otpauthUri'), ...errors(400, 401, 404) },
      },
    },
    '/account/totp/{id}/confirm': {
      post: {
        summary: "Confirm an authenticator app with its current code; the member's first factor comes with 10 recovery codes, shown once",
        security: staff,
        parameters: [id],
        requestBody: body({ type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', pattern: '^[0-9]{6}$' } } }),
        responses: { '200': ok('the factor, and recoveryCodes for the first one'), ...errors(400, 401, 404, 409) },
      },
    },
    '/account/factors/{id}/remove': {
      post: {
        summary: 'Remove one of your second factors; needs a current code or a recovery code',
        security: staff,
        parameters: [id],
        requestBody: body(proofBody()),
        responses: { '200': ok('what is left'), ...errors(400, 401, 404, 409, 429) },
      },
    },
    '/account/recovery-codes': {
      post: {
        summary: 'Ten new recovery codes, voiding the old ones; needs a current code or a recovery code',
        security: staff,
        requestBody: body(proofBody()),
        responses: { '200': ok('recoveryCodes, shown once'), ...errors(400, 401, 409, 429) },
      },
    },
    '/staff/mfa-policy': {
      get: { summary: 'Whether a second factor is required (MFA_REQUIRED, or the admins\' switch)', security: staff, responses: { '200': ok('required, requiredByConfig, requiredBySetting'), ...errors(401, 403) } },
      put: {
        summary: "The admins' switch: local accounts without a second factor enrol at their next sign-in (admin)",
        security: staff,
        requestBody: body({ type: 'object', required: ['required'], additionalProperties: false, properties: { required: { type: 'boolean' } } }),
        responses: { '200': ok('the policy'), ...errors(400, 401, 403) },
      },
    },
    '/staff/{id}/reset-mfa': {
      post: { summary: "Remove a member's second factors and recovery codes (admin; audited)", security: staff, parameters: [id], responses: { '200': ok('what is left'), ...errors(401, 403, 404) } },
    },
    '/auth/logout': { post: { summary: 'End the console session on the server', security: [{ session: [] }, {}], responses: { '204': { description: 'signed out' }, ...errors(403) } } },
    '/auth/session': { get: { summary: 'Who is signed in, and when the session ends or needs a fresh sign-in', security: staff, responses: { '200': ok('the session'), ...errors(401) } } },
    '/staff': {
      get: { summary: 'Staff members (admin)', security: staff, responses: { '200': ok('the members'), ...errors(401, 403) } },
      post: {
        summary: 'Add a staff member (admin)',
        security: staff,
        requestBody: body({ type: 'object', required: ['email', 'role'], additionalProperties: false, properties: { email: { type: 'string' }, role: { enum: ['engineer', 'admin', 'auditor'] }, name: { type: 'string' }, password: { type: 'string', minLength: 12 } } }),
        responses: { '201': ok('the member'), ...errors(400, 401, 403, 409) },
      },
    },
    '/staff/{id}': {
      patch: {
        summary: "Change a member's role or name (admin); the last admin stays admin",
        security: staff,
        parameters: [id],
        requestBody: body({ type: 'object', additionalProperties: false, properties: { role: { enum: ['engineer', 'admin', 'auditor'] }, name: { type: 'string' } } }),
        responses: { '200': ok('the member'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/staff/{id}/disable': { post: { summary: 'Disable a member and end their sessions (admin)', security: staff, parameters: [id], responses: { '200': ok('the member'), ...errors(401, 403, 404, 409) } } },
    '/staff/{id}/enable': { post: { summary: 'Let a disabled member sign in again (admin); tokens issued before stay revoked', security: staff, parameters: [id], responses: { '200': ok('the member'), ...errors(401, 403, 404) } } },
    '/staff/{id}/revoke-tokens': {
      post: { summary: 'Revoke every bearer token issued to a member so far and end their sessions (admin)', security: staff, parameters: [id], responses: { '200': ok('the member'), ...errors(401, 403, 404) } },
    },
    '/staff/{id}/sso': {
      put: {
        summary: 'Link a member to their subject at the OIDC provider (admin); the only way an admin or an account with a password signs in with SSO',
        security: staff,
        parameters: [id],
        requestBody: body({ type: 'object', required: ['sub'], additionalProperties: false, properties: { sub: { type: 'string', minLength: 1, maxLength: 255 } } }),
        responses: { '200': ok('the member'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/staff/{id}/password': {
      put: {
        summary: "Set a member's console password, end their sessions and revoke their tokens (admin)",
        security: staff,
        parameters: [id],
        requestBody: body({ type: 'object', required: ['password'], additionalProperties: false, properties: { password: { type: 'string', minLength: 12 } } }),
        responses: { '200': ok('the member'), ...errors(400, 401, 403, 404) },
      },
    },
    '/webhooks': {
      get: { summary: 'Outgoing webhook endpoints with their delivery state: pending, delivered, failed, the last status and the next attempt (admin)', security: staff, responses: { '200': ok('the endpoints'), ...errors(401, 403) } },
      post: {
        summary: 'Register an outgoing webhook endpoint (admin; audited). The answer carries its secret (whsec_…), shown this once; deliveries are signed per Standard Webhooks',
        security: staff,
        requestBody: body({
          type: 'object',
          required: ['url', 'events'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', maxLength: 2048, description: 'https (http only outside production); no user name or password' },
            events: { type: 'array', minItems: 1, items: { enum: [...OUTGOING_EVENT_TYPES] } },
          },
        }),
        responses: { '201': ok('the endpoint and its secret'), ...errors(400, 401, 403) },
      },
    },
    '/webhooks/{id}': {
      delete: { summary: 'Remove an outgoing webhook endpoint; its pending deliveries are never sent (admin; audited)', security: staff, parameters: [id], responses: { '204': { description: 'removed' }, ...errors(401, 403, 404) } },
    },
    '/webhooks/{id}/deliveries': {
      get: {
        summary: "An endpoint's deliveries, newest first: state, attempts, last status or error, next attempt (admin)",
        security: staff,
        parameters: [id, query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'how many')],
        responses: { '200': ok('the deliveries'), ...errors(400, 401, 403, 404) },
      },
    },
    '/intake/{token}': {
      get: {
        summary: 'What an intake link asks for (never uses the link up)',
        parameters: [token],
        responses: {
          '200': ok('the link', { type: 'object', properties: { ticket: {}, vendorName: {}, expiresAt: {}, kinds: { type: 'array', items: ref('Kind') }, publicKey: { type: 'string' }, attachments: { type: 'object', description: 'files a credential may carry', properties: { maxFiles: { type: 'integer' }, maxBytes: { type: 'integer' } } } } }),
          ...customerErrors(404, 410),
        },
      },
    },
    '/intake/{token}/credentials': {
      post: {
        summary: 'Submit a credential',
        parameters: [token, customerLanguage],
        requestBody: body({
          allOf: [
            {
              type: 'object',
              required: ['kind'],
              properties: {
                kind: { enum: [...CREDENTIAL_KINDS] },
                label: { type: 'string' },
                receipt: {
                  type: 'string',
                  description:
                    'the receipt token (last part of receiptUrl) an earlier submission through this link got: the credential joins that receipt (400 receipt_mismatch otherwise)',
                },
              },
            },
            secretPayload,
          ],
        }),
        responses: { '201': ok('submitted', { type: 'object', properties: { credentialId: {}, expiresAt: {}, receiptUrl: {} } }), ...customerErrors(400, 404, 410, 413, 415) },
      },
    },
    '/intake/{token}/files': {
      post: {
        summary: 'Upload one file, encrypted in the browser, for a submission through this link to name in files',
        parameters: [token],
        requestBody: uploadBody,
        responses: { '201': staged, ...customerErrors(400, 404, 409, 410, 413, 415) },
      },
    },
    '/receipts/{token}/files': {
      post: {
        summary: 'Upload one file, encrypted in the browser, for a rectification through this receipt to name in files',
        parameters: [token],
        requestBody: uploadBody,
        responses: { '201': staged, ...customerErrors(400, 404, 409, 413, 415) },
      },
    },
    '/receipts/{token}': { get: { summary: 'What this submission holds and who revealed it', parameters: [token], responses: { '200': ok('the receipt'), ...customerErrors(404) } } },
    '/receipts/{token}/export': { get: { summary: 'Portability: a JSON download, no secrets', parameters: [token], responses: { '200': ok('the export'), ...customerErrors(404) } } },
    '/receipts/{token}/preferences': {
      put: {
        summary: 'Reveal notice preference',
        parameters: [token, customerLanguage],
        requestBody: body({ type: 'object', required: ['notifyOnReveal'], properties: { notifyOnReveal: { type: 'boolean' } } }),
        responses: { '200': ok('the preferences'), ...customerErrors(400, 404, 410) },
      },
    },
    '/receipts/{token}/credentials/{id}': {
      delete: { summary: 'Withdraw: expire and destroy at once', parameters: [token, id], responses: { '204': { description: 'withdrawn' }, ...customerErrors(404) } },
      put: { summary: 'Rectify: replace the fields', parameters: [token, id], requestBody: body(secretPayload), responses: { '200': ok('the credential'), ...customerErrors(400, 404, 410) } },
    },
    '/receipts/{token}/credentials/{id}/restrict': { post: { summary: 'Freeze reveals', parameters: [token, id], responses: { '200': ok('the credential'), ...customerErrors(404, 410) } } },
    '/receipts/{token}/credentials/{id}/unrestrict': { post: { summary: 'Lift the freeze', parameters: [token, id], responses: { '200': ok('the credential'), ...customerErrors(404, 410) } } },
  },
};
