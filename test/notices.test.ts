import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/main.js';
import {
  advanceClock,
  createTestVault,
  DAY,
  FTP_FIELDS,
  openTicketWithLink,
  reopenTestVault,
  revealAs,
  submitCredential,
  waitFor,
  type TestVault,
} from './harness/test-vault.js';
import { freePort, parseMail, startSmtpSink, type ReceivedMail, type SmtpSink } from './harness/smtp-sink.js';

// Issue 6: notices go through an outbox written in the event's own transaction, and a sender
// that hands them to a real SMTP server (started here on 127.0.0.1), retrying until it can.

const MAIL_FROM = 'Acme Support <support@acme.test>';
// The port ("22") is too short to search for: it turns up in any encoded text.
const SECRET_VALUES = [FTP_FIELDS.host, FTP_FIELDS.username, FTP_FIELDS.password];

const outboxRows = async (tv: TestVault) =>
  (await tv.query('SELECT id, kind, attempts, sent_at, failed_at, last_error FROM notice_outbox ORDER BY id')) as Array<{
    id: number;
    kind: string;
    attempts: number;
    sent_at: number | null;
    failed_at: number | null;
    last_error: string | null;
  }>;

const ofKind = (sink: { messages: ReceivedMail[] }, kind: string) => sink.messages.filter((m) => m.headers['x-ticketvault-notice'] === kind);

function expectNoSecret(mail: ReceivedMail) {
  for (const value of SECRET_VALUES) {
    expect(mail.raw).not.toContain(value);
    expect(mail.body).not.toContain(value);
    expect(JSON.stringify(mail.headers)).not.toContain(value);
  }
}

/** A customer's credential, submitted through a link the engineer created, ready to reveal. */
async function arrangeCredential(tv: TestVault, externalRef = 'ZD-4711') {
  const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef, subject: 'Upload to shop fails' });
  const submitted = await submitCredential(tv, linkToken);
  return { ticketId, linkToken, ...submitted };
}

