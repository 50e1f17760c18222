import { jest } from '@jest/globals';
import { SESSION_IDLE_MS } from '../src/staff-auth/staff-sessions.js';
import { auditDetailWords } from '../src/web/console/audit-detail-words.js';
import { connectionString } from '../src/web/console/browser/connection-strings.js';
import { consoleStringsFor } from '../src/web/console/console-strings.js';
import { signIn } from './harness/staff-sessions.js';
import { BY_OPERATOR, createTestVault, FTP_FIELDS, openTicketWithLink, revealAs, submitCredential, type TestVault } from './harness/test-vault.js';

// The console's server-rendered pages (/console/...): who may open which, what they show, and
// that no page ever carries a secret or a link token.

jest.setTimeout(60_000);

/** The staff page's table row of the member with this name. */
const staffRow = (html: string, name: string) => new RegExp(`<tr data-staff-id="[^"]+" data-name="${name}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';

describe('console pages', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('without a session', () => {
    it('sends /console and its pages to the sign-in page, keeping where the engineer was going', async () => {
      const res = await tv.http.get('/console/tickets?q=ZD').expect(303);
      expect(res.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Ftickets%3Fq%3DZD');
      await tv.http.get('/console').expect(303).expect('Location', '/console/sign-in?next=%2Fconsole');
    });

    it('answers a link followed from another site with a same-site hop, so a Strict cookie can come along', async () => {
      const res = await tv.http.get('/console/tickets').set('Sec-Fetch-Site', 'cross-site').expect(200);
      expect(res.text).toContain('<meta http-equiv="refresh" content="0;url=/console/tickets">');
    });

    it('shows the sign-in page under the same CSP as the customer pages, with no single sign-on button when OIDC is off', async () => {
      const res = await tv.http.get('/console/sign-in?next=/console/tickets').expect(200);
      expect(res.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(res.text).toContain('<script type="module" src="/assets/console.js"></script>');
      expect(res.text).toContain('data-next="/console/tickets"');
      expect(res.text).not.toContain('single sign-on');
      expect(res.text).not.toMatch(/<script>|style="/);
      expect(res.headers['x-frame-options']).toBe('DENY');
    });

    it('renders a sign-in form that cannot put the password in a URL before its script runs', async () => {
      const res = await tv.http.get('/console/sign-in').expect(200);
      const form = /<form id="sign-in-form"[^>]*>([\s\S]*?)<\/form>/.exec(res.text);
      expect(form?.[0]).toMatch(/^<form id="sign-in-form" method="post"/);
      // Nameless fields send nothing, and the button stays disabled until the script enables it.
      expect(form![1]).not.toMatch(/\bname="/);
      expect(form![1]).toMatch(/<button type="submit"[^>]*\bdisabled\b/);
    });

    it('with VENDOR_NAME unset, names the product, and no page reads "Support support"', async () => {
      await tv.close();
      tv = await createTestVault({ VENDOR_NAME: undefined });
      const { linkToken } = await openTicketWithLink(tv);
      const pages = [(await tv.http.get('/console/sign-in').expect(200)).text, (await tv.http.get(`/s/${linkToken}`).expect(200)).text];
      expect(pages[0]).toContain('<span>ticketvault</span> <span class="brand__product">Staff console</span>');
      expect(pages[1]).toContain('ticketvault asked you for access to help with your support ticket.');
      for (const html of pages) expect(html).not.toMatch(/support\s+support/i);
    });

    it('never sends anyone to another site after sign-in', async () => {
      for (const next of ['https://evil.example/', '//evil.example/console', '/consolex', 'javascript:alert(1)']) {
        const res = await tv.http.get(`/console/sign-in?next=${encodeURIComponent(next)}`).expect(200);
        expect(res.text).toContain('data-next="/console"');
      }
    });

    it('after the session expired, says so on the sign-in page', async () => {
      const cookie = await signIn(tv, 'engineer');
      tv.clock.advance(SESSION_IDLE_MS + 1);
      const res = await tv.http.get('/console/tickets').set('Cookie', cookie).expect(303);
      expect(res.headers.location).toBe('/console/sign-in?reason=expired&next=%2Fconsole%2Ftickets');
      const page = await tv.http.get(res.headers.location!).expect(200);
      expect(page.text).toContain('Your session ended. Sign in again to carry on.');
    });
  });

  describe('signed in', () => {
    it('starts engineers on the tickets and auditors on the audit log', async () => {
      await tv.http.get('/console').set('Cookie', await signIn(tv, 'engineer')).expect(303).expect('Location', '/console/tickets');
      await tv.http.get('/console').set('Cookie', await signIn(tv, 'auditor')).expect(303).expect('Location', '/console/audit');
      await tv.http.get('/console/sign-in').set('Cookie', await signIn(tv, 'admin')).expect(303).expect('Location', '/console/tickets');
    });

    it('lists tickets, searches by reference, subject or customer, and filters open/closed', async () => {
      const cookie = await signIn(tv, 'engineer');
      await openTicketWithLink(tv, { externalRef: 'ZD-1042', subject: 'Shop upload fails', customerEmail: 'casey@shop.test' });
      const other = await openTicketWithLink(tv, { externalRef: 'ZD-2000', subject: 'Printer offline', customerEmail: 'pat@office.test' });
      await tv.http.post(`/api/v1/tickets/${other.ticketId}/close`).set(tv.auth()).expect(200);

      const open = await tv.http.get('/console/tickets').set('Cookie', cookie).expect(200);
      expect(open.text).toContain('ZD-1042');
      expect(open.text).not.toContain('ZD-2000');
      const closed = await tv.http.get('/console/tickets?status=closed').set('Cookie', cookie).expect(200);
      expect(closed.text).toContain('ZD-2000');
      expect(closed.text).not.toContain('ZD-1042');
      for (const q of ['1042', 'upload', 'casey@shop']) {
        const found = await tv.http.get(`/console/tickets?status=all&q=${encodeURIComponent(q)}`).set('Cookie', cookie).expect(200);
        expect(found.text).toContain('ZD-1042');
        expect(found.text).not.toContain('ZD-2000');
      }
      const bad = await tv.http.get('/console/tickets?cursor=%21%21').set('Cookie', cookie).expect(400);
      expect(bad.text).toContain('Some details were not accepted');
    });

    it('shows a ticket with its credentials and links, and never a secret or a token', async () => {
      const cookie = await signIn(tv, 'engineer');
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-77' });
      const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId).expect(200);
      const res = await tv.http.get(`/console/tickets/${ticketId}`).set('Cookie', cookie).expect(200);
      expect(res.text).toContain('Shop FTP');
      expect(res.text).toMatch(new RegExp(`data-credential-id="${credentialId}"[^>]*data-status="active"`));
      expect(res.text).toContain('aria-label="Reveal “Shop FTP”"');
      expect(res.text).toContain('data-reveal-seconds="60"');
      expect(res.text).toContain('data-reason-prefill="ZD-77"');
      // The dialog masks only what unlocks something (SECRET_FIELDS); the rest shows plainly.
      expect(res.text).toContain('data-secret-fields="{&quot;ftp&quot;:[&quot;password&quot;,&quot;privateKey&quot;],');
      for (const secret of [...Object.values(FTP_FIELDS).filter((v) => v.length > 4), linkToken, receiptToken]) expect(res.text).not.toContain(secret);
      // Engineers do not read the audit log, so the page offers no link to it, but it shows who
      // revealed each credential, when and why, as the customer's receipt does.
      expect(res.text).not.toContain('Audit trail');
      const reveals = new RegExp(`<tr class="reveals-row" data-reveals-of="${credentialId}">[\\s\\S]*?</tr>`).exec(res.text)?.[0] ?? '';
      expect(reveals).toContain('<strong>1 reveal</strong>');
      expect(reveals).toContain('<span class="reveal-list__who">Engineer Person (you)</span> <span class="reveal-list__why">Customer asked us to fix the upload</span>');
      expect(res.text).toContain('<th scope="col">Sent</th>');
    });

    it('answers an unknown ticket with the friendly 404 page', async () => {
      const cookie = await signIn(tv, 'engineer');
      const res = await tv.http.get('/console/tickets/00000000-0000-4000-8000-000000000000').set('Cookie', cookie).expect(404);
      expect(res.text).toContain('Nothing here');
      await tv.http.get('/console/no-such-page').set('Cookie', cookie).expect(404);
      // A path that cannot be percent-decoded names nothing: 404, not a logged 500.
      const mangled = await tv.http.get('/console/tickets/%E0%A4%A').set('Cookie', cookie).expect(404);
      expect(mangled.text).toContain('Nothing here');
      expect(tv.logs.join('\n')).not.toContain('console page failed');
    });

    it('keeps pages to their roles with a friendly 403: auditors see no tickets, engineers no audit log, only admins the staff', async () => {
      const auditor = await signIn(tv, 'auditor');
      const engineer = await signIn(tv, 'engineer');
      const admin = await signIn(tv, 'admin');
      expect((await tv.http.get('/console/tickets').set('Cookie', auditor).expect(403)).text).toContain('Your role cannot open this');
      await tv.http.get('/console/audit').set('Cookie', engineer).expect(403);
      await tv.http.get('/console/staff').set('Cookie', engineer).expect(403);
      await tv.http.get('/console/staff').set('Cookie', auditor).expect(403);
      const staff = await tv.http.get('/console/staff').set('Cookie', admin).expect(200);
      expect(staff.text).toContain('engineer@vendor.test');
      expect(staff.text).not.toContain('argon2');
      const nav = (await tv.http.get('/console/audit').set('Cookie', admin).expect(200)).text;
      expect(nav).toContain('href="/console/staff"');
    });

    it('offers admins "Sign out everywhere" for each active member, and no single sign-on linking while OIDC is off', async () => {
      const cookie = await signIn(tv, 'admin');
      await tv.vault.staff.disableStaffMember(tv.staffIds.auditor, BY_OPERATOR);
      const res = await tv.http.get('/console/staff').set('Cookie', cookie).expect(200);
      const rowOf = (name: string) => staffRow(res.text, name);
      for (const name of ['Engineer Person', 'Admin Person']) {
        expect(rowOf(name)).toContain(`data-action="sign-out-everywhere" aria-label="Sign out everywhere: ${name}">Sign out everywhere</button>`);
      }
      // A disabled member is signed out already.
      expect(rowOf('Auditor Person')).not.toContain('sign-out-everywhere');
      expect(rowOf('Admin Person')).toMatch(/^<tr [^>]*data-you[ >]/);
      expect(res.text).not.toContain('link-sso');
      expect(res.text).not.toContain('id="sso-dialog"');
      expect(res.text).not.toMatch(/<script>|style="/);
    });

    it('with single sign-on configured, offers each member a link to it and shows who is linked', async () => {
      await tv.close();
      tv = await createTestVault({ OIDC_ISSUER: 'https://idp.example.test', OIDC_AUDIENCE: 'ticketvault', OIDC_JWKS_URL: 'https://idp.example.test/jwks' });
      const cookie = await signIn(tv, 'admin');
      await tv.vault.staff.linkStaffSso(tv.staffIds.engineer, { sub: 'idp|engineer-7' }, BY_OPERATOR);
      const res = await tv.http.get('/console/staff').set('Cookie', cookie).expect(200);
      const rowOf = (name: string) => staffRow(res.text, name);
      expect(rowOf('Engineer Person')).toContain('<td class="sign-in-methods" data-label="Sign-in"><span>Single sign-on</span></td>');
      expect(rowOf('Engineer Person')).toContain('data-action="link-sso" aria-label="Change single sign-on for Engineer Person">Change single sign-on</button>');
      expect(rowOf('Admin Person')).toContain('<td class="sign-in-methods" data-label="Sign-in"><span>Password</span></td>');
      expect(rowOf('Admin Person')).toContain('data-action="link-sso" aria-label="Link single sign-on for Admin Person">Link single sign-on</button>');
      expect(rowOf('Auditor Person')).toContain('<td class="sign-in-methods" data-label="Sign-in">Token only</td>');
      expect(res.text).toContain('<dialog id="sso-dialog"');
      expect(res.text).toContain('<label for="sso-sub">Subject identifier (sub)</label>');
      expect(res.text).not.toContain('idp|engineer-7');
      expect(res.text).not.toMatch(/<script>|style="/);
    });

    it('shows the audit log filtered by ticket (reference or id), credential, action and time (UTC), with paging and an export link', async () => {
      const cookie = await signIn(tv, 'auditor');
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-9' });
      const { credentialId } = await submitCredential(tv, linkToken);
      await revealAs(tv, credentialId, 'engineer', 'Checking the upload folder').expect(200);

      const all = await tv.http.get(`/console/audit?ticketId=${ticketId}`).set('Cookie', cookie).expect(200);
      expect(all.text).toContain('Checking the upload folder');
      expect(all.text).toContain(`href="/api/v1/audit/export?ticketId=${ticketId}"`);
      const reveals = await tv.http.get(`/console/audit?action=credential.revealed&credentialId=${credentialId}`).set('Cookie', cookie).expect(200);
      expect(reveals.text.match(/<tr data-action="/g)).toHaveLength(1);
      const later = await tv.http.get('/console/audit?since=2026-03-01T09:01').set('Cookie', cookie).expect(200);
      expect(later.text).toContain('No events match.');
      const earlier = await tv.http.get('/console/audit?since=2026-03-01T08:59&until=2026-03-01T09:01').set('Cookie', cookie).expect(200);
      expect(earlier.text).toContain('Credential revealed');
      const byRef = await tv.http.get('/console/audit?ticketId=ZD-9&action=credential.revealed&since=2026-03-01T08:00').set('Cookie', cookie).expect(200);
      expect(byRef.text.match(/<tr data-action="/g)).toHaveLength(1);
      expect(byRef.text).toContain('>ZD-9</a>');
      // Credentials by label, not by an id prefix; the export asks GET /audit/export for the ticket's id and UTC times.
      expect(byRef.text).toContain(`<a class="credential-link" href="/console/audit?ticketId=ZD-9&amp;action=credential.revealed&amp;since=2026-03-01T08%3A00&amp;credentialId=${credentialId}" title="Only events of this credential">Shop FTP</a>`);
      expect(byRef.text).not.toContain(`>${credentialId.slice(0, 8)}<`);
      expect(byRef.text).toContain(`href="/api/v1/audit/export?ticketId=${ticketId}&amp;action=credential.revealed&amp;since=2026-03-01T08%3A00Z"`);
      const byCredential = await tv.http.get(`/console/audit?credentialId=${credentialId}`).set('Cookie', cookie).expect(200);
      expect(byCredential.text).toContain('<p class="field__hint" id="f-credential-hint">“Shop FTP” on ZD-9</p>');
      // Detail codes in words: the kind sent, how a sign-in went, why a reveal was refused.
      expect(all.text).toMatch(/Credential sent<\/span><span class="cell-note">FTP \/ SFTP<\/span>/);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      await revealAs(tv, credentialId, 'engineer', 'One more look').expect(410);
      const refused = await tv.http.get('/console/audit?ticketId=ZD-9&action=credential.reveal_denied').set('Cookie', cookie).expect(200);
      expect(refused.text).toContain('Reveal refused</span><span class="cell-note">Ticket closed</span>');
      const signIns = await tv.http.get('/console/audit?action=staff.login').set('Cookie', cookie).expect(200);
      expect(signIns.text).toContain('Signed in</span><span class="cell-note">With password</span>');
      expect((await tv.http.get('/console/audit?ticketId=ZD-404').set('Cookie', cookie).expect(400)).text).toContain('No ticket has that reference or id.');
      expect((await tv.http.get('/console/audit?credentialId=nope').set('Cookie', cookie).expect(400)).text).toContain('That filter is not valid');

      for (let i = 0; i < 60; i++) await openTicketWithLink(tv);
      const first = await tv.http.get('/console/audit').set('Cookie', cookie).expect(200);
      const older = /href="(\/console\/audit\?cursor=[^"]+)"/.exec(first.text)?.[1];
      expect(older).toBeDefined();
      const second = await tv.http.get(older!.replace(/&amp;/g, '&')).set('Cookie', cookie).expect(200);
      expect(second.text).toContain('Newest events');
    });
  });
});

describe('the connection string a reveal offers', () => {
  it('is a file-transfer URL for FTP/SFTP: protocol (sftp by default), user, host, port and folder, never the password', () => {
    expect(connectionString('ftp', { host: 'ftp.shop.test', username: 'vendor-support', protocol: 'ftps', port: '990', path: '/upload', password: 'pw' })).toBe('ftps://vendor-support@ftp.shop.test:990/upload');
    expect(connectionString('ftp', { host: 'ftp.shop.test', username: 'vendor-support' })).toBe('sftp://vendor-support@ftp.shop.test');
    expect(connectionString('ftp', { host: ' ftp.shop.test ', username: 'shop@support', path: 'web root/#1?' })).toBe('sftp://shop%40support@ftp.shop.test/web%20root/%231%3F');
    expect(connectionString('ftp', { host: '2001:db8::7', username: 'u', port: '22' })).toBe('sftp://u@[2001:db8::7]:22');
  });

  it('is an ssh command for SSH, quoted for the shell where a value needs it', () => {
    expect(connectionString('ssh', { host: 'build.shop.test', username: 'deploy', port: '2200', privateKey: 'k' })).toBe('ssh -p 2200 deploy@build.shop.test');
    expect(connectionString('ssh', { host: 'build.shop.test', username: 'deploy' })).toBe('ssh deploy@build.shop.test');
    expect(connectionString('ssh', { host: 'build.shop.test', username: "o'neil; rm -rf /" })).toBe(`ssh 'o'\\''neil; rm -rf /@build.shop.test'`);
  });

  it('is the TeamViewer ID without its spaces, and nothing for kinds without one', () => {
    expect(connectionString('teamviewer', { partnerId: '123 456 789', password: 'pw' })).toBe('123456789');
    for (const kind of ['api', 'web-login', 'other']) expect(connectionString(kind, { key: 'k', url: 'https://shop.test', notes: 'n' })).toBeNull();
  });
});

