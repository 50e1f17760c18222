import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import {
  advanceClock,
  BY_OPERATOR,
  createTestVault,
  dateFromNow,
  DAY,
  endOfDay,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  PROBLEM_KEYS,
  revealAs,
  snapshotVault,
  submitCredential,
  tokenOf,
  type TestVault,
} from './harness/test-vault.js';

// The wire format of DESIGN.md's "HTTP contract" table: paths, statuses, body shapes, error codes.
// A refactor that changes any of these breaks other clients, so it must break this file first.

const API = '/api/v1';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Matches null, or a string (matching `pattern` when given). */
const stringOrNull = (pattern?: RegExp) => ({
  asymmetricMatch: (v: unknown) => v === null || (typeof v === 'string' && (!pattern || pattern.test(v))),
  toAsymmetricMatcher: () => `StringOrNull${pattern ? `<${pattern}>` : ''}`,
});

const TICKET_SHAPE = {
  id: expect.stringMatching(UUID),
  externalRef: expect.any(String),
  subject: expect.any(String),
  customerEmail: expect.any(String),
  customerName: stringOrNull(),
  supportUntil: expect.stringMatching(ISO),
  supportUntilDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
  status: expect.stringMatching(/^(open|closed)$/),
  createdAt: expect.stringMatching(ISO),
  updatedAt: expect.stringMatching(ISO),
  closedAt: stringOrNull(ISO),
};

const CREDENTIAL_SHAPE = {
  id: expect.stringMatching(UUID),
  ticketId: expect.stringMatching(UUID),
  kind: expect.any(String),
  label: expect.any(String),
  status: expect.stringMatching(/^(active|restricted|expired|revoked|withdrawn|purged)$/),
  endedBecause: stringOrNull(/^(ticket_closed|expired|revoked|withdrawn)$/),
  submittedAt: expect.stringMatching(ISO),
  expiresAt: expect.stringMatching(ISO),
};

const RECEIPT_CREDENTIAL_SHAPE = {
  id: expect.stringMatching(UUID),
  kind: expect.any(String),
  label: expect.any(String),
  status: expect.any(String),
  expiresAt: expect.stringMatching(ISO),
  reveals: expect.any(Array),
};

const newTicket = (tv: TestVault, overrides: Record<string, unknown> = {}) => ({
  externalRef: `ZD-${randomUUID().slice(0, 8)}`,
  subject: 'Upload to shop fails',
  customerEmail: 'customer@shop.test',
  customerName: 'Casey Customer',
  supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString(),
  ...overrides,
});