describe('notices through a real SMTP server', () => {
  let sink: SmtpSink;
  let tv: TestVault;
  beforeEach(async () => {
    sink = await startSmtpSink();
    tv = await createTestVault({ SMTP_URL: sink.url, MAIL_FROM });
  });
  afterEach(async () => {
    await tv.close();
    await sink.stop();
  });

  it('tells the customer of a reveal: kind, label, ticket, engineer, time, reason and the receipt link, never the secret', async () => {
    const { credentialId, receiptToken } = await arrangeCredential(tv);
    // DESIGN "Languages": the customer's locale (English here, as en-GB writes dates), the zone named.
    const revealedAt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(tv.clock.now());
    await revealAs(tv, credentialId, 'engineer', 'Fix the failing upload').expect(200);

    const pass = await tv.vault.notices.sendDueNotices();
    expect(pass).toMatchObject({ sent: 2, retried: 0, failed: 0 });

    const [mail] = ofKind(sink, 'reveal');
    expect(ofKind(sink, 'reveal')).toHaveLength(1);
    expect(mail!.envelopeTo).toEqual(['customer@shop.test']);
    expect(mail!.envelopeFrom).toBe('support@acme.test');
    expect(mail!.headers).toMatchObject({
      from: MAIL_FROM,
      to: 'Casey Customer <customer@shop.test>',
      subject: '[ZD-4711] Engineer Person revealed your credential "Shop FTP"',
      'auto-submitted': 'auto-generated',
    });
    expect(mail!.headers['message-id']).toMatch(/^<ticketvault-notice-\d+\.\d+@vault\.example\.test>$/);
    expect(mail!.body).toContain('Credential:  "Shop FTP" (FTP / SFTP login)');
    expect(mail!.body).toContain('Revealed by: Engineer Person');
    expect(mail!.body).toMatch(new RegExp(`When: {8}${revealedAt} at \\d\\d:\\d\\d UTC\n`));
    expect(mail!.body).toContain('Reason:      Fix the failing upload');
    expect(mail!.body).toContain(`https://vault.example.test/r/${receiptToken}`);
    expectNoSecret(mail!);
  });

  it('tells the engineer who created the intake link when the customer submits, with a link to the ticket in the console', async () => {
    const { credentialId, ticketId } = await arrangeCredential(tv, 'ZD-5000');
    await tv.vault.notices.sendDueNotices();

    const [mail] = ofKind(sink, 'submission');
    expect(ofKind(sink, 'submission')).toHaveLength(1);
    expect(mail!.envelopeTo).toEqual(['engineer@vendor.test']);
    expect(mail!.headers.subject).toBe('[ZD-5000] Casey Customer sent a credential: "Shop FTP"');
    expect(mail!.body).toContain(credentialId);
    expect(mail!.body).toContain(`\nhttps://vault.example.test/console/tickets/${ticketId}\n`);
    expect(mail!.body).not.toContain('/r/');
    expectNoSecret(mail!);
  });

  it('sends a destruction receipt after a withdrawal, and one per receipt after the purge of a closed ticket', async () => {
    const first = await arrangeCredential(tv, 'ZD-6000');
    await tv.http.delete(`/api/v1/receipts/${first.receiptToken}/credentials/${first.credentialId}`).expect(204);
    await tv.vault.notices.sendDueNotices();
    const [withdrawn] = ofKind(sink, 'destruction');
    expect(withdrawn!.envelopeTo).toEqual(['customer@shop.test']);
    expect(withdrawn!.headers.subject).toBe('[ZD-6000] Your credential "Shop FTP" has been destroyed');
    expect(withdrawn!.body).toContain('"Shop FTP" (FTP / SFTP login): destroyed');
    expect(withdrawn!.body).toContain('because you withdrew it');
    expect(withdrawn!.body).toContain(`https://vault.example.test/r/${first.receiptToken}`);
    expectNoSecret(withdrawn!);

    const second = await arrangeCredential(tv, 'ZD-6001');
    await tv.http.post(`/api/v1/tickets/${second.ticketId}/close`).set(tv.auth()).expect(200);
    await tv.vault.purge.runPurge();
    await tv.vault.notices.sendDueNotices();
    const destroyed = ofKind(sink, 'destruction');
    expect(destroyed).toHaveLength(2);
    expect(destroyed[1]!.body).toContain('because the ticket was closed');
    expect(destroyed[1]!.body).toContain(`https://vault.example.test/r/${second.receiptToken}`);
  });

  it('sends no reveal notice when the customer turned notices off on the receipt', async () => {
    const { credentialId, receiptToken } = await arrangeCredential(tv);
    await tv.http.put(`/api/v1/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: false }).expect(200);
    await revealAs(tv, credentialId).expect(200);
    await tv.vault.notices.sendDueNotices();

    expect(ofKind(sink, 'reveal')).toHaveLength(0);
    expect(ofKind(sink, 'submission')).toHaveLength(1);
    expect((await outboxRows(tv)).map((r) => r.kind)).toEqual(['submission']);

    // Turned back on, the next reveal is told again.
    await tv.http.put(`/api/v1/receipts/${receiptToken}/preferences`).send({ notifyOnReveal: true }).expect(200);
    await revealAs(tv, credentialId).expect(200);
    await tv.vault.notices.sendDueNotices();
    expect(ofKind(sink, 'reveal')).toHaveLength(1);
  });

  it('queues nothing for a denied reveal', async () => {
    const { credentialId, receiptToken } = await arrangeCredential(tv);
    await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
    await revealAs(tv, credentialId).expect(423);
    expect((await outboxRows(tv)).map((r) => r.kind)).toEqual(['submission']);
  });

  it('counts notices in /metrics and prunes delivered rows a day later', async () => {
    const { credentialId } = await arrangeCredential(tv);
    await revealAs(tv, credentialId).expect(200);
    await tv.vault.notices.sendDueNotices();
    const text = await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_notices_total');
    expect(text).toContain('ticketvault_notices_total{kind="reveal",result="sent"} 1');
    expect(text).toContain('ticketvault_notices_total{kind="submission",result="sent"} 1');
    expect((await outboxRows(tv)).every((r) => r.sent_at !== null)).toBe(true);

    await advanceClock(tv, DAY + 60_000);
    await tv.vault.notices.sendDueNotices();
    expect((await outboxRows(tv))).toEqual([]);
    expect(sink.messages).toHaveLength(2);
  });
});

describe('notices when the SMTP server is down', () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
  });

  it('retries with backoff and, once the server is back, the notice arrives exactly once', async () => {
    const port = await freePort();
    const tv = await createTestVault({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM });
    try {
      const { credentialId } = await arrangeCredential(tv);
      await revealAs(tv, credentialId).expect(200);

      const down = await tv.vault.notices.sendDueNotices();
      // The first failure shows the server is unreachable: the rest of the pass waits for the retry.
      expect(down).toMatchObject({ sent: 0, retried: 1 });
      expect((await outboxRows(tv)).every((r) => r.sent_at === null && r.failed_at === null)).toBe(true);
      expect((await outboxRows(tv)).map((r) => r.attempts)).toEqual([1, 0]);
      expect((await outboxRows(tv))[0]!.last_error).toMatch(/ECONNREFUSED|connect/i);

      sink = await startSmtpSink(port);
      // Not due yet: backoff, not a hot loop.
      expect(await tv.vault.notices.sendDueNotices()).toMatchObject({ sent: 0, retried: 0 });
      expect(sink.messages).toHaveLength(0);

      tv.clock.advance(31_000);
      expect(await tv.vault.notices.sendDueNotices()).toMatchObject({ sent: 2, retried: 0 });
      for (let i = 0; i < 3; i++) {
        tv.clock.advance(3600_000);
        await tv.vault.notices.sendDueNotices();
      }
      expect(ofKind(sink, 'reveal')).toHaveLength(1);
      expect(ofKind(sink, 'submission')).toHaveLength(1);
      const text = await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_notices_total');
      expect(text).toContain('ticketvault_notices_total{kind="submission",result="retry"} 1');
    } finally {
      await tv.close();
    }
  });

  it('survives a restart: `serve` on the same database sends what an earlier process left pending, and stops cleanly', async () => {
    const port = await freePort();
    const smtpUrl = `smtp://127.0.0.1:${port}`;
    // `serve` outside production listens on loopback only, so not behind an https PUBLIC_URL.
    const first = await createTestVault({ SMTP_URL: smtpUrl, MAIL_FROM, PUBLIC_URL: 'http://vault.example.test' });
    const { credentialId, receiptToken } = await arrangeCredential(first);
    await revealAs(first, credentialId).expect(200);
    await first.vault.notices.sendDueNotices(); // SMTP down: retried later
    await first.vault.close();

    sink = await startSmtpSink(port);
    first.clock.advance(60_000);
    const logs: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) }));
    const running = await startServer({ ...first.vault.config, port: 0 }, { clock: first.clock, log, noticeIntervalMs: 50, warn: () => {} });
    try {
      await waitFor(() => sink!.messages.length === 2, 'both pending notices to arrive');
      const [reveal] = ofKind(sink, 'reveal');
      expect(reveal!.body).toContain(`http://vault.example.test/r/${receiptToken}`);
    } finally {
      await running.stop();
      fs.rmSync(first.dir, { recursive: true, force: true });
    }
    expect(sink.messages).toHaveLength(2);
    expect(logs.join('')).toContain('notice sent');
  });

  it.each([
    ['notices', 'the notices'],
    ['portal', 'a portal sign-in mail (the notices already sent)'],
  ])('a stop does not wait for an SMTP server that holds the connection (%s): the mails under way go back to the outbox uncounted and go out at the next pass', async (which) => {
    // An SMTP server that accepts the connection and never answers (not even its greeting): a
    // send would wait out nodemailer's 10 s greeting timeout.
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => held.add(socket.on('close', () => held.delete(socket))));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const tv = await createTestVault({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM, PUBLIC_URL: 'http://vault.example.test' });
    let current = tv;
    const pending = async () => [
      ...(await outboxRows(tv)).map((r) => ({ attempts: r.attempts, sent_at: r.sent_at, last_error: r.last_error })),
      ...((await tv.query('SELECT attempts, sent_at, last_error FROM portal_mails')) as object[]),
    ];
    try {
      const { credentialId } = await arrangeCredential(tv);
      await revealAs(tv, credentialId).expect(200);
      await tv.http.post('/portal/sign-in').set('Origin', 'http://vault.example.test').type('form').send({ email: 'customer@shop.test' });
      const untried = { attempts: 0, sent_at: null, last_error: null };
      expect(await pending()).toEqual([untried, untried, untried]);
      // The portal's mails go after the notices in each pass: to hold one, the notices are out of the way.
      if (which === 'portal') await tv.query('UPDATE notice_outbox SET sent_at = ? RETURNING id', tv.clock.now());
      const waiting = which === 'portal' ? [untried] : [untried, untried, untried];

      const running = await startServer({ ...tv.vault.config, port: 0 }, { clock: tv.clock, log: createLogger('silent'), noticeIntervalMs: 50, warn: () => {} });
      await waitFor(() => held.size > 0, 'the sender to connect to the silent SMTP server');
      // Well under the 10 s the greeting may take: the stop cuts the send short.
      let bound: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        running.stop().then(() => 'stopped'),
        new Promise((resolve) => (bound = setTimeout(() => resolve('still waiting on the SMTP server after 7 s'), 7000))),
      ]);
      clearTimeout(bound);
      expect(outcome).toBe('stopped');

      // Nothing was counted as an attempt, and everything is due again at once.
      expect((await pending()).filter((r) => (r as { sent_at: unknown }).sent_at === null)).toEqual(waiting);
      const due = (await tv.query('SELECT next_attempt_at AS at FROM notice_outbox WHERE sent_at IS NULL UNION ALL SELECT next_attempt_at FROM portal_mails')) as Array<{ at: number }>;
      expect(due.every((d) => Number(d.at) <= tv.clock.now())).toBe(true);

      sink = await startSmtpSink();
      current = await reopenTestVault(tv, { SMTP_URL: sink.url, MAIL_FROM, PUBLIC_URL: 'http://vault.example.test' });
      expect(await current.vault.notices.sendDueNotices()).toMatchObject({ sent: which === 'portal' ? 0 : 2, retried: 0 });
      expect(await current.vault.portalMails.sendDuePortalMails()).toBe(1);
      expect(sink.messages.map((m) => m.headers['x-ticketvault-notice']).sort()).toEqual(which === 'portal' ? ['sign_in'] : ['reveal', 'sign_in', 'submission']);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await current.close();
    }
  }, 60_000);

  it('a restarted vault (new composeVault, same database) sends the pending rows', async () => {
    const port = await freePort();
    const first = await createTestVault({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM });
    const { credentialId } = await arrangeCredential(first);
    await revealAs(first, credentialId).expect(200);

    sink = await startSmtpSink(port);
    const second = await reopenTestVault(first, { SMTP_URL: sink.url, MAIL_FROM });
    try {
      expect(await second.vault.notices.sendDueNotices()).toMatchObject({ sent: 2 });
      expect(ofKind(sink, 'reveal')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe('notices without SMTP_URL', () => {
  it('outside production, writes each notice as an .eml file under <data folder>/outbox-mail/, without the receipt link', async () => {
    const tv = await createTestVault({ MAIL_FROM });
    try {
      const { credentialId, receiptToken } = await arrangeCredential(tv);
      await revealAs(tv, credentialId, 'engineer', 'Check the permissions').expect(200);
      expect(await tv.vault.notices.sendDueNotices()).toMatchObject({ sent: 2 });

      const folder = path.join(tv.dir, 'outbox-mail');
      const files = fs.readdirSync(folder).sort();
      expect(files).toHaveLength(2);
      const revealFile = files.find((f) => f.endsWith('-reveal.eml'))!;
      expect(fs.statSync(path.join(folder, revealFile)).mode & 0o777).toBe(0o600);
      const mail = parseMail(fs.readFileSync(path.join(folder, revealFile), 'utf8'));
      expect(mail.headers).toMatchObject({ from: MAIL_FROM, to: 'Casey Customer <customer@shop.test>' });
      expect(mail.body).toContain('Reason:      Check the permissions');
      // A receipt link manages the customer's credentials: files in a data folder never hold one.
      expect(mail.body).not.toContain(receiptToken);
      expect(mail.body).not.toContain('/r/');
      expect(mail.body).toContain('Open the receipt link you got when you sent it');
      expectNoSecret(mail);
    } finally {
      await tv.close();
    }
  });

  it('in production, logs each notice as not sent and keeps nothing pending', async () => {
    const tv = await createTestVault({ NODE_ENV: 'production' });
    try {
      const { credentialId } = await arrangeCredential(tv);
      await revealAs(tv, credentialId).expect(200);
      expect(await tv.vault.notices.sendDueNotices()).toMatchObject({ sent: 0, notSent: 2 });
      expect((await outboxRows(tv)).map((r) => r.last_error)).toEqual(['not sent: SMTP_URL is not set', 'not sent: SMTP_URL is not set']);
      expect(tv.logs.join('')).toContain('notices not sent: SMTP_URL is not set in production');
      expect(fs.existsSync(path.join(tv.dir, 'outbox-mail'))).toBe(false);
    } finally {
      await tv.close();
    }
  });
});
