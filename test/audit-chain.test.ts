import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { AuditRow } from '../src/audit/audit-store.js';
import { auditMac } from '../src/crypto/audit-mac.js';
import { initSodium, sodium } from '../src/crypto/sodium.js';
import {
  advanceClock,
  canary,
  createTestVault,
  DAY,
  FTP_FIELDS,
  onPostgres,
  openTicketWithLink,
  placesHolding,
  revealBody,
  snapshotVault,
  sqliteOnly,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

/** DESIGN.md "Audit log", copied rather than imported so that a drift in the code shows here. */
const DESIGN_ACTIONS = [
  'ticket.created',
  'ticket.closed',
  'ticket.reopened',
  'ticket.changed', // "Smaller contract changes": PATCH /tickets/:id
  'intake_link.created',
  'intake_link.revoked',
  'credential.submitted',
  'credential.revealed',
  'credential.reveal_denied',
  'credential.reveal_requested',
  'credential.reveal_approved',
  'credential.reveal_refused',
  'credential.revoked',
  'credential.withdrawn',
  'credential.restricted',
  'credential.unrestricted',
  'credential.rectified',
  'credential.expired',
  'credential.purged',
  'staff.login',
  'staff.login_failed',
  'staff.added',
  'staff.changed',
  'staff.disabled',
  'staff.enabled',
  'staff.password_set',
  'staff.mfa_changed',
  'staff.tokens_revoked',
  'staff.sso_linked',
  'keys.rotated',
  'receipt.exported',
  'webhook.added',
  'webhook.removed',
];

const USER_AGENT = 'ticketvault-tests/1.0';

const auditRows = async (tv: TestVault, afterSeq = 0) => (await tv.query('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq', afterSeq)) as unknown as AuditRow[];

const headSeq = async (tv: TestVault) => ((await tv.query('SELECT COALESCE(MAX(seq), 0) AS s FROM audit_events'))[0] as { s: number }).s;

interface Written {
  action: string;
  actorType: string;
  actorId: string | null;
  ticketId: string | null;
  credentialId: string | null;
  detail: string | null;
  reason: string | null;
}

const written = async (tv: TestVault, afterSeq: number): Promise<Written[]> =>
  (await auditRows(tv, afterSeq)).map((r) => ({
    action: r.action,
    actorType: r.actor_type,
    actorId: r.actor_id,
    ticketId: r.ticket_id,
    credentialId: r.credential_id,
    detail: r.detail,
    reason: r.reason,
  }));

const row = (fields: Partial<Written> & { action: string; actorType: string }): Written => ({
  actorId: null,
  ticketId: null,
  credentialId: null,
  detail: null,
  reason: null,
  ...fields,
});

const receiptIdOf = async (tv: TestVault, credentialId: string) =>
  ((await tv.query('SELECT receipt_id FROM credentials WHERE id = ?', credentialId))[0] as { receipt_id: string }).receipt_id;

const reveal = (tv: TestVault, credentialId: string, reason = 'Customer asked us to fix the upload') =>
  tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).set('User-Agent', USER_AGENT).send({ reason });

/** What an attacker with database access does first. */
const dropAppendOnlyTriggers = (tv: TestVault) =>
  tv.exec(
    onPostgres
      ? 'DROP TRIGGER audit_events_no_update ON audit_events; DROP TRIGGER audit_events_no_delete ON audit_events; DROP TRIGGER audit_events_no_truncate ON audit_events;'
      : 'DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;',
  );

/** 32 random bytes in SQL. */
const RANDOM_32_BYTES = onPostgres ? "decode(md5(random()::text) || md5(random()::text), 'hex')" : 'randomblob(32)';

/** The canonical bytes as documented in src/audit/audit.ts, rebuilt here as an attacker would. */
const canonicalOf = (r: AuditRow) =>
  Buffer.concat([
    r.prev_hash,
    Buffer.from(
      JSON.stringify([1, r.seq, r.at, r.action, r.actor_type, r.actor_id, r.actor_name, r.ticket_id, r.credential_id, r.reason, r.detail, r.ip, r.user_agent]),
      'utf8',
    ),
  ]);

/** Rewrites prev_hash and hash of every row from `fromSeq` on with `mac`, re-linking the chain. */
async function rechain(tv: TestVault, fromSeq: number, mac: (message: Uint8Array) => Uint8Array) {
  let prev: Buffer | undefined;
  for (const r of await auditRows(tv)) {
    if (r.seq >= fromSeq) {
      const relinked = { ...r, prev_hash: prev ?? r.prev_hash };
      const hash = Buffer.from(mac(canonicalOf(relinked)));
      await tv.exec('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?', relinked.prev_hash, hash, r.seq);
      prev = hash;
    } else {
      prev = r.hash;
    }
  }
}

