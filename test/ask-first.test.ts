import request from 'supertest';
import { sealUpload } from '../src/crypto/file-cipher.js';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { startSmtpSink, type SmtpSink } from './harness/smtp-sink.js';
import { linkIn, ORIGIN, portalMails, signInToPortal } from './harness/portal.js';
import { advanceClock, auditEvents, createTestVault, FTP_FIELDS, openTicketWithLink, revealAs, submitCredential, type TestVault } from './harness/test-vault.js';

// DESIGN "Customer portal", "Ask me first" (docs/decisions/027): while on, a reveal answers 202
// approval_pending and mails the customer a link to approve or refuse; an approval lets that
// engineer reveal that credential for an hour; requested, approved and refused are audited.

const CUSTOMER = 'casey@shop.test';
const REASON = 'Customer asked us to fix the upload';

describe('ask me first', () => {
  let sink: SmtpSink;
  let tv: TestVault;
  let credentialId: string;
  let ticketId: string;

  beforeEach(async () => {
    sink = await startSmtpSink();
    tv = await createTestVault({ SMTP_URL: sink.url });
    const arranged = await openTicketWithLink(tv, { customerEmail: CUSTOMER, externalRef: 'ZD-4711' });
    ticketId = arranged.ticketId;
    credentialId = (await submitCredential(tv, arranged.linkToken)).credentialId;
    const cookie = await signInToPortal(tv, sink, CUSTOMER);
    await tv.http.post('/portal/preferences').set('Origin', ORIGIN).set('Cookie', cookie).type('form').send({ notifyOnReveal: 'on', askFirst: 'on' }).expect(303);
  });
  afterEach(async () => {
    await tv.close();
    await sink.stop();
  });

  /** The approval link of the latest request mailed to the customer. */
  async function approvalToken(): Promise<string> {
    await tv.vault.portalMails.sendDuePortalMails();
    const mails = portalMails(sink, 'approval_request', CUSTOMER);
    expect(mails.length).toBeGreaterThan(0);
    return linkIn(mails.at(-1)!, '/portal/approvals/');
  }

  const decide = (token: string, decision: string) => tv.http.post(`/portal/approvals/${token}`).set('Origin', ORIGIN).type('form').send({ decision });

  it('answers 202 approval_pending with no secret, audits the request and mails the customer once while it is pending', async () => {
    const res = await revealAs(tv, credentialId);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ code: 'approval_pending', status: 202, credentialId });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toContain(FTP_FIELDS.password);
    const requested = await auditEvents(tv, { credentialId, action: 'credential.reveal_requested' });
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ actor: { type: 'staff', id: tv.staffIds.engineer }, reason: REASON });
    expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toHaveLength(0);

    expect((await revealAs(tv, credentialId)).status).toBe(202);
    await tv.vault.portalMails.sendDuePortalMails();
    const mails = portalMails(sink, 'approval_request', CUSTOMER);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.headers.subject).toBe('[ZD-4711] Engineer Person asks to reveal your credential "Shop FTP"');
    expect(mails[0]!.body).toContain(REASON);
    expect(mails[0]!.body).not.toContain(FTP_FIELDS.password);
    expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_requested' })).toHaveLength(1);
  });

  it('an approval lets that engineer reveal that credential for one hour; another engineer is still asked', async () => {
    await revealAs(tv, credentialId).expect(202);
    const token = await approvalToken();
    const page = await tv.http.get(`/portal/approvals/${token}`).expect(200);
    expect(page.text).toContain('Engineer Person');
    expect(page.text).toContain(REASON);
    expect(page.text).toContain('value="approve"');
    expect((await decide(token, 'approve')).status).toBe(200);

    const approved = await auditEvents(tv, { credentialId, action: 'credential.reveal_approved' });
    expect(approved).toHaveLength(1);
    expect(approved[0]!.actor.type).toBe('customer');
    const revealed = await revealAs(tv, credentialId).expect(200);
    expect(revealed.body.fields.password).toBe(FTP_FIELDS.password);
    expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toHaveLength(1);

    // The admin passes the engineer check but has no approval of their own.
    expect((await revealAs(tv, credentialId, 'admin')).status).toBe(202);

    // The engineer is told, by e-mail and on the ticket.
    await tv.vault.portalMails.sendDuePortalMails();
    const told = portalMails(sink, 'approval_decided', 'engineer@vendor.test');
    expect(told).toHaveLength(1);
    expect(told[0]!.headers.subject).toMatch(/approved your request to reveal "Shop FTP"/);
    const detail = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    expect(detail.body.credentials[0].approval).toMatchObject({ state: 'approved' });

    await advanceClock(tv, 60 * 60_000 + 1);
    expect((await revealAs(tv, credentialId)).status).toBe(202);
    expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_requested' })).toHaveLength(3);
  });

  it("a refusal refuses that engineer's next reveal with 403 reveal_refused; the one after asks again", async () => {
    await revealAs(tv, credentialId).expect(202);
    const token = await approvalToken();
    expect((await decide(token, 'refuse')).status).toBe(200);
    const refused = await auditEvents(tv, { credentialId, action: 'credential.reveal_refused' });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.actor.type).toBe('customer');

    const detail = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    expect(detail.body.credentials[0].approval).toMatchObject({ state: 'refused' });

    const denied = await revealAs(tv, credentialId);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('reveal_refused');
    const deniedRows = await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' });
    expect(deniedRows.map((e) => e.detail)).toEqual(['reveal_refused']);
    expect((await revealAs(tv, credentialId)).status).toBe(202);
    await tv.vault.portalMails.sendDuePortalMails();
    expect(portalMails(sink, 'approval_request', CUSTOMER)).toHaveLength(2);
  });

  it('a file download is a reveal: it waits for the approval too, and the approval covers the files', async () => {
    const { linkToken } = await openTicketWithLink(tv, { customerEmail: CUSTOMER, externalRef: 'ZD-4712' });
    const publicKey = new Uint8Array(Buffer.from((await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body.publicKey, 'base64url'));
    const key = Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nCANARY-ask-first-file\n-----END OPENSSH PRIVATE KEY-----\n');
    const staged = await tv.http
      .post(`/api/v1/intake/${linkToken}/files`)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from(sealUpload({ name: 'id_ed25519', type: 'application/octet-stream', bytes: key }, publicKey)))
      .expect(201);
    const submitted = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'file', label: 'Deploy key', fields: { notes: 'staging' }, files: [staged.body.id] }).expect(201);
    const fileCredential = submitted.body.credentialId as string;
    const download = (fileId: string) =>
      tv.http.post(`/api/v1/credentials/${fileCredential}/files/${fileId}/download`).set(tv.auth()).send({ reason: REASON }).buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

    // New submissions start from the customer's preferences: the reveal is asked for.
    expect((await revealAs(tv, fileCredential)).status).toBe(202);
    const token = await approvalToken();
    // Before the decision, the file stays as closed as the reveal (its id is not a way around it).
    const [manifest] = (await tv.query('SELECT id FROM credential_files WHERE credential_id = ?', fileCredential)) as Array<{ id: string }>;
    const pending = await download(manifest!.id);
    expect(pending.status).toBe(202);
    expect(JSON.parse((pending.body as Buffer).toString('utf8'))).toMatchObject({ code: 'approval_pending' });
    expect((pending.body as Buffer).includes('CANARY-ask-first-file')).toBe(false);
    expect(await auditEvents(tv, { credentialId: fileCredential, action: 'credential.revealed' })).toHaveLength(0);

    expect((await decide(token, 'approve')).status).toBe(200);
    const revealed = await revealAs(tv, fileCredential).expect(200);
    const fileId = (revealed.body.files as Array<{ id: string }>)[0]!.id;
    expect(fileId).toBe(manifest!.id);
    const got = await download(fileId).expect(200);
    expect(Buffer.compare(got.body as Buffer, key)).toBe(0);
    expect((await auditEvents(tv, { credentialId: fileCredential, action: 'credential.revealed' })).map((e) => e.detail)).toEqual(['file: id_ed25519', null]); // newest first
  });

  it('decides once: a second decision is 409, a malformed or unknown link 404, and an expired one 410', async () => {
    await revealAs(tv, credentialId).expect(202);
    const token = await approvalToken();
    expect((await decide(token, 'maybe')).status).toBe(400);
    expect((await decide(token, 'approve')).status).toBe(200);
    expect((await decide(token, 'refuse')).status).toBe(409);
    expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_refused' })).toHaveLength(0);
    expect((await tv.http.get('/portal/approvals/short')).status).toBe(404);
    expect((await tv.http.get(`/portal/approvals/${'A'.repeat(43)}`)).status).toBe(404);

    await advanceClock(tv, 2 * 3600_000);
    await revealAs(tv, credentialId).expect(202);
    const second = await approvalToken();
    await advanceClock(tv, 24 * 3600_000 + 1);
    expect((await decide(second, 'approve')).status).toBe(410);
    expect(await auditEvents(tv, { credentialId, action: 'credential.reveal_approved' })).toHaveLength(1);
  });

  it('is decided once when two vaults on one database race for the link (one 200, the rest 409), audited once', async () => {
    await revealAs(tv, credentialId).expect(202);
    const token = await approvalToken();
    const other = await composeVault(tv.vault.config, { clock: tv.clock, log: createLogger('silent'), warn: () => {} });
    try {
      const otherHttp = request(buildApp(other));
      const answers = await Promise.all(
        [tv.http, otherHttp, tv.http, otherHttp].map((http, i) =>
          http.post(`/portal/approvals/${token}`).set('Origin', ORIGIN).type('form').send({ decision: i % 2 ? 'refuse' : 'approve' }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
      const decided = [
        ...(await auditEvents(tv, { credentialId, action: 'credential.reveal_approved' })),
        ...(await auditEvents(tv, { credentialId, action: 'credential.reveal_refused' })),
      ];
      expect(decided).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('stores the approval link only as its hash', async () => {
    await revealAs(tv, credentialId).expect(202);
    const token = await approvalToken();
    const rows = await tv.query('SELECT * FROM reveal_approvals');
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(await tv.query('SELECT * FROM portal_mails'))).not.toContain(token);
  });

  it('leaves a credential whose customer did not ask first to reveal at once', async () => {
    const other = await openTicketWithLink(tv, { customerEmail: 'someone-else@shop.test' });
    const { credentialId: id } = await submitCredential(tv, other.linkToken);
    expect((await revealAs(tv, id)).status).toBe(200);
    expect(await tv.query('SELECT * FROM reveal_approvals')).toHaveLength(0);
  });
});
