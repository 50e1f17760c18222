import { OUTGOING_EVENT_TYPES } from '../src/outgoing-webhooks/outgoing-webhook-events.js';
import { webhookSecretContext, webhookUrlSchema } from '../src/outgoing-webhooks/outgoing-webhooks.js';
import { DELIVERY_WINDOW_MS } from '../src/outgoing-webhooks/webhook-deliveries.js';
import { newId } from '../src/ids.js';
import { buildIfStale, killAndWait, startServe } from './harness/cli.js';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from './harness/webhook-receiver.js';
import {
  auditEvents,
  createTestVault,
  databaseEnv,
  dateFromNow,
  DAY,
  FTP_FIELDS,
  openTicketWithLink,
  reopenTestVault,
  revealBody,
  submitCredential,
  TestClock,
  type TestVault,
  waitFor,
} from './harness/test-vault.js';

const OLD_KEY = Buffer.alloc(32, 0x11).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x22).toString('base64');

let tv: TestVault;
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
  await tv?.close();
});

async function addEndpoint(events: readonly string[] = OUTGOING_EVENT_TYPES, url = receiver.url): Promise<{ id: string; secret: string }> {
  const res = await tv.http.post('/api/v1/webhooks').set(tv.auth('admin')).send({ url, events }).expect(201);
  return { id: res.body.id, secret: res.body.secret };
}

/** Sender passes until one finds nothing due (the clock does not move). */
async function drain(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pass = await tv.vault.webhookSender.sendDueWebhooks();
    if (pass.delivered + pass.retried + pass.failed === 0) return;
  }
  throw new Error('the outbox never emptied');
}

const bodies = () => receiver.received.map((r) => JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> });

async function deliveryOf(eventId: string) {
  const [row] = await tv.query('SELECT state, attempts, next_attempt_at, last_status, last_error, created_at, last_attempt_at FROM webhook_deliveries WHERE event_id = ?', eventId);
  return {
    state: row!.state as string,
    attempts: Number(row!.attempts),
    nextAttemptAt: Number(row!.next_attempt_at),
    lastStatus: row!.last_status === null ? null : Number(row!.last_status),
    lastError: row!.last_error as string | null,
    createdAt: Number(row!.created_at),
    lastAttemptAt: row!.last_attempt_at === null ? null : Number(row!.last_attempt_at),
  };
}

/** A bearer token issued now: the tests move the clock past the harness's 8-hour tokens. */
async function freshAuth(role: 'engineer' | 'admin' = 'engineer') {
  const { token } = await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.findStaffByEmail(`${role}@vendor.test`), 3600);
  return { Authorization: `Bearer ${token}` };
}

const createTicket = async (externalRef: string) =>
  tv.http
    .post('/api/v1/tickets')
    .set(await freshAuth())
    .send({ externalRef, subject: 'Upload fails', customerEmail: 'casey@shop.test', supportUntil: dateFromNow(tv, 365 * DAY) })
    .expect(201)
    .then((r) => r.body.id as string);