beforeAll(async () => {
  await initSodium();
});

describe('audit rows written per action', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const engineer = (fields: Partial<Written> & { action: string }) => row({ actorType: 'staff', actorId: tv.staffIds.engineer, ...fields });

  it('POST /tickets writes ticket.created; a duplicate externalRef writes nothing', async () => {
    const before = await headSeq(tv);
    const body = { externalRef: 'ZD-4711', subject: 'Upload fails', customerEmail: 'c@shop.test', supportUntil: '2027-01-31' };
    const res = await tv.http.post('/api/v1/tickets').set(tv.auth()).send(body).expect(201);
    expect(await written(tv, before)).toEqual([engineer({ action: 'ticket.created', ticketId: res.body.id })]);

    const afterCreate = await headSeq(tv);
    await tv.http.post('/api/v1/tickets').set(tv.auth()).send(body).expect(409);
    expect(await written(tv, afterCreate)).toEqual([]);
  });

  it('creating an intake link writes intake_link.created; revoking it writes intake_link.revoked once', async () => {
    const { ticketId } = await openTicketWithLink(tv);
    const before = await headSeq(tv);
    const link = await tv.http.post(`/api/v1/tickets/${ticketId}/intake-links`).set(tv.auth()).send({}).expect(201);
    await tv.http.delete(`/api/v1/intake-links/${link.body.id}`).set(tv.auth()).expect(204);
    await tv.http.delete(`/api/v1/intake-links/${link.body.id}`).set(tv.auth()).expect(204);
    expect(await written(tv, before)).toEqual([
      engineer({ action: 'intake_link.created', ticketId, detail: link.body.id }),
      engineer({ action: 'intake_link.revoked', ticketId, detail: link.body.id }),
    ]);
  });

  it('opening an intake link writes nothing; a submission writes credential.submitted by the customer; a rejected one writes nothing', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const before = await headSeq(tv);
    await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: { host: 'h' } }).expect(400);
    const { credentialId } = await submitCredential(tv, linkToken);
    expect(await written(tv, before)).toEqual([
      row({ action: 'credential.submitted', actorType: 'customer', actorId: await receiptIdOf(tv, credentialId), ticketId, credentialId, detail: 'ftp' }),
    ]);
  });

  it('a reveal writes credential.revealed with its reason, ip and user agent; one without a reason answers 400 and writes nothing', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const before = await headSeq(tv);
    await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send({}).expect(400);
    await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send({ reason: '   ' }).expect(400);
    await reveal(tv, credentialId, 'Fixing the upload, ticket ZD-1').expect(200);

    expect(await written(tv, before)).toEqual([engineer({ action: 'credential.revealed', ticketId, credentialId, reason: 'Fixing the upload, ticket ZD-1' })]);
    const [revealed] = await auditRows(tv, before);
    expect(revealed!.actor_name).toBe('Engineer Person');
    expect(revealed!.user_agent).toBe(USER_AGENT);
    expect(revealed!.ip).toEqual(expect.any(String));
    expect(revealed!.at).toBe(tv.clock.now());
  });

  it('a staff revoke writes credential.revoked once', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const before = await headSeq(tv);
    await tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
    await tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
    expect(await written(tv, before)).toEqual([engineer({ action: 'credential.revoked', ticketId, credentialId, detail: 'revoked' })]);
  });

  it('closing a ticket writes ticket.closed and credential.expired for each live credential, once; reopening writes ticket.reopened', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const live = await submitCredential(tv, linkToken);
    const restricted = await submitCredential(tv, linkToken);
    const revoked = await submitCredential(tv, linkToken);
    await tv.http.post(`/api/v1/receipts/${restricted.receiptToken}/credentials/${restricted.credentialId}/restrict`).expect(200);
    await tv.http.delete(`/api/v1/credentials/${revoked.credentialId}`).set(tv.auth()).expect(204);

    const before = await headSeq(tv);
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    const actor = { type: 'staff' as const, id: tv.staffIds.engineer, name: 'Engineer Person' };
    await tv.vault.tickets.reopenTicket(ticketId, actor);
    await tv.vault.tickets.reopenTicket(ticketId, actor);

    const expired = [live.credentialId, restricted.credentialId]
      .sort()
      .map((credentialId) => engineer({ action: 'credential.expired', ticketId, credentialId, detail: 'ticket_closed' }));
    const rows = await written(tv, before);
    expect(rows[0]).toEqual(engineer({ action: 'ticket.closed', ticketId }));
    expect(rows.slice(1, 3).sort((a, b) => a.credentialId!.localeCompare(b.credentialId!))).toEqual(expired);
    expect(rows.slice(3)).toEqual([engineer({ action: 'ticket.reopened', ticketId })]);
  });

  it('restrict and unrestrict write credential.restricted and credential.unrestricted once each', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    const customer = { actorType: 'customer', actorId: await receiptIdOf(tv, credentialId), ticketId, credentialId };
    const before = await headSeq(tv);
    for (const step of ['restrict', 'restrict', 'unrestrict', 'unrestrict']) {
      await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/${step}`).expect(200);
    }
    expect(await written(tv, before)).toEqual([
      row({ action: 'credential.restricted', ...customer }),
      row({ action: 'credential.unrestricted', ...customer }),
    ]);
  });

  it('rectify writes credential.rectified; viewing the receipt and setting preferences write nothing', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    const before = await headSeq(tv);
    await tv.http.get(`/api/v1/receipts/${receiptToken}`).expect(200);
    await tv.http.put(`/api/v1/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: false }).expect(200);
    await tv.http.put(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields: { ...FTP_FIELDS, password: 'new' } }).expect(200);
    expect(await written(tv, before)).toEqual([
      row({ action: 'credential.rectified', actorType: 'customer', actorId: await receiptIdOf(tv, credentialId), ticketId, credentialId }),
    ]);
  });

  it('withdraw writes credential.withdrawn and credential.purged, once', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    const customer = { actorType: 'customer', actorId: await receiptIdOf(tv, credentialId), ticketId, credentialId };
    const before = await headSeq(tv);
    await tv.http.delete(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
    await tv.http.delete(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
    expect(await written(tv, before)).toEqual([
      row({ action: 'credential.withdrawn', ...customer, detail: 'withdrawn' }),
      row({ action: 'credential.purged', ...customer, detail: 'withdrawn' }),
    ]);
  });

  it('the purge job writes one credential.purged as the system for a credential it expires and destroys in one step (docs/decisions/021), and for a revoked one', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const due = await submitCredential(tv, linkToken);
    const revoked = await submitCredential(tv, linkToken);
    await tv.http.delete(`/api/v1/credentials/${revoked.credentialId}`).set(tv.auth()).expect(204);
    tv.clock.advance(31 * DAY);
    const before = await headSeq(tv);
    await tv.vault.purge.runPurge();
    await tv.vault.purge.runPurge();

    const system = { actorType: 'system', ticketId };
    const rows = await written(tv, before);
    expect(rows.sort((a, b) => a.credentialId!.localeCompare(b.credentialId!))).toEqual(
      [
        row({ action: 'credential.purged', ...system, credentialId: due.credentialId, detail: 'expired' }),
        row({ action: 'credential.purged', ...system, credentialId: revoked.credentialId, detail: 'revoked' }),
      ].sort((a, b) => a.credentialId!.localeCompare(b.credentialId!)),
    );
  });

  it('a receipt export writes receipt.exported', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    const before = await headSeq(tv);
    await tv.http.get(`/api/v1/receipts/${receiptToken}/export`).expect(200);
    expect(await written(tv, before)).toEqual([row({ action: 'receipt.exported', actorType: 'customer', actorId: await receiptIdOf(tv, credentialId), ticketId })]);
  });

  it('a key rotation writes keys.rotated as the system', async () => {
    const before = await headSeq(tv);
    await tv.vault.rotateKeys();
    const rows = await written(tv, before);
    expect(rows).toEqual([row({ action: 'keys.rotated', actorType: 'system', detail: expect.any(String) as unknown as string })]);
  });

  it('reading tickets, credentials and the audit log writes nothing', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const before = await headSeq(tv);
    await tv.http.get('/api/v1/tickets').set(tv.auth()).expect(200);
    await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    await tv.http.get(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(200);
    await tv.http.get('/api/v1/audit').set(tv.auth('auditor')).expect(200);
    expect(await written(tv, before)).toEqual([]);
  });

  describe('across a whole lifecycle', () => {
    it('every row is an action DESIGN.md names, none holds a secret or a token, and every reveal has a reason', async () => {
      const seeded = await headSeq(tv); // the test vault's members, added before
      const secret = canary('audit');
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const a = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { ...FTP_FIELDS, password: secret } });
      const b = await submitCredential(tv, linkToken, { kind: 'api', fields: { key: secret } });
      await reveal(tv, a.credentialId).expect(200);
      await tv.http.post(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}/restrict`).expect(200);
      await reveal(tv, b.credentialId).expect(423);
      await tv.http.post(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}/unrestrict`).expect(200);
      await tv.http.put(`/api/v1/receipts/${a.receiptToken}/credentials/${a.credentialId}`).send({ fields: { ...FTP_FIELDS, password: `${secret}-2` } }).expect(200);
      await reveal(tv, a.credentialId).expect(200);
      await tv.http.get(`/api/v1/receipts/${a.receiptToken}/export`).expect(200);
      await tv.http.delete(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}`).expect(204);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await tv.vault.purge.runPurge();
      await reveal(tv, a.credentialId).expect(410);

      const rows = await auditRows(tv, seeded);
      expect(rows.length).toBeGreaterThan(12);
      for (const r of rows) {
        expect(DESIGN_ACTIONS).toContain(r.action);
        const text = JSON.stringify({ ...r, prev_hash: null, hash: null });
        for (const forbidden of [secret, linkToken, a.receiptToken, b.receiptToken]) expect(text).not.toContain(forbidden);
        if (r.action === 'credential.revealed') expect(r.reason?.trim()).toBeTruthy();
      }
      expect(new Set(rows.map((r) => r.action))).toEqual(
        new Set([
          'ticket.created',
          'intake_link.created',
          'credential.submitted',
          'credential.revealed',
          'credential.restricted',
          'credential.reveal_denied',
          'credential.unrestricted',
          'credential.rectified',
          'receipt.exported',
          'credential.withdrawn',
          'credential.purged',
          'ticket.closed',
          'credential.expired',
        ]),
      );
    });
  });
});

describe('denied reveals', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  type Arrange = (tv: TestVault, ticketId: string, c: { credentialId: string; receiptToken: string }) => Promise<string | void>;
  const cases: Array<[string, number, string, Arrange]> = [
    ['an unknown id', 404, 'credential_not_found', async () => randomUUID()],
    ['a restricted credential', 423, 'credential_restricted', async (tv, _t, c) => {
      await tv.http.post(`/api/v1/receipts/${c.receiptToken}/credentials/${c.credentialId}/restrict`).expect(200);
    }],
    ['a revoked credential', 410, 'credential_revoked', async (tv, _t, c) => {
      await tv.http.delete(`/api/v1/credentials/${c.credentialId}`).set(tv.auth()).expect(204);
    }],
    ['a withdrawn credential', 410, 'credential_withdrawn', async (tv, _t, c) => {
      await tv.http.delete(`/api/v1/receipts/${c.receiptToken}/credentials/${c.credentialId}`).expect(204);
    }],
    ['a credential of a closed ticket', 410, 'ticket_closed', async (tv, ticketId) => {
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    }],
    ['a credential past its expiresAt, before the purge job ran', 410, 'credential_expired', async (tv) => {
      await advanceClock(tv, 31 * DAY);
    }],
    ['an expired and purged credential', 410, 'credential_expired', async (tv) => {
      await advanceClock(tv, 31 * DAY);
      await tv.vault.purge.runPurge();
    }],
  ];

  it.each(cases)('of %s answer %i %s, audited as credential.reveal_denied with the code in detail', async (_case, status, code, arrange) => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const submitted = await submitCredential(tv, linkToken);
    const otherId = await arrange(tv, ticketId, submitted);
    const credentialId = otherId ?? submitted.credentialId;
    const before = await headSeq(tv);

    const res = await reveal(tv, credentialId, 'Checking the shop');
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.fields).toBeUndefined();
    expect(await written(tv, before)).toEqual([
      row({
        action: 'credential.reveal_denied',
        actorType: 'staff',
        actorId: tv.staffIds.engineer,
        ticketId: otherId ? null : ticketId,
        credentialId: otherId ? null : credentialId,
        detail: code,
        reason: 'Checking the shop',
      }),
    ]);
  });
});

describe('verifyChain', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** A chain of a dozen rows whose middle holds a reveal with every column filled. */
  async function arrangeChain(): Promise<{ rows: AuditRow[]; revealSeq: number }> {
    const { linkToken } = await openTicketWithLink(tv);
    const a = await submitCredential(tv, linkToken);
    const b = await submitCredential(tv, linkToken);
    tv.clock.advance(60_000);
    await reveal(tv, a.credentialId).expect(200);
    const revealSeq = await headSeq(tv);
    await tv.http.post(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}/restrict`).expect(200);
    await reveal(tv, b.credentialId).expect(423);
    await tv.http.post(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}/unrestrict`).expect(200);
    await reveal(tv, b.credentialId).expect(200);
    await tv.http.get(`/api/v1/receipts/${a.receiptToken}/export`).expect(200);
    const rows = await auditRows(tv);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    return { rows, revealSeq };
  }

  it('passes on an intact chain and reports its head', async () => {
    const { rows } = await arrangeChain();
    const last = rows[rows.length - 1]!;
    expect(await tv.vault.audit.verifyChain()).toEqual({ ok: true, count: rows.length, headSeq: last.seq, headHash: last.hash.toString('hex') });
    expect((await tv.vault.audit.verifyChain({ head: last.hash.toString('hex') })).ok).toBe(true);
  });

  it('links each row to the one before it, from a zero genesis', async () => {
    const { rows } = await arrangeChain();
    expect(rows[0]!.prev_hash.equals(Buffer.alloc(32))).toBe(true);
    rows.slice(1).forEach((r, i) => expect(r.prev_hash.equals(rows[i]!.hash)).toBe(true));
  });

  describe('when a column of a row is altered (triggers dropped first)', () => {
    const alterations: Array<[string, string]> = [
      ['at', 'at = at + 1'],
      ['action', "action = 'credential.reveal_denied'"],
      ['actor_type', "actor_type = 'system'"],
      ['actor_id', "actor_id = 'someone-else'"],
      ['actor_name', "actor_name = 'Someone Else'"],
      ['ticket_id', "ticket_id = '00000000-0000-4000-8000-000000000000'"],
      ['credential_id', "credential_id = '00000000-0000-4000-8000-000000000000'"],
      ['reason', "reason = 'routine check'"],
      ['detail (NULL to empty text)', "detail = ''"],
      ['ip', "ip = '203.0.113.9'"],
      ['user_agent', "user_agent = 'curl/8.0'"],
      ['prev_hash', `prev_hash = ${RANDOM_32_BYTES}`],
      ['hash', `hash = ${RANDOM_32_BYTES}`],
    ];

    it.each(alterations)('%s: verify reports ok:false at that row', async (_column, assignment) => {
      const { revealSeq } = await arrangeChain();
      await dropAppendOnlyTriggers(tv);
      expect(await tv.query(`UPDATE audit_events SET ${assignment} WHERE seq = ? RETURNING seq`, revealSeq)).toEqual([{ seq: revealSeq }]);
      const result = await tv.vault.audit.verifyChain();
      expect(result).toMatchObject({ ok: false, firstBadSeq: revealSeq });
      expect(result.problem).toEqual(expect.stringContaining(String(revealSeq)));
    });

    it('the last row moved to a time before 1970: verify still reports it', async () => {
      const { rows } = await arrangeChain();
      const last = rows[rows.length - 1]!;
      await dropAppendOnlyTriggers(tv);
      await tv.exec('UPDATE audit_events SET at = -1 WHERE seq = ?', last.seq);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: last.seq });
    });

    // SQLite's columns take any type; PostgreSQL's BYTEA column cannot hold text.
    sqliteOnly.it.each(['prev_hash', 'hash'])('%s replaced by 32 characters of text: verify reports the row instead of failing', async (column) => {
      const { revealSeq } = await arrangeChain();
      await dropAppendOnlyTriggers(tv);
      await tv.exec(`UPDATE audit_events SET ${column} = ? WHERE seq = ?`, 'x'.repeat(32), revealSeq);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: revealSeq });
    });
  });

  describe('when a row is deleted', () => {
    it('reports ok:false at the missing seq', async () => {
      const { revealSeq } = await arrangeChain();
      await dropAppendOnlyTriggers(tv);
      await tv.exec('DELETE FROM audit_events WHERE seq = ?', revealSeq);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: revealSeq });
    });

    it('reports ok:false at seq 1 when the first row is deleted', async () => {
      await arrangeChain();
      await dropAppendOnlyTriggers(tv);
      await tv.exec('DELETE FROM audit_events WHERE seq = 1');
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: 1 });
    });
  });

  describe('when two rows are swapped', () => {
    it.each([
      ['adjacent', 1],
      ['three apart', 3],
    ])('(%s) reports ok:false at the earlier one', async (_case, distance) => {
      const { revealSeq } = await arrangeChain();
      const [a, b] = [revealSeq, revealSeq + distance];
      await dropAppendOnlyTriggers(tv);
      const columns = ['at', 'action', 'actor_type', 'actor_id', 'actor_name', 'ticket_id', 'credential_id', 'reason', 'detail', 'ip', 'user_agent', 'prev_hash', 'hash'];
      const [ra] = await tv.query('SELECT * FROM audit_events WHERE seq = ?', a);
      const [rb] = await tv.query('SELECT * FROM audit_events WHERE seq = ?', b);
      const put = (r: Record<string, unknown>, seq: number) =>
        tv.exec(`UPDATE audit_events SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`, ...columns.map((c) => r[c]), seq);
      await put(rb!, a);
      await put(ra!, b);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: a });
    });
  });

  describe('when rows are cut off the end', () => {
    it('is caught only with the head saved earlier', async () => {
      const { rows } = await arrangeChain();
      const savedHead = (await tv.vault.audit.verifyChain()).headHash;
      const firstCut = rows[rows.length - 2]!.seq;
      await dropAppendOnlyTriggers(tv);
      await tv.exec('DELETE FROM audit_events WHERE seq >= ?', firstCut);

      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true, count: rows.length - 2 });
      expect(await tv.vault.audit.verifyChain({ head: savedHead })).toMatchObject({ ok: false, firstBadSeq: firstCut });
      expect(await tv.vault.audit.verifyChain({ head: savedHead.toUpperCase() })).toMatchObject({ ok: false });
    });

    it('is caught with the saved head when the whole log was emptied', async () => {
      await arrangeChain();
      const savedHead = (await tv.vault.audit.verifyChain()).headHash;
      await dropAppendOnlyTriggers(tv);
      await tv.exec('DELETE FROM audit_events');
      expect(await tv.vault.audit.verifyChain({ head: savedHead })).toMatchObject({ ok: false, firstBadSeq: 1 });
    });

    it('a saved head still verifies after new rows were appended', async () => {
      await arrangeChain();
      const savedHead = (await tv.vault.audit.verifyChain()).headHash;
      await openTicketWithLink(tv);
      expect((await tv.vault.audit.verifyChain({ head: savedHead.toUpperCase() })).ok).toBe(true);
    });
  });

  describe('the append-only triggers', () => {
    it('reject UPDATE and DELETE and leave the row as it was', async () => {
      const { revealSeq } = await arrangeChain();
      const before = await auditRows(tv);
      // The error as text: under parallel workers `rejects.toThrow` sometimes saw better-sqlite3's
      // error as no Error at all ("did not throw"), likely a realm mismatch of the native module.
      const outcome = (sql: string, ...params: unknown[]) =>
        tv.exec(sql, ...params).then(async () => `${sql}: no error; ${JSON.stringify(await tv.query('SELECT seq, action FROM audit_events ORDER BY seq'))}`, (e) => String(e));
      expect(await outcome("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = ?", revealSeq)).toMatch(/append-only/);
      expect(await outcome('DELETE FROM audit_events WHERE seq = ?', revealSeq)).toMatch(/append-only/);
      expect(await outcome('DELETE FROM audit_events')).toMatch(/append-only/);
      // PostgreSQL's TRUNCATE skips row triggers: its own statement trigger refuses it.
      if (onPostgres) expect(await outcome('TRUNCATE audit_events')).toMatch(/append-only/);
      expect(await auditRows(tv)).toEqual(before);
    });
  });

  describe('the chain key', () => {
    // Byte scans of the SQLite file and its WAL.
    sqliteOnly.it('is not stored in clear in the database file or its WAL', async () => {
      await arrangeChain();
      expect(tv.vault.keys.auditKey).toHaveLength(32);
      expect(placesHolding(tv, tv.vault.keys.auditKey)).toEqual([]);
    });

    it('cannot be stood in for by an unkeyed BLAKE2b: a rewritten and re-chained row is still caught', async () => {
      const { rows, revealSeq } = await arrangeChain();
      // The attacker's canonical form is right: with the real key it reproduces every stored hash.
      for (const r of rows) expect(Buffer.from(auditMac(tv.vault.keys.auditKey, canonicalOf(r))).equals(r.hash)).toBe(true);

      await dropAppendOnlyTriggers(tv);
      await tv.exec("UPDATE audit_events SET reason = 'routine check', actor_name = 'Someone Else' WHERE seq = ?", revealSeq);
      await rechain(tv, revealSeq, (message) => sodium().crypto_generichash(32, message, null));
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: revealSeq });

      // Only the key stands in the way: re-chained with it, the same forgery would pass.
      await rechain(tv, revealSeq, (message) => auditMac(tv.vault.keys.auditKey, message));
      expect((await tv.vault.audit.verifyChain()).ok).toBe(true);
    });
  });
});

describe('fail closed: when the audit row cannot be written', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const snapshot = () => snapshotVault(tv);

  it('a reveal answers 503 audit_unavailable with no secret, and no row changes', async () => {
    const secret = canary('failclosed');
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { ...FTP_FIELDS, password: secret } });
    await tv.exec(
      onPostgres
        ? `CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.action = 'credential.revealed' THEN RAISE EXCEPTION 'x'; END IF; RETURN NEW; END $$;
           CREATE TRIGGER audit_down BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_down()`
        : "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events WHEN NEW.action = 'credential.revealed' BEGIN SELECT RAISE(ABORT, 'x'); END",
    );
    const before = await snapshot();

    const res = await reveal(tv, credentialId);

    expect(res.status).toBe(503);
    expect(res.body.code).toBe('audit_unavailable');
    expect(res.text).not.toContain(secret);
    expect(res.body.fields).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect(tv.logs.join('')).not.toContain(secret);

    await tv.exec(onPostgres ? 'DROP TRIGGER audit_down ON audit_events' : 'DROP TRIGGER audit_down');
    expect((await reveal(tv, credentialId).expect(200)).body.fields.password).toBe(secret);
  });

  // SQLite's write lock and busy timeout, held by a second better-sqlite3 connection.
  sqliteOnly.it('a reveal answers 503 audit_unavailable while another connection holds the write lock', async () => {
    const secret = canary('locked');
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { ...FTP_FIELDS, password: secret } });
    tv.vaultDb.pragma('busy_timeout = 50');
    const other = new BetterSqlite3(tv.vault.config.databasePath);
    try {
      other.exec('BEGIN IMMEDIATE');
      const before = await snapshot();
      const res = await reveal(tv, credentialId);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('audit_unavailable');
      expect(res.text).not.toContain(secret);
      expect(await snapshot()).toEqual(before);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect((await reveal(tv, credentialId).expect(200)).body.fields.password).toBe(secret);
  });
});

describe('GET /api/v1/audit', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  interface Item {
    seq: number;
    at: string;
    action: string;
    actor: { type: string; id: string | null };
    ticketId: string | null;
    credentialId: string | null;
  }

  const list = async (query: Record<string, string | number>, role: 'auditor' | 'admin' = 'auditor') => {
    const res = await tv.http.get('/api/v1/audit').query(query).set(tv.auth(role)).expect(200);
    return res.body as { items: Item[]; nextCursor: string | null };
  };

  /** Two tickets worked an hour apart, by the engineer and then the admin. */
  async function arrange() {
    const t0 = tv.clock.now();
    const one = await openTicketWithLink(tv);
    const a = await submitCredential(tv, one.linkToken);
    tv.clock.advance(3600_000);
    const t1 = tv.clock.now();
    const two = await openTicketWithLink(tv);
    const b = await submitCredential(tv, two.linkToken);
    await reveal(tv, a.credentialId).expect(200);
    tv.clock.advance(3600_000);
    const t2 = tv.clock.now();
    await tv.http.post(`/api/v1/credentials/${b.credentialId}/reveal`).set(tv.auth('admin')).send(revealBody('Admin check')).expect(200);
    await tv.http.post(`/api/v1/credentials/${a.credentialId}/reveal`).set(tv.auth('admin')).send(revealBody('Admin check')).expect(200);
    return { t0, t1, t2, one, two, a, b };
  }

  it('lists events newest first with hex hashes and ISO times, to auditors and admins only', async () => {
    await arrange();
    const { items } = await list({});
    const rows = await auditRows(tv);
    expect(items.map((i) => i.seq)).toEqual(rows.map((r) => r.seq).reverse());
    expect(items[0]).toMatchObject({ hash: rows[rows.length - 1]!.hash.toString('hex'), at: new Date(rows[rows.length - 1]!.at).toISOString() });
    await list({}, 'admin');
    await tv.http.get('/api/v1/audit').set(tv.auth('engineer')).expect(403);
    await tv.http.get('/api/v1/audit').expect(401);
  });

  it('filters by ticketId, credentialId, action and actorId', async () => {
    const { one, a, b } = await arrange();
    const rows = await auditRows(tv);
    const seqs = (pred: (r: AuditRow) => boolean) => rows.filter(pred).map((r) => r.seq).reverse();

    expect((await list({ ticketId: one.ticketId })).items.map((i) => i.seq)).toEqual(seqs((r) => r.ticket_id === one.ticketId));
    expect((await list({ credentialId: b.credentialId })).items.map((i) => i.seq)).toEqual(seqs((r) => r.credential_id === b.credentialId));
    expect((await list({ action: 'credential.revealed' })).items.map((i) => i.seq)).toEqual(seqs((r) => r.action === 'credential.revealed'));
    expect((await list({ actorId: tv.staffIds.admin })).items.map((i) => i.seq)).toEqual(seqs((r) => r.actor_id === tv.staffIds.admin));
    const combined = await list({ credentialId: a.credentialId, action: 'credential.revealed', actorId: tv.staffIds.admin });
    expect(combined.items).toHaveLength(1);
    expect(combined.items[0]).toMatchObject({ credentialId: a.credentialId, action: 'credential.revealed', actor: { id: tv.staffIds.admin } });
  });

  it('filters by time: since is inclusive, until exclusive', async () => {
    const { t0, t1, t2 } = await arrange();
    const rows = await auditRows(tv);
    const iso = (ms: number) => new Date(ms).toISOString();
    const seqsBetween = (from: number, to: number) => rows.filter((r) => r.at >= from && r.at < to).map((r) => r.seq).reverse();

    const middle = await list({ since: iso(t1), until: iso(t2) });
    expect(middle.items.length).toBeGreaterThan(0);
    expect(middle.items.map((i) => i.seq)).toEqual(seqsBetween(t1, t2));
    expect((await list({ until: iso(t1) })).items.map((i) => i.seq)).toEqual(seqsBetween(t0, t1));
    expect((await list({ since: iso(t2) })).items.map((i) => i.seq)).toEqual(seqsBetween(t2, Infinity));
    expect((await list({ since: iso(t2 + 1) })).items).toEqual([]);
  });

  it('pages with a cursor, without gaps or repeats, also under a filter', async () => {
    await arrange();
    const everything = (await list({ limit: 200 })).items.map((i) => i.seq);
    const walk = async (query: Record<string, string | number>) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Item[]; nextCursor: string | null } = await list({ ...query, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(Number(query.limit));
        seen.push(...page.items.map((i) => i.seq));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(everything.length).toBeGreaterThan(6);
    expect(await walk({ limit: 3 })).toEqual(everything);
    expect(await walk({ limit: 1, action: 'credential.revealed' })).toEqual(
      (await auditRows(tv)).filter((r) => r.action === 'credential.revealed').map((r) => r.seq).reverse(),
    );
    expect((await list({ limit: everything.length })).nextCursor).toBeNull();
  });

  it.each([
    ['an unknown action', { action: 'credential.peeked' }, 'validation_failed'],
    ['a cursor it never gave out', { cursor: 'bm90LWEtY3Vyc29y' }, 'invalid_cursor'],
    ['an unknown parameter', { sort: 'asc' }, 'unknown_field'],
    ['a ticketId that is not an id', { ticketId: '42' }, 'validation_failed'],
  ])('answers 400 for %s', async (_case, query, code) => {
    const res = await tv.http.get('/api/v1/audit').query(query).set(tv.auth('auditor')).expect(400);
    expect(res.body.code).toBe(code);
  });
});

describe('audit chain text that SQLite and JavaScript could encode differently', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('verifies rows whose text holds lone surrogates, control characters, quotes and non-Latin scripts', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    for (const reason of ['half a pair \ud800 here', 'tab\tnew\nline\u0001\u007f "quoted" \\ back', 'Überprüfung 检查 ✓ \u2028 end']) {
      await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).set('User-Agent', 'Mozilla/5.0 "quoted" \\ back \u00fc').send({ reason }).expect(200);
    }
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
  });

  // SQLite's columns take any type; PostgreSQL's TEXT column cannot hold bytes.
  sqliteOnly.it('names a row whose text column an attacker turned into a BLOB, without crashing', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send({ reason: 'first' }).expect(200);
    const seq = (await tv.vault.audit.verifyChain()).headSeq;
    await tv.exec('DROP TRIGGER audit_events_no_update');
    await tv.exec("UPDATE audit_events SET reason = CAST('first' AS BLOB) WHERE seq = ?", seq);
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: false, firstBadSeq: seq });
  });
});

