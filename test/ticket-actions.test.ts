import { randomUUID } from 'node:crypto';
import { auditDetailWords } from '../src/web/console/audit-detail-words.js';
import { consoleStringsFor } from '../src/web/console/console-strings.js';
import { sameOrigin, signIn } from './harness/staff-sessions.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  DAY,
  expectProblem,
  openTicketWithLink,
  revealAs,
  snapshotVault,
  START,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// Issue 15 item 8 and DESIGN.md "Smaller contract changes": PATCH /tickets/:id and
// POST /tickets/:id/reopen, on whichever backend the suite runs (TEST_DATABASE).

const API = '/api/v1';
const iso = (ms: number) => new Date(ms).toISOString();

describe('ticket actions', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const patch = (id: string, body: unknown, role: 'engineer' | 'admin' | 'auditor' = 'engineer') => tv.http.patch(`${API}/tickets/${id}`).set(tv.auth(role)).send(body as object);
  const reopen = (id: string, role: 'engineer' | 'admin' | 'auditor' = 'engineer') => tv.http.post(`${API}/tickets/${id}/reopen`).set(tv.auth(role));
  const credential = async (id: string) => (await tv.http.get(`${API}/credentials/${id}`).set(tv.auth()).expect(200)).body;
  const changeNotes = async (ticketId: string) => (await auditEvents(tv, { ticketId, action: 'ticket.changed' })).map((e) => JSON.parse(e.detail!));

  describe('PATCH /tickets/:id', () => {
    it('changes the subject and the customer, and audits ticket.changed with the names of what changed, never the values', async () => {
      const { ticketId } = await openTicketWithLink(tv, { supportUntil: '2026-12-31' });
      const res = await patch(ticketId, { subject: 'SFTP upload fails after the update', customerEmail: 'robin.owner@shop.test', customerName: 'Robin Owner' }).expect(200);
      expect(res.body).toMatchObject({
        id: ticketId,
        subject: 'SFTP upload fails after the update',
        customerEmail: 'robin.owner@shop.test',
        customerName: 'Robin Owner',
        supportUntilDate: '2026-12-31',
        updatedAt: iso(START),
      });
      const read = await tv.http.get(`${API}/tickets/${ticketId}`).set(tv.auth()).expect(200);
      expect(read.body).toMatchObject({ subject: 'SFTP upload fails after the update', customerEmail: 'robin.owner@shop.test', customerName: 'Robin Owner' });

      const [event] = await auditEvents(tv, { ticketId, action: 'ticket.changed' });
      expect(event).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.engineer }, ticketId });
      expect(JSON.parse(event!.detail!)).toEqual({ changed: ['subject', 'customerEmail', 'customerName'] });
      expect(auditDetailWords(consoleStringsFor(), event!)).toBe('Changed: subject, customer e-mail, customer name');
      const rows = JSON.stringify(await tv.query("SELECT * FROM audit_events WHERE action = 'ticket.changed'"));
      for (const value of ['SFTP upload', 'robin.owner', 'Robin Owner']) expect(rows).not.toContain(value);
    });

    it('clears the customer name with null; values equal to the stored ones change nothing and audit nothing', async () => {
      const { ticketId } = await openTicketWithLink(tv, { supportUntil: '2026-12-31', subject: 'Same subject' });
      expect((await patch(ticketId, { customerName: null }).expect(200)).body.customerName).toBeNull();
      const before = await snapshotVault(tv);
      await patch(ticketId, { subject: 'Same subject', supportUntil: '2026-12-31', customerName: '' }).expect(200);
      expect(await snapshotVault(tv)).toEqual(before);
      expect(await changeNotes(ticketId)).toEqual([{ changed: ['customerName'] }]);
    });

    it('moving supportUntil recomputes every live credential’s expiry; what falls outside expires at once, and nothing ended comes back', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: '2026-12-31' });
      const first = await submitCredential(tv, linkToken);
      await advanceClock(tv, DAY);
      const second = await submitCredential(tv, linkToken);
      expect(first.expiresAt).toBe(iso(START + 30 * DAY)); // the max age bounds both while the period is long

      // Shorter: both end with the period.
      await patch(ticketId, { supportUntil: '2026-03-10' }).expect(200);
      for (const c of [first, second]) expect(await credential(c.credentialId)).toMatchObject({ status: 'active', expiresAt: '2026-03-10T23:59:59.999Z' });

      // Longer again: each runs to its own max age, no further.
      await patch(ticketId, { supportUntil: '2026-12-31' }).expect(200);
      expect(await credential(first.credentialId)).toMatchObject({ status: 'active', expiresAt: iso(START + 30 * DAY) });
      expect(await credential(second.credentialId)).toMatchObject({ status: 'active', expiresAt: iso(START + 31 * DAY) });

      // Into the past: they expire now, audited, and a reveal is refused.
      await patch(ticketId, { supportUntil: '2026-03-01' }).expect(200);
      for (const c of [first, second]) {
        expect(await credential(c.credentialId)).toMatchObject({ status: 'expired', endedBecause: 'expired' });
        expect(await auditEvents(tv, { credentialId: c.credentialId, action: 'credential.expired' })).toHaveLength(1);
        expectProblem(await revealAs(tv, c.credentialId), 410, 'credential_expired');
      }
      await patch(ticketId, { supportUntil: '2026-12-31' }).expect(200);
      expect(await credential(first.credentialId)).toMatchObject({ status: 'expired' });

      const [moved] = await auditEvents(tv, { ticketId, action: 'ticket.changed' });
      expect(auditDetailWords(consoleStringsFor(), moved!)).toBe('Changed: support period; support until 2026-03-01 → 2026-12-31');
      expect(await changeNotes(ticketId)).toEqual([
        { changed: ['supportUntil'], supportUntil: { from: '2026-03-01', to: '2026-12-31' } },
        { changed: ['supportUntil'], supportUntil: { from: '2026-12-31', to: '2026-03-01' } },
        { changed: ['supportUntil'], supportUntil: { from: '2026-03-10', to: '2026-12-31' } },
        { changed: ['supportUntil'], supportUntil: { from: '2026-12-31', to: '2026-03-10' } },
      ]);
    });

    it('works with the console’s session cookie from the console’s own origin', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const cookie = await signIn(tv);
      await tv.http.patch(`${API}/tickets/${ticketId}`).set('Cookie', cookie).set(sameOrigin(tv)).send({ subject: 'From the console' }).expect(200);
      const refused = await tv.http.patch(`${API}/tickets/${ticketId}`).set('Cookie', cookie).set({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }).send({ subject: 'Forged' });
      expectProblem(refused, 403, 'csrf_rejected');
      expect((await tv.http.get(`${API}/tickets/${ticketId}`).set(tv.auth()).expect(200)).body.subject).toBe('From the console');
    });

    it.each<[string, unknown, string]>([
      ['an unknown field', { subject: 'New', externalRef: 'ZD-9' }, 'unknown_field'],
      ['nothing to change', {}, 'validation_failed'],
      ['an empty subject', { subject: '   ' }, 'validation_failed'],
      ['a subject over 500 characters', { subject: 'x'.repeat(501) }, 'validation_failed'],
      ['an address that is not one', { customerEmail: 'not-an-address' }, 'validation_failed'],
      ['a date that does not exist', { supportUntil: '2027-02-30' }, 'validation_failed'],
      ['a date in words', { supportUntil: 'next week' }, 'validation_failed'],
      ['a number for a date', { supportUntil: 1798675200000 }, 'validation_failed'],
      ['a prototype key', JSON.parse('{"subject":"New","__proto__":{"admin":true}}'), 'forbidden_key'],
      ['an array', [{ subject: 'New' }], 'validation_failed'],
    ])('refuses %s with 400 problem+json and changes nothing', async (_what, body, code) => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: '2026-12-31' });
      await submitCredential(tv, linkToken);
      const before = await snapshotVault(tv);
      expectProblem(await patch(ticketId, body), 400, code);
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('refuses a body that is not JSON with 415, an unknown ticket with 404, and the auditor role with 403, changing nothing', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.patch(`${API}/tickets/${ticketId}`).set(tv.auth()).set('Content-Type', 'text/plain').send('subject=New'), 415, 'unsupported_media_type');
      expectProblem(await patch(randomUUID(), { subject: 'New' }), 404, 'ticket_not_found');
      expectProblem(await patch('not-a-ticket', { subject: 'New' }), 404, 'ticket_not_found');
      expectProblem(await patch(ticketId, { subject: 'New' }, 'auditor'), 403, 'forbidden');
      expectProblem(await tv.http.patch(`${API}/tickets/${ticketId}`).send({ subject: 'New' }), 401, 'unauthorized');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('the console’s ticket page', () => {
    it('shows the support period as a date the page never rewrites, offers Edit, and Reopen once the ticket is closed', async () => {
      const { ticketId } = await openTicketWithLink(tv, { supportUntil: '2026-12-31' });
      const cookie = await signIn(tv);
      const open = (await tv.http.get(`/console/tickets/${ticketId}`).set('Cookie', cookie).expect(200)).text;
      expect(open).toMatch(/<time datetime="2026-12-31">31 Dec 2026<\/time>\s*<span class="cell-note">ends at midnight, UTC<\/span>/);
      expect(open).toContain('data-action="edit-ticket"');
      expect(open).toContain('value="2026-12-31" data-was="2026-12-31"');
      expect(open).not.toContain('data-action="reopen-ticket"');
      // Times are written in UTC and say so.
      expect(open).toMatch(/<time datetime="2026-03-01T09:00:00.000Z" data-local-time>1 Mar 2026, 09:00 UTC<\/time>/);

      await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const closed = (await tv.http.get(`/console/tickets/${ticketId}`).set('Cookie', cookie).expect(200)).text;
      expect(closed).toContain('data-action="reopen-ticket"');
      expect(closed).not.toContain('data-action="close-ticket"');
    });
  });

  describe('POST /tickets/:id/reopen', () => {
    it('reopens a closed ticket, audited once; credentials that ended with the close stay ended; new links work', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await advanceClock(tv, 60_000);

      const res = await reopen(ticketId).expect(200);
      expect(res.body).toMatchObject({ id: ticketId, status: 'open', closedAt: null, updatedAt: iso(START + 60_000) });
      await reopen(ticketId).expect(200); // idempotent
      const events = await auditEvents(tv, { ticketId, action: 'ticket.reopened' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.engineer } });

      expect(await credential(credentialId)).toMatchObject({ status: 'expired', endedBecause: 'ticket_closed' });
      expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
      const link = await tv.http.post(`${API}/tickets/${ticketId}/intake-links`).set(tv.auth()).send({}).expect(201);
      const fresh = await submitCredential(tv, link.body.url.split('/').pop());
      await revealAs(tv, fresh.credentialId).expect(200);
    });

    it('refuses the auditor role with 403 and an unknown ticket with 404, changing nothing', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      await tv.http.post(`${API}/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const before = await snapshotVault(tv);
      expectProblem(await reopen(ticketId, 'auditor'), 403, 'forbidden');
      expectProblem(await reopen(randomUUID()), 404, 'ticket_not_found');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });
});
