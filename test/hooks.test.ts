import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { parseConfig } from '../src/config.js';
import {
  auditEvents,
  createTestVault,
  dateFromNow,
  DAY,
  endOfDay,
  expectProblem,
  openTicketWithLink,
  revealAs,
  snapshotVault,
  submitCredential,
  tokenOf,
  type TestVault,
} from './harness/test-vault.js';

// Issue 6: helpdesks follow tickets through signed webhooks. Signatures are made here, with
// node:crypto, exactly as a helpdesk (or Zendesk) makes them, and sent as raw bytes.

const SECRET = 'whsec_current_5f1c9a7e2b4d';
const OLD_SECRET = 'whsec_retiring_8e3b1d0c6a7f';
const BEARER = 'freshdesk-shared-secret-0123456789abcdef';
const ZENDESK_SECRET = 'dGhpc2lzYXplbmRlc2tzaWduaW5nc2VjcmV0';

const HELPSCOUT_SECRET = 'hs-secret-7c1e0a9d3b5f';
const JIRA_SECRET = 'jira-secret-2b8d4f6a0c1e';
const HELPDESK = '/api/v1/hooks/helpdesk';
const ZENDESK = '/api/v1/hooks/zendesk';

const seconds = (ms: number) => String(Math.floor(ms / 1000));

function ticketvaultSignature(secret: string, timestamp: string, raw: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex');
}

function zendeskSignature(secret: string, timestamp: string, raw: string): string {
  return createHmac('sha256', secret).update(timestamp + raw).digest('base64');
}

interface SendOptions {
  secret?: string;
  at?: number;
  signature?: string;
  timestamp?: string;
  /** Bytes to send instead of the signed ones (a tampered body). */
  sendInstead?: string;
}

/** A helpdesk delivery: raw JSON bytes, signed over "<timestamp>.<body>". */
function deliver(tv: TestVault, body: unknown, options: SendOptions = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? seconds(options.at ?? tv.clock.now());
  const signature = options.signature ?? `v1=${ticketvaultSignature(options.secret ?? SECRET, timestamp, raw)}`;
  return tv.http
    .post(HELPDESK)
    .set('Content-Type', 'application/json')
    .set('X-Ticketvault-Timestamp', timestamp)
    .set('X-Ticketvault-Signature', signature)
    .send(options.sendInstead ?? raw);
}

