import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  dateFromNow,
  DAY,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  revealAs,
  snapshotVault,
  staffActorOf,
  submitCredential,
  tokenOf,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "receipt": the customer's access, restriction, rectification, erasure,
// portability and preferences, each through the token of one submission.

describe('receipts', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const receipt = (token: string) => `/api/v1/receipts/${token}`;
  const onCredential = (token: string, id: string, action = '') => `/api/v1/receipts/${token}/credentials/${id}${action}`;

  describe('one receipt per visit (POST /intake/:token/credentials with receipt)', () => {
    const post = (linkToken: string, body: Record<string, unknown>) => tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(body);
    const api = { kind: 'api', label: 'Shop API', fields: { key: 'CANARY-api-key-77c1' } };

    it('a later submission that sends the first receipt token joins that receipt: same receipt link, both credentials on it', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const first = await submitCredential(tv, linkToken);
      const joined = await post(linkToken, { ...api, receipt: first.receiptToken }).expect(201);
      expect(joined.body.receiptUrl).toBe(`https://vault.example.test/r/${first.receiptToken}`);

      const view = await tv.http.get(receipt(first.receiptToken)).expect(200);
      expect(view.body.credentials.map((c: { id: string }) => c.id).sort()).toEqual([first.credentialId, joined.body.credentialId].sort());
      const [submitted] = await auditEvents(tv, { credentialId: joined.body.credentialId, action: 'credential.submitted' });
      const [firstSubmitted] = await auditEvents(tv, { credentialId: first.credentialId, action: 'credential.submitted' });
      expect(submitted!.actor).toEqual(firstSubmitted!.actor);
      // The joined credential is the receipt's like the first: the customer can freeze it there.
      await tv.http.post(onCredential(first.receiptToken, joined.body.credentialId, '/restrict')).expect(200);
    });

    it.each([
      ['another link of the same ticket', true],
      ['a link of another ticket', false],
    ])('a receipt token from %s is refused with 400 receipt_mismatch and changes nothing', async (_name, sameTicket) => {
      const first = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, first.linkToken);
      const other = sameTicket
        ? { linkToken: tokenOf((await tv.http.post(`/api/v1/tickets/${first.ticketId}/intake-links`).set(tv.auth()).send({}).expect(201)).body.url) }
        : await openTicketWithLink(tv);
      const before = await snapshotVault(tv);
      expectProblem(await post(other.linkToken, { ...api, receipt: receiptToken }), 400, 'receipt_mismatch');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it.each([['not a token'], ['A'.repeat(43)]])('an unknown or malformed receipt (%s) is refused with 400 receipt_mismatch', async (token) => {
      const { linkToken } = await openTicketWithLink(tv);
      const before = await snapshotVault(tv);
      expectProblem(await post(linkToken, { ...api, receipt: token }), 400, 'receipt_mismatch');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('GET /receipts/:token', () => {
    it('shows the credential of that submission only, with metadata and no secret', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-4711', subject: 'Upload to shop fails' });
      const first = await submitCredential(tv, linkToken);
      const second = await submitCredential(tv, linkToken, { kind: 'api', label: 'Shop API', fields: { key: 'CANARY-api-key-91b2' } });

      const firstView = await tv.http.get(receipt(first.receiptToken)).expect(200);
      expect(firstView.body.ticket).toMatchObject({ externalRef: 'ZD-4711', subject: 'Upload to shop fails', status: 'open' });
      expect(firstView.body.credentials).toEqual([
        expect.objectContaining({ id: first.credentialId, kind: 'ftp', label: 'Shop FTP', status: 'active', expiresAt: first.expiresAt, reveals: [] }),
      ]);
      const secondView = await tv.http.get(receipt(second.receiptToken)).expect(200);
      expect(secondView.body.credentials.map((c: { id: string }) => c.id)).toEqual([second.credentialId]);

      const raw = firstView.text + secondView.text;
      expect(raw).not.toContain(FTP_FIELDS.password);
      expect(raw).not.toContain('CANARY-api-key-91b2');
      expect(firstView.body.credentials[0]).not.toHaveProperty('fields');
    });

    it('lists each reveal with its time, the staff member’s display name and reason, but not denied attempts', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const firstAt = new Date(tv.clock.now()).toISOString();
      await revealAs(tv, credentialId, 'engineer', 'Fix the upload').expect(200);
      await advanceClock(tv, 3_600_000);
      const secondAt = new Date(tv.clock.now()).toISOString();
      await revealAs(tv, credentialId, 'admin', 'Check the permissions').expect(200);
      await tv.http.post(onCredential(receiptToken, credentialId, '/restrict')).expect(200);
      await revealAs(tv, credentialId, 'engineer', 'One more look').expect(423);

      const view = await tv.http.get(receipt(receiptToken)).expect(200);
      expect(view.body.credentials[0].reveals).toEqual([
        { at: firstAt, by: 'Engineer Person', reason: 'Fix the upload' },
        { at: secondAt, by: 'Admin Person', reason: 'Check the permissions' },
      ]);
    });

    it('answers 404 for an unknown or malformed token', async () => {
      const unknown = 'A'.repeat(43);
      expect((await tv.http.get(receipt(unknown)).expect(404)).body.code).toBe('receipt_not_found');
      await tv.http.get(receipt('not-a-token')).expect(404);
    });
  });

  describe('restriction', () => {
    it('restrict → reveal gets 423 credential_restricted → unrestrict → reveal works', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);

      const restricted = await tv.http.post(onCredential(receiptToken, credentialId, '/restrict')).expect(200);
      expect(restricted.body).toMatchObject({ id: credentialId, status: 'restricted' });
      const denied = await revealAs(tv, credentialId).expect(423);
      expect(denied.body.code).toBe('credential_restricted');
      expect(denied.body.fields).toBeUndefined();
      const meta = await tv.http.get(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(meta.body.status).toBe('restricted');

      const lifted = await tv.http.post(onCredential(receiptToken, credentialId, '/unrestrict')).expect(200);
      expect(lifted.body).toMatchObject({ id: credentialId, status: 'active' });
      const revealed = await revealAs(tv, credentialId).expect(200);
      expect(revealed.body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
    });

    it('is idempotent both ways: repeating answers 200 and audits once', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);

      // Lifting a freeze that is not there changes nothing.
      expect((await tv.http.post(onCredential(receiptToken, credentialId, '/unrestrict')).expect(200)).body.status).toBe('active');
      for (let i = 0; i < 2; i++) {
        expect((await tv.http.post(onCredential(receiptToken, credentialId, '/restrict')).expect(200)).body.status).toBe('restricted');
      }
      for (let i = 0; i < 2; i++) {
        expect((await tv.http.post(onCredential(receiptToken, credentialId, '/unrestrict')).expect(200)).body.status).toBe('active');
      }
      expect(await auditEvents(tv, { credentialId, action: 'credential.restricted' })).toHaveLength(1);
      const unrestricted = await auditEvents(tv, { credentialId, action: 'credential.unrestricted' });
      expect(unrestricted).toHaveLength(1);
      expect(unrestricted[0]!.actor).toMatchObject({ type: 'customer', name: 'Casey Customer' });
    });

    it('an ended credential cannot be restricted: 410 with why it ended', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
      const res = await tv.http.post(onCredential(receiptToken, credentialId, '/restrict')).expect(410);
      expect(res.body.code).toBe('credential_revoked');
    });
  });

  describe('rectification (PUT /receipts/:token/credentials/:id)', () => {
    const NEW_FIELDS = { host: 'sftp.shop.test', username: 'support-2', password: 'CANARY-new-1c9d', protocol: 'sftp' };

    it('replaces the fields with plain fields: a reveal returns the new ones under a new data key', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const before = (await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId)))!;
      await advanceClock(tv, 60_000);

      const res = await tv.http.put(onCredential(receiptToken, credentialId)).send({ fields: NEW_FIELDS }).expect(200);
      expect(res.body).toMatchObject({ id: credentialId, status: 'active', rectifiedAt: new Date(tv.clock.now()).toISOString() });
      expect(res.text).not.toContain('CANARY-new-1c9d');

      const after = (await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId)))!;
      expect(Buffer.from(after.wrappedDek).equals(Buffer.from(before.wrappedDek))).toBe(false);
      expect(Buffer.from(after.ciphertext).equals(Buffer.from(before.ciphertext))).toBe(false);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual(NEW_FIELDS);
      expect(await auditEvents(tv, { credentialId, action: 'credential.rectified' })).toHaveLength(1);
    });

    it('replaces the fields with a sealed box made for the intake public key', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const { publicKey } = (await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body;
      const sealed = sealForPublicKey(JSON.stringify(NEW_FIELDS), new Uint8Array(Buffer.from(publicKey, 'base64url')));

      await tv.http.put(onCredential(receiptToken, credentialId)).send({ sealed }).expect(200);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual(NEW_FIELDS);
    });

    it.each([
      ['a required field is missing', { fields: { username: 'u' } }, 'validation_failed'],
      ['a field of another kind is sent', { fields: { partnerId: '1', password: 'p' } }, 'unknown_field'],
      ['the port is out of range', { fields: { ...FTP_FIELDS, port: '70000' } }, 'validation_failed'],
      ['a field is over 16 KiB', { fields: { ...FTP_FIELDS, notes: 'x'.repeat(16 * 1024 + 1) } }, 'validation_failed'],
      ['both fields and sealed are sent', { fields: FTP_FIELDS, sealed: 'abc' }, 'validation_failed'],
      ['neither is sent', {}, 'validation_failed'],
      ['sealed does not open', { sealed: 'A'.repeat(80) }, 'sealed_invalid'],
      ['the body has an unknown field', { fields: FTP_FIELDS, kind: 'ssh' }, 'unknown_field'],
    ])('answers 400 when %s and changes nothing', async (_case, body, code) => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      const res = await tv.http.put(onCredential(receiptToken, credentialId)).send(body).expect(400);
      expect(res.body.code).toBe(code);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
      expect(await auditEvents(tv, { credentialId, action: 'credential.rectified' })).toHaveLength(0);
    });

    it('validates against the credential’s own kind', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken, { kind: 'teamviewer', fields: { partnerId: '1', password: 'old' } });
      await tv.http.put(onCredential(receiptToken, credentialId)).send({ fields: { partnerId: '2' } }).expect(400);
      await tv.http.put(onCredential(receiptToken, credentialId)).send({ fields: { partnerId: '2', password: 'new' } }).expect(200);
      expect((await revealAs(tv, credentialId).expect(200)).body.fields).toEqual({ partnerId: '2', password: 'new' });
    });

    it.each([
      ['the ticket closed', 'ticket_closed'],
      ['it was withdrawn', 'credential_withdrawn'],
      ['its lifetime passed', 'credential_expired'],
    ])('answers 410 once %s', async (_how, code) => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      if (code === 'ticket_closed') await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      if (code === 'credential_withdrawn') await tv.http.delete(onCredential(receiptToken, credentialId)).expect(204);
      if (code === 'credential_expired') await advanceClock(tv, DAY);

      const res = await tv.http.put(onCredential(receiptToken, credentialId)).send({ fields: NEW_FIELDS }).expect(410);
      expect(res.body.code).toBe(code);
      expect(await auditEvents(tv, { credentialId, action: 'credential.rectified' })).toHaveLength(0);
    });
  });

  describe('withdrawal (DELETE /receipts/:token/credentials/:id)', () => {
    it('answers 204, purges at once keeping endedBecause withdrawn, and repeating answers 204', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);

      await tv.http.delete(onCredential(receiptToken, credentialId)).expect(204);

      expect(await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId))).toBeUndefined();
      const [row] = await tv.query('SELECT COUNT(*) AS n FROM credential_secrets WHERE credential_id = ?', credentialId);
      expect(row!.n).toBe(0);
      const view = await tv.http.get(receipt(receiptToken)).expect(200);
      expect(view.body.credentials[0]).toMatchObject({ status: 'purged', endedBecause: 'withdrawn' });
      const meta = await tv.http.get(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(meta.body).toMatchObject({ status: 'purged', endedBecause: 'withdrawn' });
      expect(meta.body.purgedAt).toBe(new Date(tv.clock.now()).toISOString());

      await tv.http.delete(onCredential(receiptToken, credentialId)).expect(204);
      expect(await auditEvents(tv, { credentialId, action: 'credential.withdrawn' })).toHaveLength(1);
      expect(await auditEvents(tv, { credentialId, action: 'credential.purged' })).toEqual([
        expect.objectContaining({ detail: 'withdrawn', actor: expect.objectContaining({ type: 'customer' }) }),
      ]);
      expect((await revealAs(tv, credentialId).expect(410)).body.code).toBe('credential_withdrawn');
    });

    it('of a credential that already ended keeps why it ended and destroys the secret', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

      await tv.http.delete(onCredential(receiptToken, credentialId)).expect(204);
      expect(await tv.vault.storage.read((s) => s.credentials.get(credentialId))).toMatchObject({ status: 'purged', endedBecause: 'ticket_closed' });
      expect(await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId))).toBeUndefined();
    });
  });

  describe('export (GET /receipts/:token/export)', () => {
    it('is a JSON download of what is held, without any secret value, audited as receipt.exported', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-77/a b' });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId, 'engineer', 'Fix the upload').expect(200);

      const res = await tv.http.get(`${receipt(receiptToken)}/export`).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="ticketvault-[A-Za-z0-9._-]+-export\.json"$/);
      expect(res.body.ticket).toMatchObject({ externalRef: 'ZD-77/a b', customerEmail: 'customer@shop.test' });
      expect(res.body.credentials).toEqual([
        expect.objectContaining({ id: credentialId, kind: 'ftp', status: 'active', reveals: [expect.objectContaining({ by: 'Engineer Person', reason: 'Fix the upload' })] }),
      ]);
      for (const value of Object.values(FTP_FIELDS)) {
        if (value.length > 3) expect(res.text).not.toContain(value);
      }
      expect(res.text).not.toContain(receiptToken);
      expect(await auditEvents(tv, { ticketId, action: 'receipt.exported' })).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ type: 'customer' }) }),
      ]);
    });

    it('HEAD checks the receipt and exports nothing: no body, no receipt.exported row', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      const res = await tv.http.head(`${receipt(receiptToken)}/export`).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.text ?? '').toBe('');
      expect(await auditEvents(tv, { ticketId, action: 'receipt.exported' })).toEqual([]);
      await tv.http.head(`${receipt('A'.repeat(43))}/export`).expect(404);
    });
  });

  describe('preferences (PUT /receipts/:token/preferences)', () => {
    it('turns reveal notices off and the receipt shows it', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      expect((await tv.http.get(receipt(receiptToken)).expect(200)).body.preferences).toEqual({ notifyOnReveal: true });

      const res = await tv.http.put(`${receipt(receiptToken)}/preferences`).send({ notifyOnReveal: false }).expect(200);
      expect(res.body).toEqual({ notifyOnReveal: false });
      expect((await tv.http.get(receipt(receiptToken)).expect(200)).body.preferences).toEqual({ notifyOnReveal: false });
    });

    it('answers 400 to a value that is not a boolean and changes nothing', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.put(`${receipt(receiptToken)}/preferences`).send({ notifyOnReveal: 'no' }).expect(400);
      await tv.http.put(`${receipt(receiptToken)}/preferences`).send({ notifyOnReveal: false, extra: 1 }).expect(400);
      expect((await tv.http.get(receipt(receiptToken)).expect(200)).body.preferences).toEqual({ notifyOnReveal: true });
    });
  });

  describe('writes end with the credential (DESIGN "Security rules")', () => {
    const MAX_AGE = 30 * DAY;
    interface Ended {
      ticketId: string;
      credentialId: string;
      receiptToken: string;
    }
    /** How a credential ends, what a write then answers, and the support period (days) it needs. */
    type EndState = [name: string, code: string, supportDays: number, end: (tv: TestVault, held: Ended) => Promise<unknown>];

    const closeTicket = (tv: TestVault, { ticketId }: Ended) => tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    const revoke = (tv: TestVault, { credentialId }: Ended) => tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
    const restrict = (tv: TestVault, { receiptToken, credentialId }: Ended) => tv.http.post(onCredential(receiptToken, credentialId, '/restrict')).expect(200);
    const then = (...steps: Array<(tv: TestVault, held: Ended) => Promise<unknown>>) => async (tv: TestVault, held: Ended) => {
      for (const step of steps) await step(tv, held);
    };
    const pastMaxAge = (tv: TestVault) => advanceClock(tv, MAX_AGE);
    const purge = (tv: TestVault) => tv.vault.purge.runPurge();

    // Every way a credential ends, before and after the purge job has run.
    const endStates: EndState[] = [
      ['it is past its max age, before the purge job ran', 'credential_expired', 365, pastMaxAge],
      // The period's last day is two days on (it ends at that midnight): three days later it is past.
      ['it is past the support period, before the purge job ran', 'credential_expired', 2, (tv) => advanceClock(tv, 3 * DAY)],
      ['it expired and the purge job destroyed it', 'credential_expired', 365, then(pastMaxAge, purge)],
      ['its ticket closed', 'ticket_closed', 365, closeTicket],
      ['its ticket closed and reopened', 'ticket_closed', 365, then(closeTicket, async (tv, held) => tv.vault.tickets.reopenTicket(held.ticketId, staffActorOf(tv)))],
      ['its ticket closed, then purged', 'ticket_closed', 365, then(closeTicket, purge)],
      ['it was revoked', 'credential_revoked', 365, revoke],
      ['it was revoked, then purged', 'credential_revoked', 365, then(revoke, purge)],
      ['it was withdrawn (and so purged)', 'credential_withdrawn', 365, (tv, { receiptToken, credentialId }) => tv.http.delete(onCredential(receiptToken, credentialId)).expect(204)],
      ['it was restricted, then passed its max age', 'credential_expired', 365, then(restrict, pastMaxAge)],
      ['it was restricted, then revoked', 'credential_revoked', 365, then(restrict, revoke)],
    ];

    const writes: Array<[string, (tv: TestVault, held: Ended) => ReturnType<TestVault['http']['put']>]> = [
      ['restrict', (tv, { receiptToken, credentialId }) => tv.http.post(onCredential(receiptToken, credentialId, '/restrict'))],
      ['unrestrict', (tv, { receiptToken, credentialId }) => tv.http.post(onCredential(receiptToken, credentialId, '/unrestrict'))],
      ['rectify', (tv, { receiptToken, credentialId }) => tv.http.put(onCredential(receiptToken, credentialId)).send({ fields: { host: 'sftp.new.test', username: 'support-2' } })],
      ['preferences', (tv, { receiptToken }) => tv.http.put(`${receipt(receiptToken)}/preferences`).send({ notifyOnReveal: false })],
    ];

    /** The tables snapshotVault reads, plus the notice outbox a refused write must not touch either. */
    const everything = async (tv: TestVault) => ({ ...(await snapshotVault(tv)), notice_outbox: await tv.query('SELECT * FROM notice_outbox ORDER BY id') });

    describe.each(endStates)('once %s', (_state, code, supportDays, end) => {
      it.each(writes)('%s answers 410 with why it ended and changes nothing', async (_write, write) => {
        const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, supportDays * DAY) });
        const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
        const held = { ticketId, credentialId, receiptToken };
        await end(tv, held);

        const before = await everything(tv);
        expectProblem(await write(tv, held), 410, code);
        expect(await everything(tv)).toEqual(before);

        // Reading and exporting stay open.
        expect((await tv.http.get(receipt(receiptToken)).expect(200)).body.credentials[0].endedBecause).not.toBeNull();
        await tv.http.get(`${receipt(receiptToken)}/export`).expect(200);
      });
    });

    it('preferences of a receipt holding two credentials change while either is live; then 410 names why the last one ended', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const first = await submitCredential(tv, linkToken);
      // A second credential on the same receipt, as a later submission joining it would leave it.
      const second = { ...(await tv.vault.storage.read((s) => s.credentials.get(first.credentialId)))!, id: '0f9b2c3e-4d5a-4b6c-8d7e-9f0a1b2c3d4e', submittedAt: tv.clock.now() + 1 };
      const secret = (await tv.vault.storage.read((s) => s.credentials.getSecret(first.credentialId)))!;
      await tv.vault.storage.write((s) => s.credentials.insert(second, secret));
      const preferences = (notifyOnReveal: boolean) => tv.http.put(`${receipt(first.receiptToken)}/preferences`).send({ notifyOnReveal });

      await tv.http.delete(onCredential(first.receiptToken, first.credentialId)).expect(204);
      await preferences(false).expect(200);
      await advanceClock(tv, 60_000);
      await tv.http.delete(`/api/v1/credentials/${second.id}`).set(tv.auth()).expect(204);

      const before = await everything(tv);
      expectProblem(await preferences(true), 410, 'credential_revoked');
      expect(await everything(tv)).toEqual(before);
    });

    it('the support period as it is now bounds a write, even when expiresAt was set from a longer one', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await tv.exec('UPDATE tickets SET support_until = ? WHERE id = ?', tv.clock.now() + DAY, ticketId);
      await advanceClock(tv, DAY);
      const before = await everything(tv);
      for (const [, write] of writes) expectProblem(await write(tv, { ticketId, credentialId, receiptToken }), 410, 'credential_expired');
      expect(await everything(tv)).toEqual(before);
    });
  });

  describe('another receipt’s token', () => {
    it('cannot restrict, unrestrict, rectify or withdraw this credential: 404 and nothing changes', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const mine = await submitCredential(tv, linkToken);
      const other = await submitCredential(tv, linkToken);

      const attempts = [
        tv.http.post(onCredential(other.receiptToken, mine.credentialId, '/restrict')),
        tv.http.post(onCredential(other.receiptToken, mine.credentialId, '/unrestrict')),
        tv.http.put(onCredential(other.receiptToken, mine.credentialId)).send({ fields: { host: 'evil', username: 'x' } }),
        tv.http.delete(onCredential(other.receiptToken, mine.credentialId)),
      ];
      for (const attempt of attempts) {
        const res = await attempt.expect(404);
        expect(res.body.code).toBe('credential_not_found');
      }
      expect(await tv.vault.storage.read((s) => s.credentials.get(mine.credentialId))).toMatchObject({ status: 'active', rectifiedAt: null });
      expect((await revealAs(tv, mine.credentialId).expect(200)).body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
    });

    it('of another ticket cannot act either', async () => {
      const a = await openTicketWithLink(tv);
      const b = await openTicketWithLink(tv);
      const mine = await submitCredential(tv, a.linkToken);
      const other = await submitCredential(tv, b.linkToken);
      await tv.http.delete(onCredential(other.receiptToken, mine.credentialId)).expect(404);
      expect((await tv.vault.storage.read((s) => s.credentials.get(mine.credentialId)))!.status).toBe('active');
    });
  });
});