describe("the audit view's words for an event's detail", () => {
  const words = (action: string, detail: string | null) => auditDetailWords(consoleStringsFor(), { action: action as never, detail });

  it('names staff changes by e-mail with what changed, never the JSON', () => {
    expect(words('staff.changed', JSON.stringify({ staffId: 'x', email: 'sam@vendor.test', changed: ['name', 'role'], role: { from: 'engineer', to: 'auditor' } }))).toBe(
      'sam@vendor.test: role Engineer → Auditor, name changed',
    );
    expect(words('staff.added', JSON.stringify({ staffId: 'x', email: 'sam@vendor.test', role: 'admin', hasPassword: true }))).toBe('sam@vendor.test: as Admin');
    expect(words('staff.disabled', JSON.stringify({ staffId: 'x', email: 'sam@vendor.test' }))).toBe('sam@vendor.test');
  });

  it('says how a sign-in went or why it failed, and why a credential ended', () => {
    expect(words('staff.login_failed', 'wrong_password')).toBe('Wrong password');
    expect(words('staff.login_failed', 'oidc_token_expired')).toBe('Single sign-on refused');
    expect(words('staff.login_failed', 'sso_link_refused:has_password')).toBe('Single sign-on not linked to this account');
    expect(words('credential.purged', 'withdrawn')).toBe('Withdrawn by the customer');
    expect(words('credential.reveal_denied', 'credential_restricted')).toBe('Frozen by the customer');
    expect(words('keys.rotated', JSON.stringify({ kekId: 'k2', rewrapped: { dataKeys: 12, receiptTokens: 3, vaultKeys: 2 } }))).toBe('12 data keys re-wrapped');
  });

  it("leaves out a link's id and keeps a note it has no words for", () => {
    expect(words('intake_link.created', '0190a6a4-0000-7000-8000-000000000000')).toBe('');
    expect(words('credential.reveal_denied', 'some_new_code')).toBe('some_new_code');
    expect(words('staff.changed', 'not json')).toBe('not json');
    expect(words('ticket.closed', null)).toBe('');
  });
});