/** A Zendesk delivery: base64 HMAC over timestamp + body, the timestamp as Zendesk writes it. */
function deliverZendesk(tv: TestVault, body: unknown, options: SendOptions = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? new Date(options.at ?? tv.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return tv.http
    .post(ZENDESK)
    .set('Content-Type', 'application/json')
    .set('X-Zendesk-Webhook-Signature-Timestamp', timestamp)
    .set('X-Zendesk-Webhook-Signature', options.signature ?? zendeskSignature(options.secret ?? ZENDESK_SECRET, timestamp, raw))
    .set('X-Zendesk-Webhook-Invocation-Id', '8350205582')
    .send(options.sendInstead ?? raw);
}

const created = (id: string, externalRef: string, extra: Record<string, unknown> = {}) => ({
  id,
  event: 'ticket.created',
  ticket: {
    externalRef,
    subject: 'Shop upload fails',
    customerEmail: 'casey@shop.test',
    customerName: 'Casey Customer',
    supportUntil: '2027-06-30T23:59:59Z',
  },
  ...extra,
});

const event = (id: string, name: string, ticket: Record<string, unknown>) => ({ id, event: name, ticket });

/** Everything a delivery could change, webhook bookkeeping included. */
async function everything(tv: TestVault) {
  return {
    ...(await snapshotVault(tv)),
    webhook_events: await tv.query('SELECT * FROM webhook_events ORDER BY source, event_id'),
    notice_outbox: await tv.query('SELECT * FROM notice_outbox ORDER BY id'),
  };
}

const ticketByRef = (tv: TestVault, ref: string) => tv.vault.storage.read((s) => s.tickets.getByExternalRef(ref));
const linksOfTicket = (tv: TestVault, ticketId: string) => tv.vault.storage.read((s) => s.intakeLinks.listByTicket(ticketId));

// On PostgreSQL the harness drops this file's databases in an afterAll hook: seconds on a loaded machine.
jest.setTimeout(30_000);

describe('POST /hooks/helpdesk', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ HELPDESK_WEBHOOK_SECRET: `${SECRET}, ${OLD_SECRET}, bearer:freshdesk:${BEARER}`, ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET });
  });
  afterEach(() => tv.close());

  describe('authentication', () => {
    it('accepts a good signature: ticket.created creates the ticket, audited as the helpdesk', async () => {
      const res = await deliver(tv, created('evt-1', 'HD-100')).expect(202);
      expect(res.body).toEqual({ id: 'evt-1', result: 'applied' });
      const ticket = (await ticketByRef(tv, 'HD-100'))!;
      expect(ticket).toMatchObject({ subject: 'Shop upload fails', customerEmail: 'casey@shop.test', status: 'open', createdBy: null });
      expect(await auditEvents(tv, { ticketId: ticket.id, action: 'ticket.created' })).toEqual([
        expect.objectContaining({ actor: { type: 'helpdesk', id: 'helpdesk', name: 'Helpdesk' } }),
      ]);
    });

    it.each([
      ['a wrong secret', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { secret: 'whsec_someone_else_000000' }), 'webhook_signature_invalid'],
      ['a stale timestamp (301 s old)', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { at: tv.clock.now() - 301_000 }), 'webhook_timestamp_out_of_range'],
      ['a future timestamp (301 s ahead)', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { at: tv.clock.now() + 301_000 }), 'webhook_timestamp_out_of_range'],
      ['a timestamp in milliseconds', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { timestamp: String(tv.clock.now()) }), 'webhook_timestamp_out_of_range'],
      [
        'a tampered body',
        (tv: TestVault) =>
          deliver(tv, created('evt-x', 'HD-X'), { sendInstead: JSON.stringify(created('evt-x', 'HD-X', { createIntakeLink: true })) }),
        'webhook_signature_invalid',
      ],
      ['no signature', (tv: TestVault) => tv.http.post(HELPDESK).set('Content-Type', 'application/json').send(JSON.stringify(created('evt-x', 'HD-X'))), 'webhook_signature_missing'],
      ['a malformed signature', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { signature: 'v1=not-hex' }), 'webhook_signature_invalid'],
      ['a signature of another scheme', (tv: TestVault) => deliver(tv, created('evt-x', 'HD-X'), { signature: `v0=${'0'.repeat(64)}` }), 'webhook_signature_invalid'],
    ])('refuses %s with 401 and changes nothing', async (_name, send, code) => {
      const before = await everything(tv);
      expectProblem(await send(tv), 401, code);
      expect(await everything(tv)).toEqual(before);
    });

    it('accepts a timestamp just inside the 300 s window either way', async () => {
      await deliver(tv, created('evt-early', 'HD-E'), { at: tv.clock.now() - 299_000 }).expect(202);
      await deliver(tv, created('evt-late', 'HD-L'), { at: tv.clock.now() + 299_000 }).expect(202);
    });

    it('accepts either secret while rotating, and several v1 values in one header', async () => {
      await deliver(tv, created('evt-new', 'HD-NEW'), { secret: SECRET }).expect(202);
      await deliver(tv, created('evt-old', 'HD-OLD'), { secret: OLD_SECRET }).expect(202);

      const raw = JSON.stringify(created('evt-both', 'HD-BOTH'));
      const timestamp = seconds(tv.clock.now());
      const both = `v1=${ticketvaultSignature('whsec_unknown_0000000000', timestamp, raw)},v1=${ticketvaultSignature(OLD_SECRET, timestamp, raw)}`;
      await deliver(tv, raw, { timestamp, signature: both }).expect(202);
      expect(await Promise.all(['HD-NEW', 'HD-OLD', 'HD-BOTH'].map(async (ref) => (await ticketByRef(tv, ref))?.status))).toEqual(['open', 'open', 'open']);
    });

    it('a helpdesk that cannot sign uses its bearer secret in X-Ticketvault-Token; a wrong one gets 401', async () => {
      const body = JSON.stringify(created('fd-1', 'FD-1'));
      const res = await tv.http.post(HELPDESK).set('Content-Type', 'application/json').set('X-Ticketvault-Token', BEARER).send(body).expect(202);
      expect(res.body.result).toBe('applied');
      expect((await auditEvents(tv, { ticketId: (await ticketByRef(tv, 'FD-1'))!.id, action: 'ticket.created' }))[0]!.actor).toEqual({
        type: 'helpdesk',
        id: 'freshdesk',
        name: 'freshdesk',
      });

      const before = await everything(tv);
      const wrong = await tv.http.post(HELPDESK).set('Content-Type', 'application/json').set('X-Ticketvault-Token', `${BEARER}x`).send(JSON.stringify(created('fd-2', 'FD-2')));
      expectProblem(wrong, 401, 'webhook_token_invalid');
      // A signing secret is not a bearer secret.
      const signingAsBearer = await tv.http.post(HELPDESK).set('Content-Type', 'application/json').set('X-Ticketvault-Token', SECRET).send(JSON.stringify(created('fd-3', 'FD-3')));
      expectProblem(signingAsBearer, 401, 'webhook_token_invalid');
      expect(await everything(tv)).toEqual(before);
    });

    it('answers 401 webhook_not_configured when HELPDESK_WEBHOOK_SECRET is not set', async () => {
      const bare = await createTestVault();
      try {
        const raw = JSON.stringify(created('evt-1', 'HD-1'));
        const timestamp = seconds(bare.clock.now());
        const res = await bare.http
          .post(HELPDESK)
          .set('Content-Type', 'application/json')
          .set('X-Ticketvault-Timestamp', timestamp)
          .set('X-Ticketvault-Signature', `v1=${ticketvaultSignature('', timestamp, raw)}`)
          .send(raw);
        expectProblem(res, 401, 'webhook_not_configured');
      } finally {
        await bare.close();
      }
    });

    it('never logs a secret, a signature or the body', async () => {
      const raw = JSON.stringify(created('evt-log', 'HD-LOG', { createIntakeLink: true }));
      const timestamp = seconds(tv.clock.now());
      const signature = ticketvaultSignature(SECRET, timestamp, raw);
      const res = await deliver(tv, raw, { timestamp, signature: `v1=${signature}` }).expect(202);
      await deliver(tv, raw, { secret: 'whsec_someone_else_000000' }).expect(401);
      await tv.http.post(HELPDESK).set('Content-Type', 'application/json').set('X-Ticketvault-Token', `${BEARER}x`).send(raw).expect(401);
      const logs = tv.logs.join('');
      for (const needle of [SECRET, OLD_SECRET, BEARER, signature, 'casey@shop.test', tokenOf(res.body.intakeLink.url)]) expect(logs).not.toContain(needle);
      expect(logs).toContain('"eventId":"evt-log"');
      expect(logs).toContain('webhook delivery refused');
    });
  });

  describe('idempotency', () => {
    it('a replayed request (same bytes, same signature) has its effect once and answers 202 both times', async () => {
      const raw = JSON.stringify(created('evt-replay', 'HD-R', { createIntakeLink: true }));
      const timestamp = seconds(tv.clock.now());
      const signature = `v1=${ticketvaultSignature(SECRET, timestamp, raw)}`;
      const first = await deliver(tv, raw, { timestamp, signature }).expect(202);
      const afterFirst = await everything(tv);
      const second = await deliver(tv, raw, { timestamp, signature }).expect(202);

      expect(first.body.result).toBe('applied');
      expect(second.body).toEqual({ id: 'evt-replay', result: 'duplicate' });
      expect(await everything(tv)).toEqual(afterFirst);
      expect(await linksOfTicket(tv, (await ticketByRef(tv, 'HD-R'))!.id)).toHaveLength(1);
    });

    it('a duplicate delivery (the helpdesk retries later, newly signed) is applied once', async () => {
      const staffTicket = await openTicketWithLink(tv, { externalRef: 'HD-DUP' });
      const { credentialId } = await submitCredential(tv, staffTicket.linkToken);
      const close = event('evt-close-1', 'ticket.closed', { externalRef: 'HD-DUP' });
      await deliver(tv, close).expect(202);
      await tv.vault.tickets.reopenTicket(staffTicket.ticketId, { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' });

      tv.clock.advance(120_000);
      const retry = await deliver(tv, close).expect(202);
      expect(retry.body.result).toBe('duplicate');
      // The retry did not close the reopened ticket again.
      expect((await ticketByRef(tv, 'HD-DUP'))!.status).toBe('open');
      expect(await auditEvents(tv, { ticketId: staffTicket.ticketId, action: 'ticket.closed' })).toHaveLength(1);
      expect(await auditEvents(tv, { credentialId, action: 'credential.expired' })).toHaveLength(1);
    });

    it('ticket.created for a ticket the vault already follows changes nothing (idempotent by externalRef)', async () => {
      await deliver(tv, created('evt-a', 'HD-SAME')).expect(202);
      const first = (await ticketByRef(tv, 'HD-SAME'))!;
      const again = await deliver(tv, { ...created('evt-b', 'HD-SAME'), ticket: { ...created('evt-b', 'HD-SAME').ticket, subject: 'Another subject' } }).expect(202);
      expect(again.body.result).toBe('applied');
      expect(await ticketByRef(tv, 'HD-SAME')).toEqual(first);
      expect(await auditEvents(tv, { ticketId: first.id, action: 'ticket.created' })).toHaveLength(1);
    });

    it('the same event id from another integration is another event', async () => {
      await deliver(tv, created('shared-id', 'HD-S1')).expect(202);
      const viaBearer = await tv.http
        .post(HELPDESK)
        .set('Content-Type', 'application/json')
        .set('X-Ticketvault-Token', BEARER)
        .send(JSON.stringify(created('shared-id', 'HD-S2')))
        .expect(202);
      expect(viaBearer.body.result).toBe('applied');
      expect(await ticketByRef(tv, 'HD-S2')).toBeDefined();
    });
  });

  describe('events', () => {
    it('ticket.created with createIntakeLink answers the link, which the customer can open', async () => {
      const res = await deliver(tv, created('evt-link', 'HD-LINK', { createIntakeLink: true })).expect(202);
      expect(res.body).toEqual({
        id: 'evt-link',
        result: 'applied',
        intakeLink: { url: expect.stringMatching(/^https:\/\/vault\.example\.test\/s\/[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) },
      });
      const intake = await tv.http.get(`/api/v1/intake/${tokenOf(res.body.intakeLink.url)}`).expect(200);
      expect(intake.body.ticket).toEqual({ externalRef: 'HD-LINK', subject: 'Shop upload fails' });
      expect(res.body.intakeLink.expiresAt).toBe(intake.body.expiresAt);
    });

    describe('never mints a link for a ticket the event did not create (DESIGN "Security rules")', () => {
      const linksOf = async (ref: string) => linksOfTicket(tv, (await ticketByRef(tv, ref))!.id);
      /** Everything but the delivery's own bookkeeping row. */
      const allButEvents = async () => {
        const { webhook_events: _events, ...rest } = await everything(tv);
        return rest;
      };

      it('a signed ticket.created with createIntakeLink for a staff-made ticket: 202, no link in the answer, no link row, no audit, no notice', async () => {
        const { ticketId, linkId } = await openTicketWithLink(tv, { externalRef: 'HD-STAFF' });
        const before = await allButEvents();

        const res = await deliver(tv, created('evt-mint', 'HD-STAFF', { createIntakeLink: true })).expect(202);

        expect(res.body).toEqual({ id: 'evt-mint', result: 'applied' });
        expect((await linksOf('HD-STAFF')).map((l) => l.id)).toEqual([linkId]);
        expect(await allButEvents()).toEqual(before);
        expect(await auditEvents(tv, { ticketId, action: 'intake_link.created' })).toHaveLength(1);
        expect(tv.logs.join('')).toMatch(/"eventId":"evt-mint".*none minted/);
      });

      it('a second ticket.created (another event id) for a ticket an earlier event created mints nothing', async () => {
        await deliver(tv, created('evt-first', 'HD-TWICE')).expect(202);
        const before = await allButEvents();
        const res = await deliver(tv, created('evt-second', 'HD-TWICE', { createIntakeLink: true })).expect(202);
        expect(res.body).toEqual({ id: 'evt-second', result: 'applied' });
        expect(await linksOf('HD-TWICE')).toHaveLength(0);
        expect(await allButEvents()).toEqual(before);
      });

      it('the creating event, retried later newly signed or sent again under another id, mints its one link only', async () => {
        const first = await deliver(tv, created('evt-new', 'HD-ONCE', { createIntakeLink: true })).expect(202);
        expect(first.body.intakeLink.url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
        tv.clock.advance(120_000);
        const retry = await deliver(tv, created('evt-new', 'HD-ONCE', { createIntakeLink: true })).expect(202);
        const again = await deliver(tv, created('evt-new-2', 'HD-ONCE', { createIntakeLink: true })).expect(202);
        expect(retry.body).toEqual({ id: 'evt-new', result: 'duplicate' });
        expect(again.body).toEqual({ id: 'evt-new-2', result: 'applied' });
        expect(await linksOf('HD-ONCE')).toHaveLength(1);
        expect(await auditEvents(tv, { ticketId: (await ticketByRef(tv, 'HD-ONCE'))!.id, action: 'intake_link.created' })).toHaveLength(1);
      });

      it('the bearer-secret integration is held to the same rule', async () => {
        await openTicketWithLink(tv, { externalRef: 'FD-STAFF' });
        const res = await tv.http
          .post(HELPDESK)
          .set('Content-Type', 'application/json')
          .set('X-Ticketvault-Token', BEARER)
          .send(JSON.stringify(created('fd-mint', 'FD-STAFF', { createIntakeLink: true })))
          .expect(202);
        expect(res.body).toEqual({ id: 'fd-mint', result: 'applied' });
        expect(await linksOf('FD-STAFF')).toHaveLength(1);
      });
    });

    it('ticket.created without supportUntil gets a year; without customerEmail for a new ticket it is a 400', async () => {
      const { supportUntil: _omitted, ...ticket } = created('evt-1', 'HD-NOSU').ticket;
      await deliver(tv, { id: 'evt-1', event: 'ticket.created', ticket }).expect(202);
      expect((await ticketByRef(tv, 'HD-NOSU'))!.supportUntil).toBe(endOfDay(dateFromNow(tv, 365 * DAY)));

      const before = await everything(tv);
      const res = await deliver(tv, { id: 'evt-2', event: 'ticket.created', ticket: { externalRef: 'HD-NOMAIL', subject: 'x' } });
      expectProblem(res, 400, 'validation_failed');
      expect(await everything(tv)).toEqual(before);
    });

    it('ticket.closed closes the ticket and its credentials are unrevealable as soon as the 202 is back', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'HD-CLOSE' });
      const { credentialId } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId).expect(200);

      await deliver(tv, event('evt-close', 'ticket.closed', { externalRef: 'HD-CLOSE' })).expect(202);

      expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
      const meta = await tv.http.get(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(200);
      expect(meta.body).toMatchObject({ status: 'expired', endedBecause: 'ticket_closed' });
      expect((await auditEvents(tv, { ticketId, action: 'ticket.closed' }))[0]!.actor).toMatchObject({ type: 'helpdesk' });
      expect((await tv.http.get(`/api/v1/intake/${linkToken}`)).status).toBe(410);
    });

    it('ticket.reopened reopens the ticket but never revives its credentials', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'HD-REOPEN' });
      const { credentialId } = await submitCredential(tv, linkToken);
      await deliver(tv, event('evt-1', 'ticket.closed', { externalRef: 'HD-REOPEN' })).expect(202);
      await deliver(tv, event('evt-2', 'ticket.reopened', { externalRef: 'HD-REOPEN' })).expect(202);

      expect((await ticketByRef(tv, 'HD-REOPEN'))!.status).toBe('open');
      expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');
    });

    it('ticket.updated moving supportUntil re-bounds credentials; shortening it past now expires them at once, for good', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'HD-SU', supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() });
      const { credentialId, expiresAt } = await submitCredential(tv, linkToken);
      expect(expiresAt).toBe(new Date(tv.clock.now() + 30 * DAY).toISOString());

      const soon = dateFromNow(tv, 2 * DAY);
      await deliver(tv, event('evt-1', 'ticket.updated', { externalRef: 'HD-SU', supportUntil: soon, subject: 'Renamed' })).expect(202);
      expect((await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.expiresAt).toBe(endOfDay(soon));
      expect(await ticketByRef(tv, 'HD-SU')).toMatchObject({ subject: 'Renamed', supportUntil: endOfDay(soon), supportUntilDate: soon });
      const [changed] = await auditEvents(tv, { ticketId, action: 'ticket.changed' });
      expect(changed).toMatchObject({ actor: { type: 'helpdesk' } });
      expect(JSON.parse(changed!.detail!)).toEqual({ changed: ['subject', 'supportUntil'], supportUntil: { from: dateFromNow(tv, 365 * DAY), to: soon } });
      await revealAs(tv, credentialId).expect(200);

      const past = dateFromNow(tv, -DAY); // a period whose last day was yesterday
      await deliver(tv, event('evt-2', 'ticket.updated', { externalRef: 'HD-SU', supportUntil: past })).expect(202);
      expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
      expect(await tv.vault.storage.read((s) => s.credentials.get(credentialId))).toMatchObject({ status: 'expired', endedBecause: 'expired', expiresAt: endOfDay(past) });
      expect((await auditEvents(tv, { credentialId, action: 'credential.expired' }))[0]!.actor).toMatchObject({ type: 'helpdesk' });

      // Moving it back out revives nothing, and the link no longer takes submissions meanwhile.
      await deliver(tv, event('evt-3', 'ticket.updated', { externalRef: 'HD-SU', supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() })).expect(202);
      expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
      expect((await ticketByRef(tv, 'HD-SU'))!.id).toBe(ticketId);
    });

    it('ticket.updated lengthening supportUntil lets a live credential run to its max age, no further', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'HD-LONG', supportUntil: new Date(tv.clock.now() + 5 * DAY).toISOString() });
      const { credentialId } = await submitCredential(tv, linkToken);
      await deliver(tv, event('evt-1', 'ticket.updated', { externalRef: 'HD-LONG', supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() })).expect(202);
      expect((await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.expiresAt).toBe(tv.clock.now() + 30 * DAY);
    });

    it.each(['ticket.closed', 'ticket.updated', 'ticket.reopened'])('%s for an unknown externalRef answers 202, does nothing and logs it', async (name) => {
      const before = await snapshotVault(tv);
      const res = await deliver(tv, event('evt-unknown', name, { externalRef: 'NOPE-1' })).expect(202);
      expect(res.body).toEqual({ id: 'evt-unknown', result: 'ignored' });
      expect(await snapshotVault(tv)).toEqual(before);
      expect(tv.logs.join('')).toMatch(/"externalRef":"NOPE-1".*webhook event ignored/);
      // Recorded, so the helpdesk's retry is a duplicate, not another lookup.
      expect((await deliver(tv, event('evt-unknown', name, { externalRef: 'NOPE-1' })).expect(202)).body.result).toBe('duplicate');
    });
  });

  describe('bad input answers a 4xx problem and changes nothing', () => {
    const cases: Array<[string, (tv: TestVault) => ReturnType<typeof deliver>, number, string]> = [
      ['malformed JSON (correctly signed)', (tv) => deliver(tv, '{"id": "evt-1", "event": "ticket.closed",'), 400, 'malformed_json'],
      ['an empty body (correctly signed)', (tv) => deliver(tv, ''), 400, 'malformed_json'],
      [
        'the wrong content type',
        (tv) => {
          const raw = JSON.stringify(created('evt-1', 'HD-CT'));
          const timestamp = seconds(tv.clock.now());
          return tv.http
            .post(HELPDESK)
            .set('Content-Type', 'text/plain')
            .set('X-Ticketvault-Timestamp', timestamp)
            .set('X-Ticketvault-Signature', `v1=${ticketvaultSignature(SECRET, timestamp, raw)}`)
            .send(raw);
        },
        415,
        'unsupported_media_type',
      ],
      ['an unknown event', (tv) => deliver(tv, event('evt-1', 'ticket.assigned', { externalRef: 'HD-1' })), 400, 'unknown_event'],
      ['an unknown top-level field', (tv) => deliver(tv, created('evt-1', 'HD-1', { priority: 'high' })), 400, 'unknown_field'],
      ['an unknown ticket field', (tv) => deliver(tv, event('evt-1', 'ticket.updated', { externalRef: 'HD-1', assignee: 'x' })), 400, 'unknown_field'],
      ['createIntakeLink on another event', (tv) => deliver(tv, { ...event('evt-1', 'ticket.closed', { externalRef: 'HD-1' }), createIntakeLink: true }), 400, 'validation_failed'],
      ['a prototype key', (tv) => deliver(tv, '{"id":"evt-1","event":"ticket.closed","ticket":{"externalRef":"HD-1"},"__proto__":{"x":1}}'), 400, 'forbidden_key'],
      ['a JSON array', (tv) => deliver(tv, '[1,2]'), 400, 'validation_failed'],
      ['a bad supportUntil', (tv) => deliver(tv, event('evt-1', 'ticket.updated', { externalRef: 'HD-1', supportUntil: 'next week' })), 400, 'validation_failed'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      await deliver(tv, created('evt-setup', 'HD-1')).expect(202);
      const before = await everything(tv);
      expectProblem(await send(tv), status, code);
      expect(await everything(tv)).toEqual(before);
    });

    it('a body over 1 MiB gets 413', async () => {
      const res = await deliver(tv, created('evt-big', 'HD-BIG', { pad: 'x'.repeat(1024 * 1024) }));
      expectProblem(res, 413, 'payload_too_large');
    });
  });

  it('counts deliveries in /metrics by source and result', async () => {
    await deliver(tv, created('evt-1', 'HD-M')).expect(202);
    await deliver(tv, created('evt-1', 'HD-M')).expect(202);
    await deliver(tv, created('evt-2', 'HD-M2'), { secret: 'whsec_someone_else_000000' }).expect(401);
    await deliver(tv, 'nope').expect(400);
    const text = await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_webhook_deliveries_total');
    expect(text).toContain('ticketvault_webhook_deliveries_total{source="helpdesk",result="applied"} 1');
    expect(text).toContain('ticketvault_webhook_deliveries_total{source="helpdesk",result="duplicate"} 1');
    expect(text).toContain('ticketvault_webhook_deliveries_total{source="helpdesk",result="unauthorized"} 1');
    expect(text).toContain('ticketvault_webhook_deliveries_total{source="helpdesk",result="rejected"} 1');
  });
});