const countRows = async (tv: TestVault, table: string) => Number((await tv.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

/** Follows nextCursor from the first page to the last; returns every page. */
async function walkPages(tv: TestVault, path: string, role: 'engineer' | 'auditor', query: Record<string, string>) {
  const pages: Array<{ items: Array<Record<string, unknown>>; nextCursor: string | null }> = [];
  let cursor: string | null = null;
  do {
    const res: Response = await tv.http
      .get(`${API}${path}`)
      .query({ ...query, ...(cursor ? { cursor } : {}) })
      .set(tv.auth(role))
      .expect(200);
    pages.push(res.body);
    cursor = res.body.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe('HTTP contract', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('error bodies', () => {
    it('are application/problem+json with exactly type, title, status, detail and code', async () => {
      const res = await tv.http.get(`${API}/tickets/${randomUUID()}`).set(tv.auth());
      expectProblem(res, 404, 'ticket_not_found');
      expect(Object.keys(res.body).sort()).toEqual(PROBLEM_KEYS);
      expect(res.body.type).toBe('urn:ticketvault:problem:ticket_not_found');
    });

    it('answer an unknown endpoint under /api/v1 with 404 not_found', async () => {
      const res = await tv.http.get(`${API}/no-such-thing`).set(tv.auth());
      expectProblem(res, 404, 'not_found');
    });
  });

  describe('POST /tickets', () => {
    it('responds 201 with the ticket', async () => {
      const body = newTicket(tv, { externalRef: 'ZD-1001' });
      const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(body);
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ ...TICKET_SHAPE, externalRef: 'ZD-1001', status: 'open', closedAt: null });
      // supportUntil is a date (a timestamp keeps its date); the answer says when that day ends (UTC here).
      const date = body.supportUntil.slice(0, 10);
      expect(res.body).toMatchObject({ supportUntil: new Date(endOfDay(date)).toISOString(), supportUntilDate: date });
    });

    it('accepts a ticket without customerName', async () => {
      const { customerName: _omitted, ...body } = newTicket(tv);
      const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(body);
      expect(res.status).toBe(201);
      expect(res.body.customerName).toBeNull();
    });

    describe('when the externalRef already exists', () => {
      it('responds 409 ticket_exists and creates nothing', async () => {
        await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv, { externalRef: 'ZD-7' })).expect(201);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv, { externalRef: 'ZD-7', subject: 'Other' }));
        expectProblem(res, 409, 'ticket_exists');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    describe('when a required field is missing', () => {
      it('responds 400 validation_failed', async () => {
        const { subject: _omitted, ...body } = newTicket(tv);
        const res = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(body);
        expectProblem(res, 400, 'validation_failed');
        expect(await countRows(tv, 'tickets')).toBe(0);
      });
    });
  });

  describe('GET /tickets', () => {
    it('responds 200 with {items, nextCursor}, newest first', async () => {
      const first = await openTicketWithLink(tv, { externalRef: 'ZD-1' });
      tv.clock.advance(1000);
      const second = await openTicketWithLink(tv, { externalRef: 'ZD-2' });
      const res = await tv.http.get(`${API}/tickets`).set(tv.auth());
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items.map((t: { id: string }) => t.id)).toEqual([second.ticketId, first.ticketId]);
      for (const item of res.body.items) expect(item).toEqual(expect.objectContaining(TICKET_SHAPE));
    });

    it('filters by status=open and status=closed', async () => {
      const open = await openTicketWithLink(tv, { externalRef: 'ZD-open' });
      const closed = await openTicketWithLink(tv, { externalRef: 'ZD-closed' });
      await tv.http.post(`${API}/tickets/${closed.ticketId}/close`).set(tv.auth()).expect(200);

      const openOnes = await tv.http.get(`${API}/tickets`).query({ status: 'open' }).set(tv.auth()).expect(200);
      const closedOnes = await tv.http.get(`${API}/tickets`).query({ status: 'closed' }).set(tv.auth()).expect(200);
      expect(openOnes.body.items.map((t: { id: string }) => t.id)).toEqual([open.ticketId]);
      expect(closedOnes.body.items.map((t: { id: string }) => t.id)).toEqual([closed.ticketId]);
    });

    it('rejects an unknown status with 400 validation_failed', async () => {
      const res = await tv.http.get(`${API}/tickets`).query({ status: 'pending' }).set(tv.auth());
      expectProblem(res, 400, 'validation_failed');
    });

    it('searches reference, subject, customer e-mail and customer name with q', async () => {
      const byRef = await openTicketWithLink(tv, { externalRef: 'ZD-4711', subject: 'Alpha' });
      const bySubject = await openTicketWithLink(tv, { externalRef: 'ZD-1', subject: 'Checkout breaks on mobile' });
      const byEmail = await openTicketWithLink(tv, { externalRef: 'ZD-2', subject: 'Beta', customerEmail: 'owner@bakery.test' });
      const byName = await openTicketWithLink(tv, { externalRef: 'ZD-3', subject: 'Gamma', customerName: 'Dana Quartermaine' });

      const search = async (q: string) =>
        (await tv.http.get(`${API}/tickets`).query({ q }).set(tv.auth()).expect(200)).body.items.map((t: { id: string }) => t.id);
      expect(await search('4711')).toEqual([byRef.ticketId]);
      expect(await search('checkout')).toEqual([bySubject.ticketId]);
      expect(await search('bakery')).toEqual([byEmail.ticketId]);
      expect(await search('quartermaine')).toEqual([byName.ticketId]);
      expect(await search('nothing-matches-this')).toEqual([]);
    });

    it('treats % and _ in q as plain characters', async () => {
      const percent = await openTicketWithLink(tv, { externalRef: 'ZD-10', subject: 'CPU at 100% all day' });
      await openTicketWithLink(tv, { externalRef: 'ZD-11', subject: 'CPU at 1000 rpm' });
      const res = await tv.http.get(`${API}/tickets`).query({ q: '100%' }).set(tv.auth()).expect(200);
      expect(res.body.items.map((t: { id: string }) => t.id)).toEqual([percent.ticketId]);
      const underscore = await tv.http.get(`${API}/tickets`).query({ q: 'ZD_1' }).set(tv.auth()).expect(200);
      expect(underscore.body.items).toEqual([]);
    });

    it('walks every ticket exactly once by following nextCursor', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        // Some share a creation time, so the cursor must break ties.
        if (i % 3 === 0) tv.clock.advance(1000);
        ids.push((await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv)).expect(201)).body.id);
      }
      const pages = await walkPages(tv, '/tickets', 'engineer', { limit: '3' });
      expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
      expect(pages.at(-1)!.nextCursor).toBeNull();
      const walked = pages.flatMap((p) => p.items.map((t) => t.id));
      expect(new Set(walked).size).toBe(walked.length);
      expect([...walked].sort()).toEqual([...ids].sort());
    });

    it('pages the filtered list with the filter kept on every page', async () => {
      const matching: string[] = [];
      for (let i = 0; i < 5; i++) {
        matching.push((await openTicketWithLink(tv, { subject: `Printer jam ${i}` })).ticketId);
        await openTicketWithLink(tv, { subject: `Other ${i}` });
      }
      const pages = await walkPages(tv, '/tickets', 'engineer', { q: 'printer', limit: '2' });
      const walked = pages.flatMap((p) => p.items.map((t) => t.id));
      expect([...walked].sort()).toEqual([...matching].sort());
    });

    it('rejects a cursor it did not give out with 400 invalid_cursor', async () => {
      const res = await tv.http.get(`${API}/tickets`).query({ cursor: 'not-a-cursor' }).set(tv.auth());
      expectProblem(res, 400, 'invalid_cursor');
    });

    it('rejects a limit outside 1–200 with 400 validation_failed', async () => {
      expectProblem(await tv.http.get(`${API}/tickets`).query({ limit: '0' }).set(tv.auth()), 400, 'validation_failed');
      expectProblem(await tv.http.get(`${API}/tickets`).query({ limit: '201' }).set(tv.auth()), 400, 'validation_failed');
    });
  });

  describe('GET /tickets/:id', () => {
    it('responds 200 with the ticket, its credentials (metadata only) and its intake links', async () => {
      const { ticketId, linkId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await tv.http.get(`${API}/tickets/${ticketId}`).set(tv.auth());
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ ...TICKET_SHAPE, id: ticketId, credentials: expect.any(Array), intakeLinks: expect.any(Array) }));
      expect(res.body.credentials).toEqual([expect.objectContaining({ ...CREDENTIAL_SHAPE, id: credentialId, ticketId, kind: 'ftp', status: 'active' })]);
      expect(res.body.credentials[0]).not.toHaveProperty('fields');
      expect(res.body.intakeLinks).toEqual([
        expect.objectContaining({ id: linkId, ticketId, status: 'active', expiresAt: expect.stringMatching(ISO), uses: 1 }),
      ]);
      expect(res.text).not.toContain(FTP_FIELDS.password);
      expect(res.text).not.toContain(linkToken);
    });

    it('responds 404 ticket_not_found for an unknown id', async () => {
      expectProblem(await tv.http.get(`${API}/tickets/${randomUUID()}`).set(tv.auth()), 404, 'ticket_not_found');
    });
  });

  describe('POST /tickets/:id/close', () => {
    it('responds 200 with the closed ticket and expires its credentials at once', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...TICKET_SHAPE, id: ticketId, status: 'closed', closedAt: expect.stringMatching(ISO) });
      const credential = await tv.http.get(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(credential.body).toEqual(expect.objectContaining({ status: 'expired', endedBecause: 'ticket_closed' }));
    });

    it('is idempotent: closing again responds 200 and changes nothing', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const first = await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const before = await snapshotVault(tv);
      tv.clock.advance(60_000);
      const again = await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth());
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('responds 404 ticket_not_found for an unknown id', async () => {
      expectProblem(await tv.http.post(`${API}/tickets/${randomUUID()}/close`).set(tv.auth()), 404, 'ticket_not_found');
    });
  });

  describe('PATCH /tickets/:id', () => {
    it('responds 200 with the changed ticket', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const res = await tv.http.patch(`${API}/tickets/${ticketId}`).set(tv.auth()).send({ subject: 'Renamed', supportUntil: '2027-01-31' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...TICKET_SHAPE, id: ticketId, subject: 'Renamed', supportUntil: '2027-01-31T23:59:59.999Z', supportUntilDate: '2027-01-31', status: 'open', closedAt: null });
    });

    it('responds 400 unknown_field for a field it does not take (externalRef), and changes nothing', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.patch(`${API}/tickets/${ticketId}`).set(tv.auth()).send({ externalRef: 'ZD-2' }), 400, 'unknown_field');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('POST /tickets/:id/reopen', () => {
    it('responds 200 with the open ticket; its credentials stay ended', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const res = await tv.http.post(`${API}/tickets/${ticketId}/reopen`).set(tv.auth());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...TICKET_SHAPE, id: ticketId, status: 'open', closedAt: null });
      const credential = await tv.http.get(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(credential.body).toEqual(expect.objectContaining({ status: 'expired', endedBecause: 'ticket_closed' }));
    });
  });

  describe('POST /tickets/:id/intake-links', () => {
    it('responds 201 with {id, url, expiresAt}; url is PUBLIC_URL/s/<token>', async () => {
      const ticket = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv)).expect(201);
      const res = await tv.http.post(`${API}/tickets/${ticket.body.id}/intake-links`).set(tv.auth()).send({ ttlSeconds: 3600, maxUses: 2 });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(UUID), url: expect.any(String), expiresAt: new Date(tv.clock.now() + 3600_000).toISOString() });
      expect(res.body.url).toMatch(/^https:\/\/vault\.example\.test\/s\/[A-Za-z0-9_-]{43}$/);
    });

    it('accepts an empty request (default lifetime, unlimited uses)', async () => {
      const ticket = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv)).expect(201);
      const res = await tv.http.post(`${API}/tickets/${ticket.body.id}/intake-links`).set(tv.auth());
      expect(res.status).toBe(201);
      expect(res.body.expiresAt).toBe(new Date(tv.clock.now() + 259200_000).toISOString());
    });

    it('shows the token once: the stored link holds only its hash', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      expect(linkToken).toMatch(LINK_TOKEN);
      const detail = JSON.stringify(await tv.query('SELECT * FROM intake_links'));
      expect(detail).not.toContain(linkToken);
    });

    describe('when the ticket is closed', () => {
      it('responds 409 ticket_closed and creates no link', async () => {
        const { ticketId } = await openTicketWithLink(tv);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/tickets/${ticketId}/intake-links`).set(tv.auth()).send({});
        expectProblem(res, 409, 'ticket_closed');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    it('responds 404 ticket_not_found for an unknown ticket', async () => {
      const res = await tv.http.post(`${API}/tickets/${randomUUID()}/intake-links`).set(tv.auth()).send({});
      expectProblem(res, 404, 'ticket_not_found');
    });
  });

  describe('DELETE /intake-links/:id', () => {
    it('responds 204 with no body and the link stops working', async () => {
      const { linkId, linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth());
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'intake_link_revoked');
    });

    it('responds 204 again for a link already revoked', async () => {
      const { linkId } = await openTicketWithLink(tv);
      await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth()).expect(204);
      await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth()).expect(204);
    });

    it('responds 404 intake_link_not_found for an unknown id', async () => {
      expectProblem(await tv.http.delete(`${API}/intake-links/${randomUUID()}`).set(tv.auth()), 404, 'intake_link_not_found');
    });
  });

  describe('GET /credentials/:id', () => {
    it('responds 200 with metadata and no secret', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, expiresAt } = await submitCredential(tv, linkToken);
      const res = await tv.http.get(`${API}/credentials/${credentialId}`).set(tv.auth());
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({ ...CREDENTIAL_SHAPE, id: credentialId, ticketId, kind: 'ftp', label: 'Shop FTP', status: 'active', endedBecause: null, expiresAt }),
      );
      expect(res.body).not.toHaveProperty('fields');
      expect(res.text).not.toContain(FTP_FIELDS.password);
    });

    it('responds 404 credential_not_found for an unknown id', async () => {
      expectProblem(await tv.http.get(`${API}/credentials/${randomUUID()}`).set(tv.auth()), 404, 'credential_not_found');
    });
  });

  describe('POST /credentials/:id/reveal', () => {
    it('responds 200 with {id, kind, label, fields} and Cache-Control: no-store', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await revealAs(tv, credentialId);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: credentialId, kind: 'ftp', label: 'Shop FTP', fields: { ...FTP_FIELDS, protocol: 'sftp' }, files: [] });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    describe('without a reason', () => {
      it.each([
        ['no body', undefined],
        ['an empty object', {}],
        ['an empty reason', { reason: '' }],
        ['a blank reason', { reason: '   ' }],
      ])('responds 400 reason_required for %s and reveals nothing', async (_name, body) => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId } = await submitCredential(tv, linkToken);
        const before = await snapshotVault(tv);
        const req = tv.http.post(`${API}/credentials/${credentialId}/reveal`).set(tv.auth());
        const res = await (body === undefined ? req : req.send(body));
        expectProblem(res, 400, 'reason_required');
        expect(res.text).not.toContain(FTP_FIELDS.password);
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    describe('when the credential has expired', () => {
      it('responds 410 credential_expired', async () => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId } = await submitCredential(tv, linkToken);
        await advanceClock(tv, 31 * DAY);
        const res = await revealAs(tv, credentialId);
        expectProblem(res, 410, 'credential_expired');
        expect(res.text).not.toContain(FTP_FIELDS.password);
      });
    });

    describe('when staff revoked the credential', () => {
      it('responds 410 credential_revoked, before and after the purge', async () => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId } = await submitCredential(tv, linkToken);
        await tv.http.delete(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(204);
        expectProblem(await revealAs(tv, credentialId), 410, 'credential_revoked');
        await tv.vault.purge.runPurge();
        expectProblem(await revealAs(tv, credentialId), 410, 'credential_revoked');
      });
    });

    describe('when the customer withdrew the credential', () => {
      it('responds 410 credential_withdrawn', async () => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        await tv.http.delete(`${API}/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
        expectProblem(await revealAs(tv, credentialId), 410, 'credential_withdrawn');
      });
    });

    describe('when the ticket is closed', () => {
      it('responds 410 ticket_closed, before and after the purge', async () => {
        const { ticketId, linkToken } = await openTicketWithLink(tv);
        const { credentialId } = await submitCredential(tv, linkToken);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
        await tv.vault.purge.runPurge();
        expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
      });
    });

    describe('when the customer restricted the credential', () => {
      it('responds 423 credential_restricted', async () => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
        const res = await revealAs(tv, credentialId);
        expectProblem(res, 423, 'credential_restricted');
        expect(res.text).not.toContain(FTP_FIELDS.password);
      });
    });

    it('responds 404 credential_not_found for an unknown id', async () => {
      expectProblem(await revealAs(tv, randomUUID()), 404, 'credential_not_found');
    });

    describe('when several answers apply, in the documented order', () => {
      it('a restricted credential past expiresAt answers 410 credential_expired, not 423', async () => {
        const { linkToken } = await openTicketWithLink(tv);
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
        await advanceClock(tv, 31 * DAY);
        expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
      });

      it('a restricted credential of a closed ticket answers 410 ticket_closed', async () => {
        const { ticketId, linkToken } = await openTicketWithLink(tv);
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
      });

      it.each([
        ['revoked', 'credential_revoked'],
        ['withdrawn', 'credential_withdrawn'],
      ])('a credential %s before its ticket closed answers with why it ended: 410 %s', async (how, code) => {
        const { ticketId, linkToken } = await openTicketWithLink(tv);
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        const end =
          how === 'revoked'
            ? tv.http.delete(`${API}/credentials/${credentialId}`).set(tv.auth())
            : tv.http.delete(`${API}/receipts/${receiptToken}/credentials/${credentialId}`);
        await end.expect(204);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        await advanceClock(tv, 31 * DAY);
        expectProblem(await revealAs(tv, credentialId), 410, code);
      });
    });

    it('records every denial as credential.reveal_denied with its code', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.http.delete(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(204);
      await revealAs(tv, credentialId).expect(410);
      const audit = await tv.http.get(`${API}/audit`).query({ credentialId, action: 'credential.reveal_denied' }).set(tv.auth('auditor')).expect(200);
      expect(audit.body.items).toEqual([expect.objectContaining({ credentialId, detail: 'credential_revoked' })]);
    });
  });

  describe('DELETE /credentials/:id', () => {
    it('responds 204 and the credential is revoked', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await tv.http.delete(`${API}/credentials/${credentialId}`).set(tv.auth());
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const after = await tv.http.get(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(after.body).toEqual(expect.objectContaining({ status: 'revoked', endedBecause: 'revoked' }));
    });

    it('responds 404 credential_not_found for an unknown id', async () => {
      expectProblem(await tv.http.delete(`${API}/credentials/${randomUUID()}`).set(tv.auth()), 404, 'credential_not_found');
    });
  });

  describe('GET /audit', () => {
    it('responds 200 with {items, nextCursor}, newest first, each event fully described', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const res = await tv.http.get(`${API}/audit`).set(tv.auth('auditor'));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.nextCursor).toBeNull();
      // After the test vault's three members, each added (audited) when it was made.
      expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(['intake_link.created', 'ticket.created', 'staff.added', 'staff.added', 'staff.added']);
      expect(res.body.items[1]).toEqual(
        expect.objectContaining({
          seq: 4,
          at: expect.stringMatching(ISO),
          action: 'ticket.created',
          actor: { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' },
          ticketId,
          credentialId: null,
          reason: null,
          ip: stringOrNull(),
          userAgent: stringOrNull(),
          prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      );
    });

    it('filters by ticketId, credentialId and action', async () => {
      const one = await openTicketWithLink(tv);
      const other = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, one.linkToken);
      await submitCredential(tv, other.linkToken);
      await revealAs(tv, credentialId).expect(200);

      const list = async (query: Record<string, string>) =>
        (await tv.http.get(`${API}/audit`).query(query).set(tv.auth('auditor')).expect(200)).body.items as Array<Record<string, unknown>>;
      const byTicket = await list({ ticketId: one.ticketId });
      expect(byTicket.length).toBeGreaterThan(0);
      expect(byTicket.every((e) => e.ticketId === one.ticketId)).toBe(true);
      expect((await list({ credentialId })).map((e) => e.action)).toEqual(['credential.revealed', 'credential.submitted']);
      expect((await list({ action: 'credential.submitted' })).length).toBe(2);
      expect((await list({ action: 'credential.revealed' }))[0]).toEqual(
        expect.objectContaining({ credentialId, reason: 'Customer asked us to fix the upload' }),
      );
    });

    it('walks every event exactly once by following nextCursor', async () => {
      for (let i = 0; i < 4; i++) {
        const { linkToken } = await openTicketWithLink(tv);
        await submitCredential(tv, linkToken);
      }
      const total = await countRows(tv, 'audit_events');
      expect(total).toBe(3 + 12); // the test vault's three members were added first
      const pages = await walkPages(tv, '/audit', 'auditor', { limit: '5' });
      expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5]);
      const seqs = pages.flatMap((p) => p.items.map((e) => e.seq as number));
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => total - i));
    });

    it('rejects an unknown action with 400 validation_failed', async () => {
      const res = await tv.http.get(`${API}/audit`).query({ action: 'credential.stolen' }).set(tv.auth('auditor'));
      expectProblem(res, 400, 'validation_failed');
    });

    it('rejects a cursor it did not give out with 400 invalid_cursor', async () => {
      expectProblem(await tv.http.get(`${API}/audit`).query({ cursor: 'zzz' }).set(tv.auth('auditor')), 400, 'invalid_cursor');
    });
  });

  describe('GET /intake/:token', () => {
    it('responds 200 with {ticket:{externalRef, subject}, vendorName, expiresAt, kinds, publicKey}', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-55', subject: 'Shop upload' }, { ttlSeconds: 7200 });
      const res = await tv.http.get(`${API}/intake/${linkToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          ticket: { externalRef: 'ZD-55', subject: 'Shop upload' },
          vendorName: 'Acme Software',
          expiresAt: new Date(tv.clock.now() + 7200_000).toISOString(),
          kinds: expect.any(Array),
          publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        }),
      );
      expect(res.body.kinds.map((k: { kind: string }) => k.kind)).toEqual(['ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other', 'file']);
      expect(res.body.attachments).toEqual({ maxFiles: 5, maxBytes: 5 * 1024 * 1024 });
      expect(res.body.kinds[0]).toEqual(
        expect.objectContaining({ kind: 'ftp', required: ['host', 'username'], optional: expect.arrayContaining(['protocol', 'port', 'password']) }),
      );
      expect(res.text).not.toContain('customer@shop.test');
    });

    it('never uses the link up: opened many times with maxUses 1, it still takes one submission', async () => {
      const { linkToken } = await openTicketWithLink(tv, {}, { maxUses: 1 });
      for (let i = 0; i < 5; i++) await tv.http.get(`${API}/intake/${linkToken}`).expect(200);
      await submitCredential(tv, linkToken);
      expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'intake_link_used_up');
      expectProblem(
        await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'other', fields: { notes: 'x' } }),
        410,
        'intake_link_used_up',
      );
    });

    it('responds 404 intake_link_not_found for an unknown token', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const unknown = linkToken.startsWith('A') ? `B${linkToken.slice(1)}` : `A${linkToken.slice(1)}`;
      expectProblem(await tv.http.get(`${API}/intake/${unknown}`), 404, 'intake_link_not_found');
    });

    describe('when the link has expired', () => {
      it('responds 410 intake_link_expired', async () => {
        const { linkToken } = await openTicketWithLink(tv, {}, { ttlSeconds: 3600 });
        tv.clock.advance(3600_000);
        expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'intake_link_expired');
      });
    });

    describe('when the link was revoked', () => {
      it('responds 410 intake_link_revoked', async () => {
        const { linkId, linkToken } = await openTicketWithLink(tv);
        await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth()).expect(204);
        expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'intake_link_revoked');
      });
    });

    describe('when the link reached maxUses', () => {
      it('responds 410 intake_link_used_up', async () => {
        const { linkToken } = await openTicketWithLink(tv, {}, { maxUses: 2 });
        await submitCredential(tv, linkToken);
        await tv.http.get(`${API}/intake/${linkToken}`).expect(200);
        await submitCredential(tv, linkToken);
        expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'intake_link_used_up');
      });
    });

    describe('when the ticket is closed', () => {
      it('responds 410 ticket_closed', async () => {
        const { ticketId, linkToken } = await openTicketWithLink(tv);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'ticket_closed');
      });
    });

    describe("when the customer's support period has ended", () => {
      it('responds 410 support_period_ended', async () => {
        const { linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
        tv.clock.advance(DAY);
        expectProblem(await tv.http.get(`${API}/intake/${linkToken}`), 410, 'support_period_ended');
      });
    });
  });

  describe('POST /intake/:token/credentials', () => {
    it('responds 201 with {credentialId, expiresAt, receiptUrl}; receiptUrl is PUBLIC_URL/r/<token>', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'teamviewer', label: 'Office PC', fields: { partnerId: '123 456 789', password: 'tv-pass' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        credentialId: expect.stringMatching(UUID),
        expiresAt: new Date(tv.clock.now() + 30 * DAY).toISOString(),
        receiptUrl: expect.stringMatching(/^https:\/\/vault\.example\.test\/r\/[A-Za-z0-9_-]{43}$/),
      });
    });

    it('caps expiresAt at the support period', async () => {
      const supportUntil = dateFromNow(tv, 2 * DAY);
      const { linkToken } = await openTicketWithLink(tv, { supportUntil });
      expect((await submitCredential(tv, linkToken)).expiresAt).toBe(new Date(endOfDay(supportUntil)).toISOString());
    });

    it('accepts fields sealed to the intake public key', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { publicKey } = (await tv.http.get(`${API}/intake/${linkToken}`).expect(200)).body;
      const sealed = sealForPublicKey(JSON.stringify({ key: 'sk_live_sealed' }), new Uint8Array(Buffer.from(publicKey, 'base64url')));
      const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'api', sealed });
      expect(res.status).toBe(201);
      const revealed = await revealAs(tv, res.body.credentialId).expect(200);
      expect(revealed.body).toEqual({ id: res.body.credentialId, kind: 'api', label: 'API key', fields: { key: 'sk_live_sealed' }, files: [] });
    });

    describe('when the link has expired', () => {
      it('responds 410 intake_link_expired and stores nothing', async () => {
        const { linkToken } = await openTicketWithLink(tv, {}, { ttlSeconds: 3600 });
        tv.clock.advance(3601_000);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: FTP_FIELDS });
        expectProblem(res, 410, 'intake_link_expired');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    describe('when the ticket is closed', () => {
      it('responds 410 ticket_closed and stores nothing', async () => {
        const { ticketId, linkToken } = await openTicketWithLink(tv);
        await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: FTP_FIELDS });
        expectProblem(res, 410, 'ticket_closed');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    describe("when the customer's support period has ended", () => {
      it('responds 410 support_period_ended and stores nothing', async () => {
        const { linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
        tv.clock.advance(DAY + 1);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: FTP_FIELDS });
        expectProblem(res, 410, 'support_period_ended');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });

    describe('when the link was revoked', () => {
      it('responds 410 intake_link_revoked and stores nothing', async () => {
        const { linkId, linkToken } = await openTicketWithLink(tv);
        await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth()).expect(204);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: FTP_FIELDS });
        expectProblem(res, 410, 'intake_link_revoked');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });
  });

  describe('GET /receipts/:token', () => {
    it('responds 200 with {ticket, credentials:[{id, kind, label, status, expiresAt, reveals:[{at, by, reason}]}]}', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-88', subject: 'Shop upload' });
      const { credentialId, receiptToken, expiresAt } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId, 'engineer', 'Checking the upload folder').expect(200);
      const res = await tv.http.get(`${API}/receipts/${receiptToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ ticket: expect.objectContaining({ externalRef: 'ZD-88', subject: 'Shop upload' }), credentials: expect.any(Array) }));
      expect(res.body.credentials).toEqual([
        expect.objectContaining({
          ...RECEIPT_CREDENTIAL_SHAPE,
          id: credentialId,
          kind: 'ftp',
          label: 'Shop FTP',
          status: 'active',
          expiresAt,
          reveals: [{ at: new Date(tv.clock.now()).toISOString(), by: 'Engineer Person', reason: 'Checking the upload folder' }],
        }),
      ]);
      expect(res.text).not.toContain(FTP_FIELDS.password);
    });

    it('covers only the credentials of its own submission', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const first = await submitCredential(tv, linkToken);
      await submitCredential(tv, linkToken);
      const res = await tv.http.get(`${API}/receipts/${first.receiptToken}`).expect(200);
      expect(res.body.credentials.map((c: { id: string }) => c.id)).toEqual([first.credentialId]);
    });

    it('responds 404 receipt_not_found for an unknown token', async () => {
      expectProblem(await tv.http.get(`${API}/receipts/${'A'.repeat(43)}`), 404, 'receipt_not_found');
    });
  });

  describe('DELETE /receipts/:token/credentials/:id', () => {
    it('responds 204, and the credential is withdrawn and purged at once', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const res = await tv.http.delete(`${API}/receipts/${receiptToken}/credentials/${credentialId}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const after = await tv.http.get(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(after.body).toEqual(expect.objectContaining({ status: 'purged', endedBecause: 'withdrawn' }));
      expect(await countRows(tv, 'credential_secrets')).toBe(0);
    });

    it('responds 404 credential_not_found for a credential of another receipt', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const mine = await submitCredential(tv, linkToken);
      const theirs = await submitCredential(tv, linkToken);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.delete(`${API}/receipts/${mine.receiptToken}/credentials/${theirs.credentialId}`), 404, 'credential_not_found');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('POST /receipts/:token/credentials/:id/restrict and /unrestrict', () => {
    it('respond 200 with the credential, restricted and then active again', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const restricted = await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${credentialId}/restrict`);
      expect(restricted.status).toBe(200);
      expect(restricted.body).toEqual(expect.objectContaining({ ...RECEIPT_CREDENTIAL_SHAPE, id: credentialId, status: 'restricted' }));
      expectProblem(await revealAs(tv, credentialId), 423, 'credential_restricted');

      const lifted = await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${credentialId}/unrestrict`);
      expect(lifted.status).toBe(200);
      expect(lifted.body).toEqual(expect.objectContaining({ ...RECEIPT_CREDENTIAL_SHAPE, id: credentialId, status: 'active' }));
      await revealAs(tv, credentialId).expect(200);
    });

    it('respond 404 credential_not_found for an unknown credential', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      expectProblem(await tv.http.post(`${API}/receipts/${receiptToken}/credentials/${randomUUID()}/restrict`), 404, 'credential_not_found');
    });
  });

  describe('PUT /receipts/:token/credentials/:id', () => {
    it('responds 200 with the credential, and a reveal shows the new fields', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const [before] = await tv.query('SELECT wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?', credentialId);
      tv.clock.advance(1000);
      const fields = { host: 'sftp.shop.test', username: 'support2', password: 'new-pass', protocol: 'ftps' };
      const res = await tv.http.put(`${API}/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ ...RECEIPT_CREDENTIAL_SHAPE, id: credentialId, status: 'active', rectifiedAt: expect.stringMatching(ISO) }));
      const [after] = await tv.query('SELECT wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?', credentialId);
      expect(after).not.toEqual(before);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual(fields);
    });

    it('accepts sealed fields', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const publicKey = new Uint8Array(Buffer.from(tv.vault.keys.intakePublicKey, 'base64url'));
      const sealed = sealForPublicKey(JSON.stringify({ host: 'h.test', username: 'u' }), publicKey);
      await tv.http.put(`${API}/receipts/${receiptToken}/credentials/${credentialId}`).send({ sealed }).expect(200);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual({ host: 'h.test', username: 'u', protocol: 'sftp' });
    });
  });

  describe('PUT /receipts/:token/preferences', () => {
    it('responds 200 and the receipt shows the new preference', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      const res = await tv.http.put(`${API}/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: false });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ notifyOnReveal: false });
      expect((await tv.http.get(`${API}/receipts/${receiptToken}`).expect(200)).body.preferences).toEqual({ notifyOnReveal: false });
    });

    it('responds 400 validation_failed for a value that is not a boolean', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.put(`${API}/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: 'no' }), 400, 'validation_failed');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('responds 410 with why it ended once every credential on the receipt has ended', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.delete(`${API}/credentials/${credentialId}`).set(tv.auth()).expect(204);
      expectProblem(await tv.http.put(`${API}/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: false }), 410, 'credential_revoked');
    });
  });

  describe('GET /receipts/:token/export', () => {
    it('responds 200 with a JSON attachment of what is held, without any secret', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-99/b' });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const res = await tv.http.get(`${API}/receipts/${receiptToken}/export`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[A-Za-z0-9._-]+\.json"$/);
      expect(res.body).toEqual(
        expect.objectContaining({
          ticket: expect.objectContaining({ externalRef: 'ZD-99/b', customerEmail: 'customer@shop.test' }),
          credentials: [expect.objectContaining({ ...RECEIPT_CREDENTIAL_SHAPE, id: credentialId })],
        }),
      );
      expect(res.text).not.toContain(FTP_FIELDS.password);
      expect(res.text).not.toContain(FTP_FIELDS.host);
    });

    it('responds 404 receipt_not_found for an unknown token', async () => {
      expectProblem(await tv.http.get(`${API}/receipts/${'B'.repeat(43)}/export`), 404, 'receipt_not_found');
    });
  });

  /** Real targets for the staff routes, so a request that skipped its auth check would change something or not answer 401/403. */
  interface StaffTargets {
    ticketId: string;
    linkId: string;
    credentialId: string;
  }
  async function arrangeStaffTargets(t: TestVault): Promise<StaffTargets> {
    const { ticketId, linkId, linkToken } = await openTicketWithLink(t);
    const { credentialId } = await submitCredential(t, linkToken);
    return { ticketId, linkId, credentialId };
  }
  const staffRequests: Array<[string, (t: TestVault, at: StaffTargets) => Test]> = [
    ['POST /tickets', (t) => t.http.post(`${API}/tickets`).send(newTicket(t))],
    ['GET /tickets', (t) => t.http.get(`${API}/tickets`)],
    ['GET /tickets/:id', (t, at) => t.http.get(`${API}/tickets/${at.ticketId}`)],
    ['POST /tickets/:id/close', (t, at) => t.http.post(`${API}/tickets/${at.ticketId}/close`)],
    ['POST /tickets/:id/intake-links', (t, at) => t.http.post(`${API}/tickets/${at.ticketId}/intake-links`).send({})],
    ['DELETE /intake-links/:id', (t, at) => t.http.delete(`${API}/intake-links/${at.linkId}`)],
    ['GET /credentials/:id', (t, at) => t.http.get(`${API}/credentials/${at.credentialId}`)],
    ['POST /credentials/:id/reveal', (t, at) => t.http.post(`${API}/credentials/${at.credentialId}/reveal`).send({ reason: 'x' })],
    ['DELETE /credentials/:id', (t, at) => t.http.delete(`${API}/credentials/${at.credentialId}`)],
    ['GET /audit', (t) => t.http.get(`${API}/audit`)],
  ];

  describe('staff authentication', () => {
    let at: StaffTargets;
    beforeEach(async () => {
      at = await arrangeStaffTargets(tv);
    });

    describe.each(staffRequests)('%s', (_route, send) => {
      it('succeeds for an admin against the same real targets (so the refusals below are the auth check)', async () => {
        expect((await send(tv, at).set(tv.auth('admin'))).status).toBeLessThan(300);
      });

      it('responds 401 unauthorized without a bearer token, and changes nothing', async () => {
        const before = await snapshotVault(tv);
        expectProblem(await send(tv, at), 401, 'unauthorized');
        expect(await snapshotVault(tv)).toEqual(before);
      });

      it('responds 401 invalid_token with a bad token, and changes nothing', async () => {
        const before = await snapshotVault(tv);
        expectProblem(await send(tv, at).set('Authorization', 'Bearer not.a.jwt'), 401, 'invalid_token');
        expect(await snapshotVault(tv)).toEqual(before);
      });

      it('responds 401 token_revoked with a token issued before its holder’s tokens were revoked, and changes nothing', async () => {
        const revoked = tv.auth('admin');
        await tv.vault.staff.revokeStaffTokens(tv.staffIds.admin, BY_OPERATOR);
        const before = await snapshotVault(tv);
        expectProblem(await send(tv, at).set(revoked), 401, 'token_revoked');
        expect(await snapshotVault(tv)).toEqual(before);
      });
    });
  });

  describe('staff roles', () => {
    const engineerRequests = staffRequests.filter(([route]) => route !== 'GET /audit');

    // DESIGN.md "Bad input ... changes nothing: ... wrong role 403": no row anywhere, audit_events
    // included, the reveal route too (docs/decisions/012).
    it.each(engineerRequests)('an auditor gets 403 forbidden on %s against real targets, and nothing changes', async (_route, send) => {
      const at = await arrangeStaffTargets(tv);
      const before = await snapshotVault(tv);
      expectProblem(await send(tv, at).set(tv.auth('auditor')), 403, 'forbidden');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('an engineer gets 403 forbidden on GET /audit', async () => {
      expectProblem(await tv.http.get(`${API}/audit`).set(tv.auth('engineer')), 403, 'forbidden');
    });

    it('an admin passes every staff check', async () => {
      const admin = tv.auth('admin');
      const ticket = await tv.http.post(`${API}/tickets`).set(admin).send(newTicket(tv)).expect(201);
      await tv.http.get(`${API}/tickets`).set(admin).expect(200);
      await tv.http.get(`${API}/tickets/${ticket.body.id}`).set(admin).expect(200);
      const link = await tv.http.post(`${API}/tickets/${ticket.body.id}/intake-links`).set(admin).send({}).expect(201);
      const { credentialId } = await submitCredential(tv, tokenOf(link.body.url));
      await tv.http.get(`${API}/credentials/${credentialId}`).set(admin).expect(200);
      await revealAs(tv, credentialId, 'admin').expect(200);
      await tv.http.delete(`${API}/credentials/${credentialId}`).set(admin).expect(204);
      await tv.http.delete(`${API}/intake-links/${link.body.id}`).set(admin).expect(204);
      await tv.http.post(`${API}/tickets/${ticket.body.id}/close`).set(admin).expect(200);
      await tv.http.get(`${API}/audit`).set(admin).expect(200);
    });

    it('the audit log names the staff member who acted', async () => {
      const ticket = await tv.http.post(`${API}/tickets`).set(tv.auth('admin')).send(newTicket(tv)).expect(201);
      const audit = await tv.http.get(`${API}/audit`).query({ ticketId: ticket.body.id }).set(tv.auth('auditor')).expect(200);
      expect(audit.body.items[0].actor).toEqual({ type: 'staff', id: tv.staffIds.admin, name: 'Admin Person' });
    });
  });

  describe('GET /openapi.json', () => {
    it('documents 429 rate_limited with Retry-After on every customer operation, as the limiter answers', async () => {
      const doc = (await tv.http.get('/openapi.json').expect(200)).body as {
        paths: Record<string, Record<string, { responses: Record<string, { $ref?: string }> }>>;
        components: { responses: Record<string, { headers?: Record<string, unknown> }> };
      };
      const customerOperations = Object.entries(doc.paths)
        .filter(([path]) => /^\/(intake|receipts)\//.test(path))
        .flatMap(([path, operations]) => Object.entries(operations).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.responses['429']?.$ref]));
      const RATE_LIMITED = '#/components/responses/RateLimited';
      expect(Object.fromEntries(customerOperations)).toEqual({
        'GET /intake/{token}': RATE_LIMITED,
        'POST /intake/{token}/credentials': RATE_LIMITED,
        'POST /intake/{token}/files': RATE_LIMITED,
        'POST /receipts/{token}/files': RATE_LIMITED,
        'GET /receipts/{token}': RATE_LIMITED,
        'GET /receipts/{token}/export': RATE_LIMITED,
        'PUT /receipts/{token}/preferences': RATE_LIMITED,
        'DELETE /receipts/{token}/credentials/{id}': RATE_LIMITED,
        'PUT /receipts/{token}/credentials/{id}': RATE_LIMITED,
        'POST /receipts/{token}/credentials/{id}/restrict': RATE_LIMITED,
        'POST /receipts/{token}/credentials/{id}/unrestrict': RATE_LIMITED,
      });
      expect(doc.components.responses.RateLimited?.headers?.['Retry-After']).toMatchObject({ required: true, schema: { type: 'integer', minimum: 1 } });

      await tv.close();
      tv = await createTestVault({ CUSTOMER_RATE_LIMIT_PER_MINUTE: '1' });
      const { linkToken } = await openTicketWithLink(tv);
      await tv.http.get(`${API}/intake/${linkToken}`).expect(200);
      const limited = await tv.http.get(`${API}/receipts/${'x'.repeat(43)}`);
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });
  });
});
