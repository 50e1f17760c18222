import {
  advanceClock,
  auditEvents,
  createTestVault,
  dateFromNow,
  DAY,
  endOfDay,
  FTP_FIELDS,
  openTicketWithLink,
  revealAs,
  staffActorOf,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "Lifetime rule" and "Reveal answers": a credential ends the moment it is due,
// whatever the purge job has or has not done yet.

const MAX_AGE_DAYS = 7;

describe('credential lifetime', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ CREDENTIAL_MAX_AGE_SECONDS: String(MAX_AGE_DAYS * 24 * 3600) });
  });
  afterEach(() => tv.close());

  const supportIn = (ms: number) => ({ supportUntil: dateFromNow(tv, ms) });
  /** A support period whose last day is today: over at midnight UTC, 15 h after the test clock's 09:00. */
  const endsToday = () => supportIn(0);

  /** A reveal is refused with `status`/`code`, gives no secret, and adds exactly one reveal_denied row (and no revealed row). */
  async function expectDenied(credentialId: string, status: number, code: string) {
    const deniedBefore = await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' });
    const revealedBefore = (await auditEvents(tv, { credentialId, action: 'credential.revealed' })).length;
    const res = await revealAs(tv, credentialId).expect(status);
    expect(res.body.code).toBe(code);
    expect(res.body.fields).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain(FTP_FIELDS.password);
    const deniedAfter = await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' });
    expect(deniedAfter).toHaveLength(deniedBefore.length + 1);
    const [last] = deniedAfter;
    expect(last!.seq).toBeGreaterThan(deniedBefore[0]?.seq ?? 0);
    expect(last).toMatchObject({ detail: code, credentialId, actor: { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' } });
    expect(last!.reason).toBe('Customer asked us to fix the upload');
    expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toHaveLength(revealedBefore);
  }

  /** The three places staff and customer read a credential's metadata. */
  async function metadataStatuses(ticketId: string, credentialId: string, receiptToken: string) {
    const credential = await tv.http.get(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(200);
    const ticket = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    const receipt = await tv.http.get(`/api/v1/receipts/${receiptToken}`).expect(200);
    const pick = (c: { status: string; endedBecause: string | null }) => ({ status: c.status, endedBecause: c.endedBecause });
    return {
      credential: pick(credential.body),
      ticket: pick(ticket.body.credentials.find((c: { id: string }) => c.id === credentialId)),
      receipt: pick(receipt.body.credentials.find((c: { id: string }) => c.id === credentialId)),
    };
  }

  describe('expiresAt', () => {
    it('is submittedAt + CREDENTIAL_MAX_AGE when the support period lasts longer', async () => {
      const { linkToken } = await openTicketWithLink(tv, supportIn(365 * DAY));
      await advanceClock(tv, 3_600_000);
      const submitted = await submitCredential(tv, linkToken);

      const expected = new Date(tv.clock.now() + MAX_AGE_DAYS * DAY).toISOString();
      expect(submitted.expiresAt).toBe(expected);
      const metadata = await tv.http.get(`/api/v1/credentials/${submitted.credentialId}`).set(tv.auth()).expect(200);
      expect(metadata.body).toMatchObject({ submittedAt: new Date(tv.clock.now()).toISOString(), expiresAt: expected });
    });

    it('is the ticket’s supportUntil when the support period ends first', async () => {
      const supportUntil = dateFromNow(tv, 2 * DAY);
      const { linkToken } = await openTicketWithLink(tv, { supportUntil });
      const submitted = await submitCredential(tv, linkToken);
      expect(submitted.expiresAt).toBe(new Date(endOfDay(supportUntil)).toISOString());
    });
  });

  describe('when the support period has ended', () => {
    it('a reveal answers 410 credential_expired without a purge, and metadata shows expired', async () => {
      const lastDay = dateFromNow(tv, 2 * DAY);
      const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: lastDay });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await advanceClock(tv, endOfDay(lastDay) - 1 - tv.clock.now());
      await revealAs(tv, credentialId).expect(200);

      await advanceClock(tv, 1);
      await expectDenied(credentialId, 410, 'credential_expired');

      // No purge ran: the row is still stored as active with its secret, yet every view says expired.
      expect((await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.status).toBe('active');
      expect(await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId))).toBeDefined();
      expect(await metadataStatuses(ticketId, credentialId, receiptToken)).toEqual({
        credential: { status: 'expired', endedBecause: 'expired' },
        ticket: { status: 'expired', endedBecause: 'expired' },
        receipt: { status: 'expired', endedBecause: 'expired' },
      });
    });

    it('intake refuses new submissions with 410 support_period_ended and stores nothing', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, endsToday(), { ttlSeconds: 90 * 24 * 3600 });
      await advanceClock(tv, DAY);

      const opened = await tv.http.get(`/api/v1/intake/${linkToken}`).expect(410);
      expect(opened.body.code).toBe('support_period_ended');
      const posted = await tv.http
        .post(`/api/v1/intake/${linkToken}/credentials`)
        .send({ kind: 'ftp', label: 'Late', fields: FTP_FIELDS })
        .expect(410);
      expect(posted.body.code).toBe('support_period_ended');
      const ticket = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
      expect(ticket.body.credentials).toEqual([]);
    });
  });

  describe('when the max age is reached', () => {
    it('a reveal answers 410 credential_expired without a purge, and metadata shows expired', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, supportIn(365 * DAY));
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await advanceClock(tv, MAX_AGE_DAYS * DAY - 1);
      await revealAs(tv, credentialId).expect(200);

      await advanceClock(tv, 1);
      await expectDenied(credentialId, 410, 'credential_expired');
      expect((await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.status).toBe('active');
      expect(await metadataStatuses(ticketId, credentialId, receiptToken)).toEqual({
        credential: { status: 'expired', endedBecause: 'expired' },
        ticket: { status: 'expired', endedBecause: 'expired' },
        receipt: { status: 'expired', endedBecause: 'expired' },
      });
    });
  });

  describe('intake link expiresAt', () => {
    it('never reaches beyond supportUntil, whether the TTL is the default or asked for', async () => {
      const lastDay = dateFromNow(tv, DAY);
      const supportUntil = new Date(endOfDay(lastDay)).toISOString();
      const byDefault = await openTicketWithLink(tv, { supportUntil: lastDay });
      const detail = await tv.http.get(`/api/v1/tickets/${byDefault.ticketId}`).set(tv.auth()).expect(200);
      expect(detail.body.intakeLinks[0].expiresAt).toBe(supportUntil);

      const asked = await tv.http
        .post(`/api/v1/tickets/${byDefault.ticketId}/intake-links`)
        .set(tv.auth())
        .send({ ttlSeconds: 30 * 24 * 3600 })
        .expect(201);
      expect(asked.body.expiresAt).toBe(supportUntil);

      const page = await tv.http.get(`/api/v1/intake/${byDefault.linkToken}`).expect(200);
      expect(page.body.expiresAt).toBe(supportUntil);
    });

    it('is now + ttl when that comes before supportUntil', async () => {
      const { ticketId } = await openTicketWithLink(tv, supportIn(365 * DAY));
      const link = await tv.http.post(`/api/v1/tickets/${ticketId}/intake-links`).set(tv.auth()).send({ ttlSeconds: 3600 }).expect(201);
      expect(link.body.expiresAt).toBe(new Date(tv.clock.now() + 3_600_000).toISOString());
    });
  });

  describe('closing a ticket', () => {
    it('expires its live and restricted credentials in the same transaction, audited as ticket_closed', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const first = await submitCredential(tv, linkToken);
      const second = await submitCredential(tv, linkToken, { kind: 'teamviewer', fields: { partnerId: '123 456 789', password: 'tv-pass' } });
      await tv.http.post(`/api/v1/receipts/${second.receiptToken}/credentials/${second.credentialId}/restrict`).expect(200);

      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

      for (const id of [first.credentialId, second.credentialId]) {
        expect(await tv.vault.storage.read((s) => s.credentials.get(id))).toMatchObject({ status: 'expired', endedBecause: 'ticket_closed' });
      }
      const events = (await auditEvents(tv, { ticketId })).reverse();
      const closedAt = events.findIndex((e) => e.action === 'ticket.closed');
      // The ticket.closed row and its credential.expired rows are one commit: consecutive, same time, same actor.
      const following = events.slice(closedAt + 1, closedAt + 3);
      expect(following.map((e) => [e.action, e.detail, e.credentialId]).sort()).toEqual(
        [
          ['credential.expired', 'ticket_closed', first.credentialId],
          ['credential.expired', 'ticket_closed', second.credentialId],
        ].sort(),
      );
      for (const e of following) {
        expect(e.seq).toBeGreaterThan(events[closedAt]!.seq);
        expect(e.at).toBe(events[closedAt]!.at);
        expect(e.actor).toEqual(events[closedAt]!.actor);
      }
    });

    it('is idempotent: closing again writes nothing more', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const before = (await auditEvents(tv, { ticketId })).length;
      const again = await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      expect(again.body.status).toBe('closed');
      expect(await auditEvents(tv, { ticketId })).toHaveLength(before);
    });

    it('a reveal answers 410 ticket_closed and metadata shows expired because ticket_closed', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

      await expectDenied(credentialId, 410, 'ticket_closed');
      expect(await metadataStatuses(ticketId, credentialId, receiptToken)).toEqual({
        credential: { status: 'expired', endedBecause: 'ticket_closed' },
        ticket: { status: 'expired', endedBecause: 'ticket_closed' },
        receipt: { status: 'expired', endedBecause: 'ticket_closed' },
      });
    });

    it('a reopened ticket does not bring its credentials back', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

      const reopened = await tv.vault.tickets.reopenTicket(ticketId, staffActorOf(tv));
      expect(reopened.status).toBe('open');
      expect(await auditEvents(tv, { ticketId, action: 'ticket.reopened' })).toHaveLength(1);

      await expectDenied(credentialId, 410, 'ticket_closed');
      expect(await metadataStatuses(ticketId, credentialId, receiptToken)).toEqual({
        credential: { status: 'expired', endedBecause: 'ticket_closed' },
        ticket: { status: 'expired', endedBecause: 'ticket_closed' },
        receipt: { status: 'expired', endedBecause: 'ticket_closed' },
      });
      const unrestrict = await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/unrestrict`).expect(410);
      expect(unrestrict.body.code).toBe('ticket_closed');
    });

    it('intake refuses further submissions with 410 ticket_closed and stores nothing', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

      expect((await tv.http.get(`/api/v1/intake/${linkToken}`).expect(410)).body.code).toBe('ticket_closed');
      const posted = await tv.http
        .post(`/api/v1/intake/${linkToken}/credentials`)
        .send({ kind: 'ftp', label: 'After close', fields: FTP_FIELDS })
        .expect(410);
      expect(posted.body.code).toBe('ticket_closed');
      const ticket = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
      expect(ticket.body.credentials).toEqual([]);
      expect(await auditEvents(tv, { ticketId, action: 'credential.submitted' })).toEqual([]);
    });

    it('refuses new intake links with 409 ticket_closed', async () => {
      const { ticketId } = await openTicketWithLink(tv);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const res = await tv.http.post(`/api/v1/tickets/${ticketId}/intake-links`).set(tv.auth()).send({}).expect(409);
      expect(res.body.code).toBe('ticket_closed');
    });
  });

  describe('reveal answers, in the order of DESIGN.md', () => {
    it('an unknown id answers 404 and is audited as a denial', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const res = await revealAs(tv, unknown).expect(404);
      expect(res.body.code).toBe('credential_not_found');
      const [last] = await auditEvents(tv, { action: 'credential.reveal_denied' });
      expect(last).toMatchObject({ detail: 'credential_not_found', credentialId: null, reason: 'Customer asked us to fix the upload' });
    });

    it('restricted and ticket closed → 410 ticket_closed', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await expectDenied(credentialId, 410, 'ticket_closed');
    });

    it('restricted and past expiresAt → 410 credential_expired', async () => {
      const { linkToken } = await openTicketWithLink(tv, endsToday());
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
      await expectDenied(credentialId, 423, 'credential_restricted');
      await advanceClock(tv, DAY);
      await expectDenied(credentialId, 410, 'credential_expired');
    });

    it('revoked, then ticket closed → 410 credential_revoked, before and after the purge', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await expectDenied(credentialId, 410, 'credential_revoked');

      await tv.vault.purge.runPurge();
      expect(await tv.vault.storage.read((s) => s.credentials.get(credentialId))).toMatchObject({ status: 'purged', endedBecause: 'revoked' });
      await expectDenied(credentialId, 410, 'credential_revoked');
    });

    it('withdrawn → 410 credential_withdrawn, even after a purge and a ticket close', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.delete(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
      await expectDenied(credentialId, 410, 'credential_withdrawn');

      await tv.vault.purge.runPurge();
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await expectDenied(credentialId, 410, 'credential_withdrawn');
    });

    it('expired by time keeps answering credential_expired after the purge, even once the ticket closes', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, endsToday());
      const { credentialId } = await submitCredential(tv, linkToken);
      await advanceClock(tv, DAY);
      expect(await tv.vault.purge.runPurge()).toMatchObject({ expired: 1, purged: 1 });
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await expectDenied(credentialId, 410, 'credential_expired');
    });

    it('closed by the ticket keeps answering ticket_closed after the purge', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      expect(await tv.vault.purge.runPurge()).toMatchObject({ expired: 0, purged: 1 });
      await expectDenied(credentialId, 410, 'ticket_closed');
    });

    it('an active credential of an open ticket within its lifetime → 200, audited as revealed', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const res = await revealAs(tv, credentialId).expect(200);
      expect(res.body).toEqual({ id: credentialId, kind: 'ftp', label: 'Shop FTP', fields: { ...FTP_FIELDS, protocol: 'sftp' }, files: [] });
      expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toHaveLength(1);
      expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' })).toHaveLength(0);
    });
  });
});