describe('POST /hooks/zendesk', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET });
  });
  afterEach(() => tv.close());

  // The body the README's trigger template renders.
  const zendesk = (id: number, status: string, extra: Record<string, unknown> = {}) => ({
    ticket: { externalRef: `ZD-${id}`, status, subject: 'Shop upload fails', customerEmail: 'casey@shop.test', customerName: 'Casey Customer', supportUntil: '', ...extra },
  });

  it('verifies a signature computed independently: base64(HMAC-SHA256(secret, timestamp + body))', async () => {
    const raw = JSON.stringify(zendesk(4711, 'New'));
    const timestamp = new Date(tv.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const signature = createHmac('sha256', ZENDESK_SECRET).update(timestamp).update(raw).digest('base64');
    expect(signature).toBe(zendeskSignature(ZENDESK_SECRET, timestamp, raw));
    expect(signature).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    const res = await deliverZendesk(tv, raw, { timestamp, signature }).expect(202);
    expect(res.body.result).toBe('applied');
    expect(await ticketByRef(tv, 'ZD-4711')).toMatchObject({ status: 'open', customerEmail: 'casey@shop.test', customerName: 'Casey Customer' });
    expect((await auditEvents(tv, { action: 'ticket.created' }))[0]!.actor).toEqual({ type: 'helpdesk', id: 'zendesk', name: 'Zendesk' });
  });

  it.each([
    ['a wrong secret', (tv: TestVault) => deliverZendesk(tv, zendesk(1, 'open'), { secret: 'bm90LXRoZS1zZWNyZXQtYXQtYWxs' }), 'webhook_signature_invalid'],
    ['a hex signature', (tv: TestVault) => deliverZendesk(tv, zendesk(1, 'open'), { signature: 'ab'.repeat(32) }), 'webhook_signature_invalid'],
    ['a stale timestamp', (tv: TestVault) => deliverZendesk(tv, zendesk(1, 'open'), { at: tv.clock.now() - 301_000 }), 'webhook_timestamp_out_of_range'],
    ['a future timestamp', (tv: TestVault) => deliverZendesk(tv, zendesk(1, 'open'), { at: tv.clock.now() + 301_000 }), 'webhook_timestamp_out_of_range'],
    ['a tampered body', (tv: TestVault) => deliverZendesk(tv, zendesk(1, 'open'), { sendInstead: JSON.stringify(zendesk(1, 'solved')) }), 'webhook_signature_invalid'],
    ['no signature', (tv: TestVault) => tv.http.post(ZENDESK).set('Content-Type', 'application/json').send(JSON.stringify(zendesk(1, 'open'))), 'webhook_signature_missing'],
  ])('refuses %s with 401 and changes nothing', async (_name, send, code) => {
    const before = await everything(tv);
    expectProblem(await send(tv), 401, code);
    expect(await everything(tv)).toEqual(before);
  });

  it('maps solved and closed to close, and open, pending and hold to reopen and update', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-9' });
    const { credentialId } = await submitCredential(tv, linkToken);

    await deliverZendesk(tv, zendesk(9, 'Solved')).expect(202);
    expect((await ticketByRef(tv, 'ZD-9'))!.status).toBe('closed');
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    tv.clock.advance(1000);
    await deliverZendesk(tv, zendesk(9, 'Open', { subject: 'Customer replied' })).expect(202);
    expect(await ticketByRef(tv, 'ZD-9')).toMatchObject({ status: 'open', subject: 'Customer replied' });
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    for (const status of ['Pending', 'On-hold', 'hold']) {
      tv.clock.advance(1000);
      await deliverZendesk(tv, zendesk(9, status)).expect(202);
      expect((await ticketByRef(tv, 'ZD-9'))!.status).toBe('open');
    }
    tv.clock.advance(1000);
    await deliverZendesk(tv, zendesk(9, 'closed')).expect(202);
    expect((await ticketByRef(tv, 'ZD-9'))!.status).toBe('closed');
  });

  it('a "new" or "open" delivery for a staff-made ticket mints no link; for an unknown one it creates the ticket without a link', async () => {
    const { ticketId } = await openTicketWithLink(tv, { externalRef: 'ZD-31' });
    for (const status of ['New', 'Open']) {
      tv.clock.advance(1000);
      expect((await deliverZendesk(tv, zendesk(31, status)).expect(202)).body).toEqual({ id: expect.any(String), result: 'applied' });
    }
    expect(await linksOfTicket(tv, ticketId)).toHaveLength(1);

    await deliverZendesk(tv, zendesk(32, 'New')).expect(202);
    expect(await linksOfTicket(tv, (await ticketByRef(tv, 'ZD-32'))!.id)).toHaveLength(0);
  });

  it('a duplicate delivery of the same signed bytes is applied once; solved for an unknown ticket is ignored', async () => {
    const raw = JSON.stringify(zendesk(77, 'open'));
    const timestamp = new Date(tv.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await deliverZendesk(tv, raw, { timestamp }).expect(202);
    const after = await everything(tv);
    expect((await deliverZendesk(tv, raw, { timestamp }).expect(202)).body.result).toBe('duplicate');
    expect(await everything(tv)).toEqual(after);

    const before = await snapshotVault(tv);
    expect((await deliverZendesk(tv, zendesk(78, 'solved')).expect(202)).body.result).toBe('ignored');
    expect(await snapshotVault(tv)).toEqual(before);
  });

  it('an unknown status or field is a 400 and changes nothing', async () => {
    const before = await everything(tv);
    expectProblem(await deliverZendesk(tv, zendesk(5, 'Archived')), 400, 'unknown_status');
    expectProblem(await deliverZendesk(tv, zendesk(5, 'open', { priority: 'urgent' })), 400, 'unknown_field');
    expectProblem(await deliverZendesk(tv, '{"ticket":'), 400, 'malformed_json');
    expect(await everything(tv)).toEqual(before);
  });
});