describe('outgoing webhooks', () => {
  describe('the admin routes', () => {
    it('answer 403 to an engineer and an auditor, and change nothing', async () => {
      tv = await createTestVault();
      const { id } = await addEndpoint();
      for (const role of ['engineer', 'auditor'] as const) {
        await tv.http.get('/api/v1/webhooks').set(tv.auth(role)).expect(403);
        await tv.http.post('/api/v1/webhooks').set(tv.auth(role)).send({ url: receiver.url, events: ['ticket.created'] }).expect(403);
        await tv.http.delete(`/api/v1/webhooks/${id}`).set(tv.auth(role)).expect(403);
        await tv.http.get(`/api/v1/webhooks/${id}/deliveries`).set(tv.auth(role)).expect(403);
      }
      await tv.http.get('/api/v1/webhooks').expect(401);
      const list = await tv.http.get('/api/v1/webhooks').set(tv.auth('admin')).expect(200);
      expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([id]);
    });

    it('show the secret once, at creation: whsec_ and 32 random bytes, never listed, audited without it', async () => {
      tv = await createTestVault();
      const { id, secret } = await addEndpoint(['ticket.closed', 'ticket.created']);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
      const list = await tv.http.get('/api/v1/webhooks').set(tv.auth('admin')).expect(200);
      expect(list.body.items).toEqual([
        {
          id,
          url: receiver.url,
          events: ['ticket.created', 'ticket.closed'],
          createdAt: expect.any(String),
          deliveries: { pending: 0, delivered: 0, failed: 0, lastAttemptAt: null, lastStatus: null, lastError: null, nextAttemptAt: null },
        },
      ]);
      expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));
      const [added] = await auditEvents(tv, { action: 'webhook.added' });
      expect(added).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.admin } });
      expect(JSON.parse(added!.detail!)).toEqual({ webhookId: id, host: new URL(receiver.url).host, events: ['ticket.created', 'ticket.closed'] });
      // Stored wrapped: the raw bytes are nowhere in the row.
      const [row] = await tv.query('SELECT * FROM webhook_endpoints WHERE id = ?', id);
      const raw = Buffer.from(secret.slice(6), 'base64');
      expect(Buffer.from(row!.secret_wrapped as Buffer).includes(raw)).toBe(false);
      expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    });

    it('refuse a bad URL or event list with 400 and register nothing', async () => {
      tv = await createTestVault();
      const refused: Array<[unknown, string]> = [
        [{ url: 'ftp://hooks.example.test/x', events: ['ticket.created'] }, 'validation_failed'],
        [{ url: 'https://user:pw@hooks.example.test/x', events: ['ticket.created'] }, 'validation_failed'],
        [{ url: '/relative', events: ['ticket.created'] }, 'validation_failed'],
        [{ url: 'https://hooks.example.test/x#frag', events: ['ticket.created'] }, 'validation_failed'],
        [{ url: 'https://hooks.example.test/x', events: [] }, 'validation_failed'],
        [{ url: 'https://hooks.example.test/x', events: ['credential.rectified'] }, 'validation_failed'],
        [{ url: 'https://hooks.example.test/x', events: ['ticket.created'], secret: 'mine' }, 'unknown_field'],
        [{ url: 'https://hooks.example.test/x' }, 'validation_failed'],
      ];
      for (const [body, code] of refused) {
        const res = await tv.http.post('/api/v1/webhooks').set(tv.auth('admin')).send(body as object).expect(400);
        expect(res.body.code).toBe(code);
      }
      expect((await tv.http.get('/api/v1/webhooks').set(tv.auth('admin')).expect(200)).body.items).toEqual([]);
      expect(await auditEvents(tv, { action: 'webhook.added' })).toEqual([]);
    });

    it('take http only outside production', () => {
      expect(webhookUrlSchema(true).safeParse('http://127.0.0.1:9/hook').success).toBe(true);
      expect(webhookUrlSchema(false).safeParse('http://127.0.0.1:9/hook').success).toBe(false);
      expect(webhookUrlSchema(false).safeParse('https://hooks.example.test/x?token=abc').success).toBe(true);
    });
  });

  describe('emission and delivery', () => {
    it('sends each followed event once, signed per Standard Webhooks, in order, without a secret field', async () => {
      tv = await createTestVault();
      const { secret } = await addEndpoint();
      const { ticketId, linkToken, linkId } = await openTicketWithLink(tv);
      const a = await submitCredential(tv, linkToken);
      const b = await submitCredential(tv, linkToken, { kind: 'api', label: 'Shop API', fields: { key: 'CANARY-api-key-51d0' } });
      await tv.http.post(`/api/v1/credentials/${a.credentialId}/reveal`).set(tv.auth()).send(revealBody('Fixing the upload')).expect(200);
      await tv.http.post(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}/restrict`).expect(200);
      await tv.http.delete(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}`).expect(204);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await tv.vault.purge.runPurge();
      await tv.http.post(`/api/v1/tickets/${ticketId}/reopen`).set(tv.auth()).expect(200);
      // A credential that reaches the end of its support period: expired and destroyed by one purge row.
      const other = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, DAY) });
      const c = await submitCredential(tv, other.linkToken);
      tv.clock.advance(3 * DAY);
      await tv.vault.purge.runPurge();

      await drain();

      const got = bodies();
      const types = got.map((b) => b.type);
      expect(new Set(types)).toEqual(new Set(OUTGOING_EVENT_TYPES));
      for (const hook of receiver.received) {
        expect(verifyStandardWebhook(secret, hook)).toBe(true);
        expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, hook)).toBe(false);
        expect(hook.id).toMatch(/^msg_[0-9a-f]{32}$/);
        expect(hook.timestamp).toMatch(/^\d{10}$/);
        expect(hook.answered).toBe(204);
        for (const leak of ['CANARY', linkToken, a.receiptToken, b.receiptToken, secret.slice(6), FTP_FIELDS.host, FTP_FIELDS.username]) expect(hook.body).not.toContain(leak);
      }
      // Each event id once: every delivery answered 2xx the first time.
      expect(new Set(receiver.received.map((r) => r.id)).size).toBe(receiver.received.length);

      const ofTicket = got.filter((b) => b.data.ticketId === ticketId).map((b) => b.type);
      expect(ofTicket).toEqual([
        'ticket.created',
        'credential.submitted',
        'intake_link.used',
        'credential.submitted',
        'intake_link.used',
        'credential.revealed',
        'credential.restricted',
        'credential.withdrawn',
        'credential.purged',
        'ticket.closed', // the audit writes the close, then each credential's expiry
        'credential.expired',
        'credential.purged',
        'ticket.reopened',
      ]);
      const closing = (await auditEvents(tv, { ticketId })).filter((e) => e.action === 'ticket.closed' || e.action === 'credential.expired');
      expect(closing.map((e) => e.action).reverse()).toEqual(['ticket.closed', 'credential.expired']);
      expect(got.filter((b) => b.data.ticketId === other.ticketId).map((b) => b.type)).toEqual([
        'ticket.created',
        'credential.submitted',
        'intake_link.used',
        'credential.expired',
        'credential.purged',
      ]);

      const created = got.find((b) => b.type === 'ticket.created' && b.data.ticketId === ticketId)!;
      expect(created.data).toEqual({ ticketId, externalRef: expect.stringMatching(/^ZD-/), actor: { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' } });
      expect(created.timestamp).toMatch(/^2026-03-01T09:00:00\.000Z$/);
      const revealed = got.find((b) => b.type === 'credential.revealed')!;
      expect(revealed.data).toEqual({
        ticketId,
        externalRef: created.data.externalRef,
        credentialId: a.credentialId,
        actor: { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' },
        reason: 'Fixing the upload',
      });
      const used = got.find((b) => b.type === 'intake_link.used')!;
      expect(used.data).toMatchObject({ ticketId, intakeLinkId: linkId, credentialId: a.credentialId, actor: { type: 'customer' } });
      expect(got.find((b) => b.type === 'credential.submitted')!.data).toMatchObject({ kind: 'ftp', intakeLinkId: linkId });
      expect(got.filter((b) => b.type === 'credential.expired' && b.data.credentialId === c.credentialId)).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ endedBecause: 'expired', actor: { type: 'system', id: null, name: 'ticketvault' } }) }),
      ]);

      const list = await tv.http.get('/api/v1/webhooks').set(await freshAuth('admin')).expect(200);
      expect(list.body.items[0].deliveries).toMatchObject({ pending: 0, delivered: receiver.received.length, failed: 0, lastStatus: 204, lastError: null, nextAttemptAt: null });
    });

    it('queues only the events an endpoint follows, and nothing without an endpoint', async () => {
      tv = await createTestVault();
      await createTicket('ZD-none');
      expect(await tv.query('SELECT * FROM webhook_deliveries')).toEqual([]);
      await addEndpoint(['ticket.closed']);
      const id = await createTicket('ZD-closed');
      await tv.http.post(`/api/v1/tickets/${id}/close`).set(tv.auth()).expect(200);
      await drain();
      expect(bodies().map((b) => [b.type, b.data.externalRef])).toEqual([['ticket.closed', 'ZD-closed']]);
    });

    it('retries after a 500 and a dropped connection with backoff, then delivers the event once', async () => {
      tv = await createTestVault();
      const { id: endpointId, secret } = await addEndpoint(['ticket.created']);
      const answers: Array<number | 'drop'> = [500, 'drop', 200];
      receiver.answer = () => answers.shift() ?? 200;
      await createTicket('ZD-retry');
      const t0 = tv.clock.now();

      expect(await tv.vault.webhookSender.sendDueWebhooks()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      const eventId = receiver.received[0]!.id;
      expect(await deliveryOf(eventId)).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500', nextAttemptAt: t0 + 5000 });
      // Not due yet: nothing goes out.
      expect(await tv.vault.webhookSender.sendDueWebhooks()).toEqual({ delivered: 0, retried: 0, failed: 0 });

      tv.clock.advance(5000);
      expect(await tv.vault.webhookSender.sendDueWebhooks()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      const dropped = await deliveryOf(eventId);
      expect(dropped).toMatchObject({ state: 'pending', attempts: 2, lastStatus: null, nextAttemptAt: t0 + 5000 + 5 * 60_000 });
      expect(dropped.lastError).toBeTruthy();
      expect(dropped.lastError).not.toContain('a body the vault must not keep');

      tv.clock.advance(5 * 60_000);
      expect(await tv.vault.webhookSender.sendDueWebhooks()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      tv.clock.advance(DAY);
      await drain();

      expect(receiver.received.map((r) => [r.id, r.answered])).toEqual([
        [eventId, 500],
        [eventId, 'dropped'],
        [eventId, 200],
      ]);
      for (const hook of receiver.received) expect(verifyStandardWebhook(secret, hook)).toBe(true);
      // Each attempt is signed at its own time, over the same body.
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
      expect(receiver.received.map((r) => Number(r.timestamp))).toEqual([t0, t0 + 5000, t0 + 5000 + 300_000].map((t) => Math.floor(t / 1000)));
      const deliveries = await tv.http.get(`/api/v1/webhooks/${endpointId}/deliveries`).set(await freshAuth('admin')).expect(200);
      expect(deliveries.body.items).toEqual([
        expect.objectContaining({ eventId, type: 'ticket.created', state: 'delivered', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null }),
      ]);
      const counted = Object.fromEntries((await tv.vault.metrics.outgoingWebhooks.get()).values.map((v) => [v.labels.result, v.value]));
      expect(counted).toEqual({ retry: 2, delivered: 1 });
      expect(tv.logs.join('')).not.toContain(secret.slice(6));
      expect(tv.logs.join('')).not.toContain('ZD-retry');
    });

    it('holds a ticket\'s later events while an earlier one is retried, gives it up 24 hours after the event, then sends the next', async () => {
      tv = await createTestVault();
      await addEndpoint(['ticket.created', 'ticket.closed']);
      const first = await createTicket('ZD-first');
      await tv.http.post(`/api/v1/tickets/${first}/close`).set(tv.auth()).expect(200);
      await createTicket('ZD-second');
      const failing = new Set<string>();
      receiver.answer = (hook) => {
        const body = JSON.parse(hook.body) as { type: string; data: { externalRef: string } };
        if (body.data.externalRef === 'ZD-first' && body.type === 'ticket.created') {
          failing.add(hook.id);
          return 503;
        }
        return 204;
      };
      const t0 = tv.clock.now();
      await tv.vault.webhookSender.sendDueWebhooks();
      // The other ticket is not held up; the first ticket's close waits behind its creation.
      expect(bodies().map((b) => [b.type, b.data.externalRef]).sort()).toEqual([
        ['ticket.created', 'ZD-first'],
        ['ticket.created', 'ZD-second'],
      ]);
      const [heldId] = [...failing];
      const attemptTimes = [t0];
      for (let i = 0; i < 20; i++) {
        const d = await deliveryOf(heldId!);
        if (d.state !== 'pending') break;
        expect(bodies().some((b) => b.type === 'ticket.closed')).toBe(false);
        tv.clock.set(d.nextAttemptAt);
        attemptTimes.push(d.nextAttemptAt);
        await tv.vault.webhookSender.sendDueWebhooks();
      }
      const given = await deliveryOf(heldId!);
      expect(given).toMatchObject({ state: 'failed', attempts: 8, lastStatus: 503 });
      expect(given.lastAttemptAt! - given.createdAt).toBe(DELIVERY_WINDOW_MS);
      expect(attemptTimes.map((t) => t - t0)).toEqual([0, 5_000, 305_000, 2_105_000, 9_305_000, 27_305_000, 63_305_000, DELIVERY_WINDOW_MS]);
      expect(tv.logs.join('')).toContain('webhook given up after 24 hours');

      await drain();
      expect(bodies().map((b) => [b.type, b.data.externalRef]).at(-1)).toEqual(['ticket.closed', 'ZD-first']);
      const list = await tv.http.get('/api/v1/webhooks').set(await freshAuth('admin')).expect(200);
      expect(list.body.items[0].deliveries).toMatchObject({ pending: 0, delivered: 2, failed: 1 });
    });

    it('stops delivering to a removed endpoint: pending deliveries close, new events queue nothing', async () => {
      tv = await createTestVault();
      const { id } = await addEndpoint(['ticket.created']);
      receiver.answer = () => 500;
      await createTicket('ZD-removed');
      await tv.vault.webhookSender.sendDueWebhooks();
      expect(receiver.received).toHaveLength(1);

      await tv.http.delete(`/api/v1/webhooks/${id}`).set(tv.auth('admin')).expect(204);
      tv.clock.advance(3600_000);
      await createTicket('ZD-after');
      await drain();
      expect(receiver.received).toHaveLength(1);
      expect(await deliveryOf(receiver.received[0]!.id)).toMatchObject({ state: 'failed', lastError: 'endpoint removed' });
      expect(await tv.query('SELECT COUNT(*) AS n FROM webhook_deliveries')).toEqual([{ n: expect.anything() }]);
      expect(Number((await tv.query('SELECT COUNT(*) AS n FROM webhook_deliveries'))[0]!.n)).toBe(1);
      const [row] = await tv.query('SELECT kek_id, secret_wrapped, removed_at FROM webhook_endpoints WHERE id = ?', id);
      expect(row).toMatchObject({ kek_id: null, secret_wrapped: null });
      expect((await tv.http.get('/api/v1/webhooks').set(tv.auth('admin')).expect(200)).body.items).toEqual([]);
      await tv.http.delete(`/api/v1/webhooks/${id}`).set(tv.auth('admin')).expect(404);
      await tv.http.get(`/api/v1/webhooks/${id}/deliveries`).set(tv.auth('admin')).expect(404);
      const [removed] = await auditEvents(tv, { action: 'webhook.removed' });
      expect(JSON.parse(removed!.detail!)).toEqual({ webhookId: id });
    });

    it("sees an endpoint another process registered within five seconds, without a query per event before", async () => {
      tv = await createTestVault();
      await createTicket('ZD-warm'); // reads the (empty) list of endpoints
      // Registered behind this process's back, as the CLI or another instance would.
      const id = newId();
      const wrapped = tv.vault.keys.keyring.wrap(Buffer.alloc(32, 9), webhookSecretContext(id));
      await tv.vault.storage.write((s) =>
        s.outgoingWebhooks.insertEndpoint({ id, url: receiver.url, events: ['ticket.created'], kekId: wrapped.kekId, secretWrapped: wrapped.wrapped, createdBy: null, createdAt: tv.clock.now(), removedAt: null }),
      );
      await createTicket('ZD-stale');
      tv.clock.advance(5000);
      await createTicket('ZD-fresh');
      await drain();
      expect(bodies().map((b) => b.data.externalRef)).toEqual(['ZD-fresh']);
    });
  });

  describe('when `serve` stops', () => {
    it('exits at once on SIGTERM while an endpoint holds a delivery unanswered, and the next pass sends that event again', async () => {
      buildIfStale();
      // The child runs on the real clock: the test vault's clock starts there too, so the event is due for both.
      tv = await createTestVault({}, { clock: new TestClock(Date.now()) });
      await addEndpoint(['ticket.created']);
      await createTicket('ZD-held');
      receiver.answer = () => 'hold';
      const served = await startServe(databaseEnv(tv));
      try {
        // `serve` sends what is pending at start; the endpoint keeps the request open without answering.
        const [held] = await waitFor(() => receiver.received.length === 1 && receiver.received, 'the delivery to reach the endpoint');
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => served.child.once('exit', (code, signal) => resolve({ code, signal })));
        served.child.kill('SIGTERM');
        // Well under the 10 s an attempt may take: the stop does not wait for the endpoint's answer.
        await waitFor(() => served.child.exitCode !== null || served.child.signalCode !== null, '`serve` to exit after SIGTERM', 5000);
        expect(await exited).toEqual({ code: 0, signal: null });
        expect(served.stderr()).not.toContain('webhook not delivered');

        // The cut-short attempt is not counted and the row is due again: the next pass sends the same event.
        const d = await deliveryOf(held!.id);
        expect(d).toMatchObject({ state: 'pending', attempts: 0, lastStatus: null, lastError: null });
        tv.clock.set(Math.max(Date.now(), d.nextAttemptAt));
        receiver.answer = () => 204;
        expect(await tv.vault.webhookSender.sendDueWebhooks()).toEqual({ delivered: 1, retried: 0, failed: 0 });
        expect(receiver.received.map((r) => [r.id, r.answered])).toEqual([
          [held!.id, 'held'],
          [held!.id, 204],
        ]);
      } finally {
        await killAndWait(served.child);
      }
    }, 60_000);
  });

  it('keeps secrets working across a key rotation', async () => {
    tv = await createTestVault({ MASTER_KEY: OLD_KEY });
    const { secret } = await addEndpoint(['ticket.created']);
    tv = await reopenTestVault(tv, { MASTER_KEY: `${NEW_KEY},${OLD_KEY}` });
    expect((await tv.vault.rotateKeys()).rewrapped.webhookSecrets).toBe(1);
    tv = await reopenTestVault(tv, { MASTER_KEY: NEW_KEY });
    await createTicket('ZD-rotated');
    await drain();
    expect(receiver.received).toHaveLength(1);
    expect(verifyStandardWebhook(secret, receiver.received[0]!)).toBe(true);
  });
});
