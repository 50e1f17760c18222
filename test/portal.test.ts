import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { startSmtpSink, type SmtpSink } from './harness/smtp-sink.js';
import { linkIn, ORIGIN, portalMails, requestSignIn, signInToPortal, signInWith } from './harness/portal.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  FTP_FIELDS,
  openTicketWithLink,
  revealAs,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN "Customer portal" (issue 17, docs/decisions/027): sign-in by a one-time mailed link whose
// request answers the same for any address, a 30-minute session, and access, portability,
// withdrawal, freezing and preferences across every ticket held for the e-mail address.

const CUSTOMER = 'casey@shop.test';

async function arrange(tv: TestVault, email = CUSTOMER, externalRef?: string) {
  const { ticketId, linkToken } = await openTicketWithLink(tv, { customerEmail: email, ...(externalRef ? { externalRef } : {}) });
  const submitted = await submitCredential(tv, linkToken);
  return { ticketId, linkToken, ...submitted };
}

describe('the customer portal', () => {
  let sink: SmtpSink;
  let tv: TestVault;
  beforeEach(async () => {
    sink = await startSmtpSink();
    tv = await createTestVault({ SMTP_URL: sink.url });
  });
  afterEach(async () => {
    await tv.close();
    await sink.stop();
  });

  describe('POST /portal/sign-in', () => {
    it('answers the same page for a known and an unknown address, and mails a link only to the known one', async () => {
      await arrange(tv);
      const known = await requestSignIn(tv, 'Casey@Shop.TEST');
      const unknown = await requestSignIn(tv, 'nobody@shop.test');
      expect(known.status).toBe(200);
      expect(unknown.status).toBe(200);
      expect(unknown.text).toBe(known.text);
      expect(known.headers['content-type']).toBe(unknown.headers['content-type']);
      expect(portalMails(sink, 'sign_in')).toHaveLength(1);
      const mail = portalMails(sink, 'sign_in')[0]!;
      expect(mail.envelopeTo).toEqual([CUSTOMER]);
      expect(mail.body).toContain(`${ORIGIN}/portal/sign-in/`);
    });

    it('writes the mail in the language the customer asked in', async () => {
      await arrange(tv);
      await requestSignIn(tv, CUSTOMER, 'pl');
      const mail = portalMails(sink, 'sign_in')[0]!;
      expect(mail.headers.subject).toBe('Twój link do logowania w Acme Software');
      expect(mail.body).toContain('Otwórz ten link');
    });

    it('refuses a body that is not an e-mail address with 400 and mails nothing', async () => {
      await arrange(tv);
      const res = await tv.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send({ email: 'not an address' });
      expect(res.status).toBe(400);
      expect(res.headers['x-problem-code']).toBe('validation_failed');
      const extra = await tv.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send({ email: CUSTOMER, admin: '1' });
      expect(extra.status).toBe(400);
      await tv.vault.portalMails.sendDuePortalMails();
      expect(portalMails(sink, 'sign_in')).toHaveLength(0);
    });

    it('refuses a form with more fields than the page takes with a 413 page, not a 500, and mails nothing', async () => {
      await arrange(tv);
      const body = `email=${encodeURIComponent(CUSTOMER)}${'&x=1'.repeat(10)}`;
      const res = await tv.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send(body);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['x-problem-code']).toBe('too_many_parameters');
      await tv.vault.portalMails.sendDuePortalMails();
      expect(portalMails(sink, 'sign_in')).toHaveLength(0);
    });

    it('mails one address at most five links per 15 minutes, and still answers the same', async () => {
      await arrange(tv);
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push((await requestSignIn(tv, CUSTOMER)).text);
      expect(new Set(answers).size).toBe(1);
      expect(portalMails(sink, 'sign_in')).toHaveLength(5);
      await advanceClock(tv, 16 * 60_000);
      await requestSignIn(tv, CUSTOMER);
      expect(portalMails(sink, 'sign_in')).toHaveLength(6);
    });

    it('refuses a cross-site post (CSRF) with 403 and mails nothing', async () => {
      await arrange(tv);
      const noOrigin = await tv.http.post('/portal/sign-in').type('form').send({ email: CUSTOMER });
      const evil = await tv.http.post('/portal/sign-in').set('Origin', 'https://evil.test').type('form').send({ email: CUSTOMER });
      const crossSite = await tv.http.post('/portal/sign-in').set('Origin', ORIGIN).set('Sec-Fetch-Site', 'cross-site').type('form').send({ email: CUSTOMER });
      for (const res of [noOrigin, evil, crossSite]) {
        expect(res.status).toBe(403);
        expect(res.headers['x-problem-code']).toBe('csrf_rejected');
      }
      await tv.vault.portalMails.sendDuePortalMails();
      expect(portalMails(sink, 'sign_in')).toHaveLength(0);
    });
  });

  describe('the sign-in link', () => {
    it('works once: opening it (GET) uses nothing, the first POST signs in, a second is refused with 410', async () => {
      await arrange(tv);
      await requestSignIn(tv, CUSTOMER);
      const token = linkIn(portalMails(sink, 'sign_in')[0]!, '/portal/sign-in/');
      for (let i = 0; i < 2; i++) {
        const opened = await tv.http.get(`/portal/sign-in/${token}`).expect(200);
        expect(opened.text).toContain('method="post"');
      }
      const cookie = await signInWith(tv, token);
      expect(cookie).toMatch(/^__Host-tv_portal=[A-Za-z0-9_-]{43}$/);
      const again = await tv.http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN);
      expect(again.status).toBe(410);
      expect(again.headers['x-problem-code']).toBe('sign_in_link_expired');
      expect((await tv.http.get(`/portal/sign-in/${token}`)).status).toBe(410);
      // The request log names route templates only: neither the link nor the session's token.
      const logs = tv.logs.join('');
      expect(logs).toContain('/portal/sign-in/:token');
      for (const secret of [token, cookie.split('=')[1]!]) expect(logs).not.toContain(secret);
    });

    it('sets the session cookie HttpOnly, Secure, SameSite=Strict, Path=/ for 30 minutes', async () => {
      await arrange(tv);
      await requestSignIn(tv, CUSTOMER);
      const token = linkIn(portalMails(sink, 'sign_in')[0]!, '/portal/sign-in/');
      const res = await tv.http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN).expect(303);
      const header = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
      expect(header).toMatch(/HttpOnly/);
      expect(header).toMatch(/Secure/);
      expect(header).toMatch(/SameSite=Strict/);
      expect(header).toMatch(/Path=\//);
      expect(header).toMatch(/Max-Age=1800/);
      expect(header).not.toMatch(/Domain/i);
    });

    it('expires after 15 minutes', async () => {
      await arrange(tv);
      await requestSignIn(tv, CUSTOMER);
      const token = linkIn(portalMails(sink, 'sign_in')[0]!, '/portal/sign-in/');
      await advanceClock(tv, 15 * 60_000 + 1);
      expect((await tv.http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN)).status).toBe(410);
    });

    it('is stored only as its SHA-256; the queued mail holds it wrapped, and not at all once sent', async () => {
      await arrange(tv);
      await tv.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send({ email: CUSTOMER }).expect(200);
      const queued = await tv.query('SELECT link_wrapped FROM portal_mails');
      expect(queued).toHaveLength(1);
      expect(queued[0]!.link_wrapped).not.toBeNull();
      await tv.vault.portalMails.sendDuePortalMails();
      const token = linkIn(portalMails(sink, 'sign_in')[0]!, '/portal/sign-in/');
      const links = await tv.query('SELECT token_hash FROM portal_sign_in_links');
      expect(links).toHaveLength(1);
      expect(Buffer.from(links[0]!.token_hash as Buffer).equals(createHash('sha256').update(token).digest())).toBe(true);
      const sent = await tv.query('SELECT link_kek_id, link_wrapped, facts FROM portal_mails');
      expect(sent[0]!.link_wrapped).toBeNull();
      expect(sent[0]!.link_kek_id).toBeNull();
      expect(JSON.stringify(await tv.query('SELECT * FROM portal_sessions'))).not.toContain(token);
    });

    it('is used up once when two vaults on one database race for it (one 303, the rest 410)', async () => {
      await arrange(tv);
      const other = await composeVault(tv.vault.config, { clock: tv.clock, log: createLogger('silent'), warn: () => {} });
      try {
        const otherHttp = request(buildApp(other));
        for (let round = 0; round < 3; round++) {
          await requestSignIn(tv, CUSTOMER);
          const token = linkIn(portalMails(sink, 'sign_in').at(-1)!, '/portal/sign-in/');
          const answers = await Promise.all([tv.http, otherHttp, tv.http, otherHttp].map((http) => http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN)));
          expect(answers.map((a) => a.status).sort()).toEqual([303, 410, 410, 410]);
        }
        expect(await tv.query('SELECT * FROM portal_sessions')).toHaveLength(3);
      } finally {
        await other.close();
      }
    });

    it('answers a malformed or unknown token with 404', async () => {
      const res = await tv.http.post('/portal/sign-in/short').set('Origin', ORIGIN);
      expect(res.status).toBe(404);
      expect((await tv.http.get('/portal/sign-in/short')).status).toBe(404);
      expect((await tv.http.get(`/portal/sign-in/${'A'.repeat(43)}`)).status).toBe(404);
      for (const cut of ['/portal/sign-in/', '/portal/approvals/', '/portal/nothing/here']) {
        const page = await tv.http.get(cut);
        expect(page.status).toBe(404);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(page.headers['x-problem-code']).toBe('not_found');
      }
    });

    it('answers a well-formed token that was never a sign-in link (an intake link, a receipt) with 404 on POST too, and starts no session', async () => {
      const { linkToken, receiptToken } = await arrange(tv);
      for (const token of [linkToken, receiptToken, 'A'.repeat(43)]) {
        const res = await tv.http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN);
        expect(res.status).toBe(404);
        expect(res.headers['x-problem-code']).toBe('sign_in_link_not_found');
        expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('tv_portal=');
      }
      expect(await tv.query('SELECT * FROM portal_sessions')).toHaveLength(0);
    });
  });

  describe('signed in', () => {
    it('shows every ticket and credential held for the e-mail with its reveals, and nothing of another customer', async () => {
      const first = await arrange(tv, CUSTOMER, 'ZD-1001');
      await arrange(tv, 'CASEY@shop.test', 'ZD-1002');
      await arrange(tv, 'someone-else@shop.test', 'ZD-9999');
      await revealAs(tv, first.credentialId, 'engineer', 'Checking the upload folder').expect(200);
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      const page = await tv.http.get('/portal').set('Cookie', cookie).expect(200);
      expect(page.text).toContain('ZD-1001');
      expect(page.text).toContain('ZD-1002');
      expect(page.text).not.toContain('ZD-9999');
      expect(page.text).toContain('Checking the upload folder');
      expect(page.text).toContain('Engineer Person');
      expect(page.text).not.toContain(FTP_FIELDS.password);
    });

    it('ends the session after 30 minutes, and at sign-out', async () => {
      await arrange(tv);
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      await advanceClock(tv, 29 * 60_000);
      expect((await tv.http.get('/portal/export').set('Cookie', cookie)).status).toBe(200);
      await advanceClock(tv, 60_001);
      expect((await tv.http.get('/portal/export').set('Cookie', cookie)).status).toBe(401);
      const page = await tv.http.get('/portal').set('Cookie', cookie).expect(200);
      expect(page.text).toContain('name="email"');

      const second = await signInToPortal(tv, sink, CUSTOMER);
      await tv.http.post('/portal/sign-out').set('Origin', ORIGIN).set('Cookie', second).expect(303);
      expect((await tv.http.get('/portal/export').set('Cookie', second)).status).toBe(401);
    });

    it('freezes, unfreezes and withdraws through the portal, audited as the customer with detail "portal"', async () => {
      const { credentialId } = await arrange(tv);
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      const post = (action: string) => tv.http.post(`/portal/credentials/${credentialId}/${action}`).set('Origin', ORIGIN).set('Cookie', cookie);
      expect((await post('restrict')).status).toBe(303);
      expect((await revealAs(tv, credentialId)).status).toBe(423);
      expect((await post('unrestrict')).status).toBe(303);
      expect((await post('withdraw')).status).toBe(303);
      expect((await revealAs(tv, credentialId)).status).toBe(410);
      const restricted = await auditEvents(tv, { credentialId, action: 'credential.restricted' });
      expect(restricted).toHaveLength(1);
      expect(restricted[0]!.actor.type).toBe('customer');
      expect(restricted[0]!.detail).toBe('portal');
      expect(await auditEvents(tv, { credentialId, action: 'credential.unrestricted' })).toHaveLength(1);
      expect(await auditEvents(tv, { credentialId, action: 'credential.withdrawn' })).toHaveLength(1);
      const [row] = await tv.query('SELECT status FROM credentials WHERE id = ?', credentialId);
      expect(row!.status).toBe('purged');
      // Ended: a freeze is refused with 410, like the receipt's.
      expect((await post('restrict')).status).toBe(410);
    });

    it('withdraws everything held for the e-mail at once: every ticket, frozen ones too, audited per credential; another customer keeps theirs', async () => {
      const first = await arrange(tv, CUSTOMER, 'ZD-2001');
      const second = await arrange(tv, 'Casey@Shop.test', 'ZD-2002');
      const frozen = await arrange(tv, CUSTOMER, 'ZD-2003');
      const other = await arrange(tv, 'someone-else@shop.test', 'ZD-2999');
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      await tv.http.post(`/portal/credentials/${frozen.credentialId}/restrict`).set('Origin', ORIGIN).set('Cookie', cookie).expect(303);
      const before = await tv.http.get('/portal').set('Cookie', cookie).expect(200);
      expect(before.text).toContain('action="/portal/withdraw-everything"');
      expect(before.text).toContain('Withdraw all 3 credentials you sent us?');

      // Refused without the Origin check: nothing changes.
      expect((await tv.http.post('/portal/withdraw-everything').set('Cookie', cookie)).status).toBe(403);
      expect((await revealAs(tv, first.credentialId)).status).toBe(200);

      const done = await tv.http.post('/portal/withdraw-everything').set('Origin', ORIGIN).set('Cookie', cookie);
      expect(done.status).toBe(303);
      expect(done.headers.location).toBe('/portal?done=withdrawAll');
      for (const { credentialId } of [first, second, frozen]) {
        expect((await revealAs(tv, credentialId)).body.code).toBe('credential_withdrawn');
        const [row] = await tv.query('SELECT status FROM credentials WHERE id = ?', credentialId);
        expect(row!.status).toBe('purged');
        const withdrawn = await auditEvents(tv, { credentialId, action: 'credential.withdrawn' });
        expect(withdrawn).toHaveLength(1);
        expect(withdrawn[0]!.actor.type).toBe('customer');
      }
      expect((await revealAs(tv, other.credentialId)).status).toBe(200);
      const after = await tv.http.get('/portal?done=withdrawAll').set('Cookie', cookie).expect(200);
      expect(after.text).toContain('Everything you sent us was withdrawn and destroyed.');
      expect(after.text).not.toContain('action="/portal/withdraw-everything"');
    });

    it("answers 404 for another customer's credential, and changes nothing", async () => {
      await arrange(tv);
      const other = await arrange(tv, 'someone-else@shop.test');
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      for (const action of ['restrict', 'withdraw']) {
        const res = await tv.http.post(`/portal/credentials/${other.credentialId}/${action}`).set('Origin', ORIGIN).set('Cookie', cookie);
        expect(res.status).toBe(404);
        expect(res.headers['x-problem-code']).toBe('credential_not_found');
      }
      expect((await revealAs(tv, other.credentialId)).status).toBe(200);
    });

    it('refuses state changes without the Origin check (CSRF) and without a session', async () => {
      const { credentialId } = await arrange(tv);
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      const noOrigin = await tv.http.post(`/portal/credentials/${credentialId}/restrict`).set('Cookie', cookie);
      expect(noOrigin.status).toBe(403);
      const evilPrefs = await tv.http.post('/portal/preferences').set('Cookie', cookie).set('Origin', 'https://evil.test').type('form').send({ askFirst: 'on' });
      expect(evilPrefs.status).toBe(403);
      const noSession = await tv.http.post(`/portal/credentials/${credentialId}/restrict`).set('Origin', ORIGIN);
      expect(noSession.status).toBe(401);
      expect((await revealAs(tv, credentialId)).status).toBe(200);
      expect(await auditEvents(tv, { credentialId, action: 'credential.restricted' })).toHaveLength(0);
    });

    it('exports everything held for the e-mail as one JSON file without any secret, audited per ticket', async () => {
      const a = await arrange(tv, CUSTOMER, 'ZD-2001');
      const b = await arrange(tv, CUSTOMER, 'ZD-2002');
      await arrange(tv, 'someone-else@shop.test', 'ZD-2999');
      await revealAs(tv, a.credentialId, 'engineer', 'Fixing the upload').expect(200);
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      // HEAD (which Express answers with the GET route) checks the session and exports nothing.
      const head = await tv.http.head('/portal/export').set('Cookie', cookie).expect(200);
      expect(head.text ?? '').toBe('');
      expect(await auditEvents(tv, { action: 'receipt.exported' })).toEqual([]);
      expect((await tv.http.head('/portal/export')).status).toBe(401);
      const res = await tv.http.get('/portal/export').set('Cookie', cookie).expect(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="ticketvault-portal-export\.json"$/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.email).toBe(CUSTOMER);
      expect(res.body.tickets.map((t: { externalRef: string }) => t.externalRef).sort()).toEqual(['ZD-2001', 'ZD-2002']);
      const credentials = res.body.tickets.flatMap((t: { credentials: Array<{ id: string; reveals: unknown[] }> }) => t.credentials);
      expect(credentials.map((c: { id: string }) => c.id).sort()).toEqual([a.credentialId, b.credentialId].sort());
      expect(credentials.find((c: { id: string }) => c.id === a.credentialId).reveals).toEqual([
        expect.objectContaining({ by: 'Engineer Person', reason: 'Fixing the upload' }),
      ]);
      expect(res.body.preferences).toEqual({ notifyOnReveal: true, askFirst: false });
      for (const secret of [FTP_FIELDS.password, FTP_FIELDS.host, FTP_FIELDS.username, a.receiptToken, b.receiptToken]) expect(res.text).not.toContain(secret);
      const exported = await auditEvents(tv, { action: 'receipt.exported' });
      expect(exported).toHaveLength(2);
      expect(exported.every((e) => e.actor.type === 'customer' && e.detail === 'portal')).toBe(true);
    });

    it('sets reveal notices and ask-me-first for every receipt of the e-mail, and for submissions to come', async () => {
      const a = await arrange(tv, CUSTOMER, 'ZD-3001');
      await arrange(tv, 'Casey@Shop.test', 'ZD-3002');
      const other = await arrange(tv, 'someone-else@shop.test', 'ZD-3999');
      const cookie = await signInToPortal(tv, sink, CUSTOMER);
      await tv.http.post('/portal/preferences').set('Origin', ORIGIN).set('Cookie', cookie).type('form').send({ askFirst: 'on' }).expect(303);
      const rows = await tv.query(
        `SELECT t.external_ref, r.notify_on_reveal, r.ask_first FROM receipts r JOIN tickets t ON t.id = r.ticket_id ORDER BY t.external_ref`,
      );
      const flags = rows.map((r) => [r.external_ref, Boolean(r.notify_on_reveal), Boolean(r.ask_first)]);
      expect(flags).toEqual([
        ['ZD-3001', false, true],
        ['ZD-3002', false, true],
        ['ZD-3999', true, false],
      ]);
      // A later submission for the same e-mail starts from the portal's choices.
      const { linkToken } = await openTicketWithLink(tv, { customerEmail: CUSTOMER, externalRef: 'ZD-3003' });
      const later = await submitCredential(tv, linkToken);
      expect((await revealAs(tv, later.credentialId)).status).toBe(202);
      expect((await revealAs(tv, a.credentialId)).status).toBe(202);
      expect((await revealAs(tv, other.credentialId)).status).toBe(200);
      const page = await tv.http.get('/portal').set('Cookie', cookie).expect(200);
      expect(page.text).toMatch(/id="ask-first" name="askFirst"[^>]*checked/);
      expect(page.text).not.toMatch(/id="notify-on-reveal" name="notifyOnReveal"[^>]*checked/);
    });
  });

  it('leaves the link out of a mail saved as an .eml file (development without SMTP_URL)', async () => {
    const dev = await createTestVault();
    try {
      await openTicketWithLink(dev, { customerEmail: CUSTOMER }).then(({ linkToken }) => submitCredential(dev, linkToken));
      await dev.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send({ email: CUSTOMER }).expect(200);
      await dev.vault.portalMails.sendDuePortalMails();
      const folder = path.join(path.dirname(dev.vault.config.databasePath), 'outbox-mail');
      const files = fs.readdirSync(folder).filter((f) => f.endsWith('-sign_in.eml'));
      expect(files).toHaveLength(1);
      const text = fs.readFileSync(path.join(folder, files[0]!), 'utf8');
      expect(text).toContain('does not include the link');
      expect(text).not.toContain('/portal/sign-in/');
    } finally {
      await dev.close();
    }
  });

  describe('rate limit per client address', () => {
    it('answers 429 with Retry-After on /portal once the address is over CUSTOMER_RATE_LIMIT_PER_MINUTE', async () => {
      const limited = await createTestVault({ SMTP_URL: sink.url, CUSTOMER_RATE_LIMIT_PER_MINUTE: '3' });
      try {
        const statuses = [];
        for (let i = 0; i < 4; i++) {
          const res = await limited.http.post('/portal/sign-in').set('Origin', ORIGIN).type('form').send({ email: CUSTOMER });
          statuses.push(res.status);
          if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
        expect(statuses).toEqual([200, 200, 200, 429]);
      } finally {
        await limited.close();
      }
    });
  });
});