describe('POST /hooks/helpscout', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ HELPSCOUT_WEBHOOK_SECRET: HELPSCOUT_SECRET });
  });
  afterEach(() => tv.close());

  // A Help Scout conversation object (Mailbox API 2.0), with some of the many fields the vault does not read.
  const conversation = (number: number, status: string, extra: Record<string, unknown> = {}) => ({
    id: 2_000_000 + number,
    number,
    threads: 3,
    type: 'email',
    folderId: 1234,
    status,
    state: 'published',
    subject: 'FTP upload fails',
    mailboxId: 85,
    primaryCustomer: { id: 977, first: 'Casey', last: 'Customer', email: 'casey@shop.test', type: 'customer' },
    tags: [{ id: 1, tag: 'ftp' }],
    ...extra,
  });

  function deliverHelpScout(body: unknown, options: { event?: string; secret?: string; signature?: string; sendInstead?: string } = {}) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return tv.http
      .post('/api/v1/hooks/helpscout')
      .set('Content-Type', 'application/json')
      .set('X-HelpScout-Event', options.event ?? 'convo.created')
      .set('X-HelpScout-Signature', options.signature ?? createHmac('sha1', options.secret ?? HELPSCOUT_SECRET).update(raw).digest('base64'))
      .send(options.sendInstead ?? raw);
  }

  it('a signed convo.created creates ticket HS-<number> with the primary customer, audited as Help Scout', async () => {
    const res = await deliverHelpScout(conversation(321, 'active')).expect(202);
    expect(res.body.result).toBe('applied');
    expect(await ticketByRef(tv, 'HS-321')).toMatchObject({ status: 'open', subject: 'FTP upload fails', customerEmail: 'casey@shop.test', customerName: 'Casey Customer' });
    expect((await auditEvents(tv, { action: 'ticket.created' }))[0]!.actor).toEqual({ type: 'helpdesk', id: 'helpscout', name: 'Help Scout' });
    expect(await linksOfTicket(tv, (await ticketByRef(tv, 'HS-321'))!.id)).toHaveLength(0);
  });

  it('closed and spam close the ticket (its credentials end at once); active and pending reopen it, credentials stay ended', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'HS-9' });
    const { credentialId } = await submitCredential(tv, linkToken);
    await deliverHelpScout(conversation(9, 'closed'), { event: 'convo.status' }).expect(202);
    expect((await ticketByRef(tv, 'HS-9'))!.status).toBe('closed');
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    await deliverHelpScout(conversation(9, 'active', { subject: 'Customer replied' }), { event: 'convo.customer.reply.created' }).expect(202);
    expect(await ticketByRef(tv, 'HS-9')).toMatchObject({ status: 'open', subject: 'Customer replied' });
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    await deliverHelpScout(conversation(9, 'spam'), { event: 'convo.status' }).expect(202);
    expect((await ticketByRef(tv, 'HS-9'))!.status).toBe('closed');
  });

  it.each([
    ['a wrong secret', () => deliverHelpScout(conversation(1, 'active'), { secret: 'not-the-secret-at-all' }), 'webhook_signature_invalid'],
    ['a SHA-256 signature', () => deliverHelpScout(conversation(1, 'active'), { signature: createHmac('sha256', HELPSCOUT_SECRET).update(JSON.stringify(conversation(1, 'active'))).digest('base64') }), 'webhook_signature_invalid'],
    ['a tampered body', () => deliverHelpScout(conversation(1, 'active'), { sendInstead: JSON.stringify(conversation(1, 'closed')) }), 'webhook_signature_invalid'],
    ['no signature', () => tv.http.post('/api/v1/hooks/helpscout').set('Content-Type', 'application/json').set('X-HelpScout-Event', 'convo.created').send(JSON.stringify(conversation(1, 'active'))), 'webhook_signature_missing'],
  ])('refuses %s with 401 and changes nothing', async (_name, send, code) => {
    const before = await everything(tv);
    expectProblem(await send(), 401, code);
    expect(await everything(tv)).toEqual(before);
  });

  it('the same signed bytes are applied once; events it does not follow and a conversation without a customer change nothing', async () => {
    const raw = JSON.stringify(conversation(77, 'active'));
    await deliverHelpScout(raw).expect(202);
    const after = await everything(tv);
    expect((await deliverHelpScout(raw).expect(202)).body.result).toBe('duplicate');
    expect(await everything(tv)).toEqual(after);

    const before = await snapshotVault(tv);
    for (const [body, event] of [
      [{ id: 12, email: 'casey@shop.test' }, 'customer.created'],
      [{ id: 2_000_077 }, 'convo.deleted'],
      [conversation(78, 'active', { primaryCustomer: { id: 5, first: 'No', last: 'Mail' } }), 'convo.created'],
      [conversation(79, 'closed'), 'convo.status'],
    ] as const) {
      expect((await deliverHelpScout(body, { event }).expect(202)).body.result).toBe('ignored');
    }
    expect(await snapshotVault(tv)).toEqual(before);
    expect(await ticketByRef(tv, 'HS-78')).toBeUndefined();
    expect(await ticketByRef(tv, 'HS-79')).toBeUndefined();
  });

  it('an unknown status, a missing number or malformed JSON is a 400 and changes nothing', async () => {
    const before = await everything(tv);
    expectProblem(await deliverHelpScout(conversation(5, 'archived')), 400, 'unknown_status');
    expectProblem(await deliverHelpScout({ status: 'active', subject: 'x' }), 400, 'validation_failed');
    expectProblem(await deliverHelpScout('{"number":'), 400, 'malformed_json');
    expect(await everything(tv)).toEqual(before);
  });

  it('answers 401 webhook_not_configured when HELPSCOUT_WEBHOOK_SECRET is not set', async () => {
    const bare = await createTestVault();
    try {
      const raw = JSON.stringify(conversation(1, 'active'));
      const res = await bare.http.post('/api/v1/hooks/helpscout').set('Content-Type', 'application/json').set('X-HelpScout-Signature', createHmac('sha1', HELPSCOUT_SECRET).update(raw).digest('base64')).send(raw);
      expectProblem(res, 401, 'webhook_not_configured');
    } finally {
      await bare.close();
    }
  });
});

describe('POST /hooks/jira', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ JIRA_WEBHOOK_SECRET: JIRA_SECRET });
  });
  afterEach(() => tv.close());

  // A Jira issue event, trimmed: Jira sends the whole issue and changelog; the vault reads key, summary, status category and reporter.
  const issueEvent = (key: string, webhookEvent: string, category: string, extra: { at?: number; reporter?: unknown; summary?: string } = {}) => ({
    timestamp: extra.at ?? tv.clock.now(),
    webhookEvent,
    issue_event_type_name: 'issue_generic',
    user: { displayName: 'Agent Smith', accountId: '5b10a2844c20165700ede21g' },
    issue: {
      id: '10002',
      key,
      fields: {
        summary: extra.summary ?? 'Shop admin login needed',
        status: { name: category === 'done' ? 'Done' : 'Waiting for support', statusCategory: { id: 3, key: category, name: category } },
        reporter: extra.reporter === undefined ? { displayName: 'Casey Customer', emailAddress: 'casey@shop.test' } : extra.reporter,
        priority: { name: 'Medium' },
      },
    },
    changelog: { items: [{ field: 'status', fromString: 'Open', toString: 'Done' }] },
  });

  function deliverJira(body: unknown, options: { secret?: string; signature?: string; sendInstead?: string } = {}) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return tv.http
      .post('/api/v1/hooks/jira')
      .set('Content-Type', 'application/json')
      .set('X-Hub-Signature', options.signature ?? `sha256=${createHmac('sha256', options.secret ?? JIRA_SECRET).update(raw).digest('hex')}`)
      .set('X-Atlassian-Webhook-Identifier', '6d4f4d3c-0000-4000-8000-000000000001')
      .send(options.sendInstead ?? raw);
  }

  it('a signed issue_created makes the issue key the reference and the reporter the customer, audited as Jira', async () => {
    expect((await deliverJira(issueEvent('SUP-42', 'jira:issue_created', 'new')).expect(202)).body.result).toBe('applied');
    expect(await ticketByRef(tv, 'SUP-42')).toMatchObject({ status: 'open', subject: 'Shop admin login needed', customerEmail: 'casey@shop.test', customerName: 'Casey Customer' });
    expect((await auditEvents(tv, { action: 'ticket.created' }))[0]!.actor).toEqual({ type: 'helpdesk', id: 'jira', name: 'Jira' });
  });

  it('the done status category closes the ticket and its credentials; back in progress reopens it; a deleted issue closes it', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'SUP-7' });
    const { credentialId } = await submitCredential(tv, linkToken);
    await deliverJira(issueEvent('SUP-7', 'jira:issue_updated', 'done')).expect(202);
    expect((await ticketByRef(tv, 'SUP-7'))!.status).toBe('closed');
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    tv.clock.advance(1000);
    await deliverJira(issueEvent('SUP-7', 'jira:issue_updated', 'indeterminate', { summary: 'Reopened by customer' })).expect(202);
    expect(await ticketByRef(tv, 'SUP-7')).toMatchObject({ status: 'open', subject: 'Reopened by customer' });
    expectProblem(await revealAs(tv, credentialId), 410, 'ticket_closed');

    tv.clock.advance(1000);
    await deliverJira(issueEvent('SUP-7', 'jira:issue_deleted', 'indeterminate')).expect(202);
    expect((await ticketByRef(tv, 'SUP-7'))!.status).toBe('closed');
  });

  it.each([
    ['a wrong secret', (tv: TestVault) => deliverJira(issueEvent('SUP-1', 'jira:issue_created', 'new'), { secret: 'not-the-jira-secret' }), 'webhook_signature_invalid'],
    ['a signature without sha256=', (tv: TestVault) => deliverJira(issueEvent('SUP-1', 'jira:issue_created', 'new'), { signature: createHmac('sha256', JIRA_SECRET).update(JSON.stringify(issueEvent('SUP-1', 'jira:issue_created', 'new'))).digest('hex') }), 'webhook_signature_invalid'],
    ['a tampered body', (tv: TestVault) => deliverJira(issueEvent('SUP-1', 'jira:issue_created', 'new'), { sendInstead: JSON.stringify(issueEvent('SUP-1', 'jira:issue_updated', 'done')) }), 'webhook_signature_invalid'],
    ['a delivery signed over an hour ago', (tv: TestVault) => deliverJira(issueEvent('SUP-1', 'jira:issue_created', 'new', { at: tv.clock.now() - 3_601_000 })), 'webhook_timestamp_out_of_range'],
    ['a delivery from the future', (tv: TestVault) => deliverJira(issueEvent('SUP-1', 'jira:issue_created', 'new', { at: tv.clock.now() + 301_000 })), 'webhook_timestamp_out_of_range'],
    ['no signature', (tv: TestVault) => tv.http.post('/api/v1/hooks/jira').set('Content-Type', 'application/json').send(JSON.stringify(issueEvent('SUP-1', 'jira:issue_created', 'new'))), 'webhook_signature_missing'],
  ])('refuses %s with 401 and changes nothing', async (_name, send, code) => {
    const before = await everything(tv);
    expectProblem(await send(tv), 401, code);
    expect(await everything(tv)).toEqual(before);
  });

  it('a retry within the hour is a duplicate; comment events and an issue with a hidden reporter create nothing', async () => {
    const raw = JSON.stringify(issueEvent('SUP-77', 'jira:issue_created', 'new'));
    await deliverJira(raw).expect(202);
    const after = await everything(tv);
    tv.clock.advance(10 * 60_000);
    expect((await deliverJira(raw).expect(202)).body.result).toBe('duplicate');
    expect(await everything(tv)).toEqual(after);

    const before = await snapshotVault(tv);
    expect((await deliverJira({ timestamp: tv.clock.now(), webhookEvent: 'comment_created', comment: { body: 'hi' } }).expect(202)).body.result).toBe('ignored');
    expect((await deliverJira(issueEvent('SUP-78', 'jira:issue_created', 'new', { reporter: null })).expect(202)).body.result).toBe('ignored');
    expect(await snapshotVault(tv)).toEqual(before);
  });

  it('a bad issue key or malformed JSON is a 400 and changes nothing', async () => {
    const before = await everything(tv);
    const bad = issueEvent('SUP-1', 'jira:issue_created', 'new');
    bad.issue.key = 'not a key';
    expectProblem(await deliverJira(bad), 400, 'validation_failed');
    expectProblem(await deliverJira('{"issue":'), 400, 'malformed_json');
    expect(await everything(tv)).toEqual(before);
  });
});

describe('webhook secrets in the configuration', () => {
  const base = { NODE_ENV: 'test' };
  it.each([
    ['short', 'HELPDESK_WEBHOOK_SECRET', 'at least 16 characters'],
    [`${SECRET},${OLD_SECRET},whsec_third_one_123456`, 'HELPDESK_WEBHOOK_SECRET', 'at most two signing secrets'],
    ['bearer:freshdesk:too-short', 'HELPDESK_WEBHOOK_SECRET', 'at least 32 characters'],
    [`bearer:Fresh Desk:${BEARER}`, 'HELPDESK_WEBHOOK_SECRET', 'bearer:<name>:<secret>'],
  ])('refuses HELPDESK_WEBHOOK_SECRET=%s naming the key', (value, key, message) => {
    expect(() => parseConfig({ ...base, HELPDESK_WEBHOOK_SECRET: value })).toThrow(new RegExp(`^${key}: .*${message.replace(/[<>]/g, '.')}`));
  });

  it('refuses a bearer entry in ZENDESK_WEBHOOK_SECRET', () => {
    expect(() => parseConfig({ ...base, ZENDESK_WEBHOOK_SECRET: `bearer:zd:${BEARER}` })).toThrow(/^ZENDESK_WEBHOOK_SECRET: /);
  });

  it('reads signing and bearer secrets apart', () => {
    const config = parseConfig({
      ...base,
      HELPDESK_WEBHOOK_SECRET: ` ${SECRET} , bearer:freshdesk:${BEARER} `,
      ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
      HELPSCOUT_WEBHOOK_SECRET: HELPSCOUT_SECRET,
      JIRA_WEBHOOK_SECRET: `${JIRA_SECRET},${JIRA_SECRET}-next`,
    });
    expect(config.helpdeskWebhook).toEqual({ signingSecrets: [SECRET], bearerSecrets: [{ name: 'freshdesk', secret: BEARER }] });
    expect(config.zendeskWebhookSecrets).toEqual([ZENDESK_SECRET]);
    expect(config.helpScoutWebhookSecrets).toEqual([HELPSCOUT_SECRET]);
    expect(config.jiraWebhookSecrets).toEqual([JIRA_SECRET, `${JIRA_SECRET}-next`]);
    expect(() => parseConfig({ ...base, JIRA_WEBHOOK_SECRET: `bearer:jira:${BEARER}` })).toThrow(/^JIRA_WEBHOOK_SECRET: /);
  });
});
