import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Response } from 'supertest';
import {
  createTestVault,
  DAY,
  FTP_FIELDS,
  openTicketWithLink,
  revealAs,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// The customer pages /s/<token> and /r/<token>, through real HTTP (supertest), SQLite and libsodium.

const XSS = '<img src=x onerror=alert(1)>';

/** DESIGN.md "Credential kinds and their fields", written out here so the pages cannot drift from it. */
const DESIGN_FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  ftp: { required: ['host', 'username'], optional: ['protocol', 'port', 'password', 'privateKey', 'path', 'notes'] },
  ssh: { required: ['host', 'username'], optional: ['port', 'password', 'privateKey', 'notes'] },
  teamviewer: { required: ['partnerId', 'password'], optional: ['notes'] },
  api: { required: ['key'], optional: ['baseUrl', 'secret', 'notes'] },
  'web-login': { required: ['url', 'username', 'password'], optional: ['notes'] },
  other: { required: ['notes'], optional: [] },
  // DESIGN "Attachments": its files come through the picker; notes are optional.
  file: { required: [], optional: ['notes'] },
};

function expectPageHeaders(res: Response) {
  expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  const csp = String(res.headers['content-security-policy']);
  const directives = Object.fromEntries(
    csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]),
  );
  expect(directives['script-src']).toBe("'self' 'wasm-unsafe-eval'");
  expect(directives['style-src']).toBe("'self'");
  expect(directives['frame-ancestors']).toBe("'none'");
  expect(directives['base-uri']).toBe("'none'");
  expect(directives['form-action']).toBe("'self'");
  expect(directives['default-src']).toBe("'self'");
  expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'|https?:/);
}

/** Every attribute value and the title of a page, which must never hold a link's token. */
function attributesAndTitle(html: string): string[] {
  const attributes = [...html.matchAll(/\s[\w:-]+="([^"]*)"/g)].map((m) => m[1]!);
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
  return [...attributes, title];
}

/** The data-field names of each kind's fieldset on the intake page, and which are required. */
function formFields(html: string): Record<string, { required: string[]; optional: string[] }> {
  const out: Record<string, { required: string[]; optional: string[] }> = {};
  for (const [, kind, body] of html.matchAll(/<fieldset class="kind-fields" data-kind="([\w-]+)"[^>]*>([\s\S]*?)<\/fieldset>/g)) {
    const inputs = [...body!.matchAll(/<(?:input|textarea|select)\b[^>]*\bdata-field="(\w+)"[^>]*>/g)];
    out[kind!] = {
      required: inputs.filter((m) => /\srequired\b/.test(m[0])).map((m) => m[1]!),
      optional: inputs.filter((m) => !/\srequired\b/.test(m[0])).map((m) => m[1]!),
    };
  }
  return out;
}

describe('customer pages', () => {
  let tv: TestVault;
  beforeAll(async () => {
    tv = await createTestVault({ VENDOR_NAME: 'Acme <b>Software</b>' });
  });
  afterAll(() => tv.close());

  describe('GET /s/:token (intake page)', () => {
    it('responds 200 with the page headers: strict CSP, no-referrer, no-store', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expectPageHeaders(res);
      expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
    });

    it('says who is asking and why: vendor, ticket reference and subject, link expiry, when credentials are destroyed, the dedicated-account note', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-4711', subject: 'Upload to shop fails' });
      const described = await tv.vault.intakeLinks.describeIntakeLink(linkToken);
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expect(res.text).toContain('ZD-4711');
      expect(res.text).toContain('Upload to shop fails');
      expect(res.text).toContain('Acme &lt;b&gt;Software&lt;/b&gt;');
      expect(res.text).toContain(`<time datetime="${described.expiresAt}"`);
      expect(res.text).toContain(`<time datetime="${described.credentialsExpireAt}"`);
      expect(res.text).toMatch(/create a separate account just for .* and delete it once the ticket is done/);
      expect(res.text).toContain(`data-public-key="${described.publicKey}"`);
      expect(res.text).toContain('<script type="module" src="/assets/pages.js"></script>');
      expect(res.text).toContain('<link rel="stylesheet" href="/assets/pages.css">');
    });

    it('offers a form per kind with exactly the fields of DESIGN.md, each labelled, and no input a browser would post', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expect(formFields(res.text)).toEqual(DESIGN_FIELDS);
      for (const [, id] of res.text.matchAll(/<(?:input|textarea|select)\b[^>]*\bid="([^"]+)"/g)) {
        expect(res.text).toContain(`<label for="${id}"`);
      }
      // Only the kind radios have a name: a form submitted without the script sends no secret.
      const named = [...res.text.matchAll(/<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(named)).toEqual(new Set(['kind']));
      expect(res.text).toMatch(/<select id="intake-ftp-protocol"[\s\S]*?<option value="sftp" selected>/);
      // Each kind's fields are titled by the kind; the files' own notes are "about the files", not "Files details".
      expect(res.text).toContain('<legend>FTP / SFTP details</legend>');
      expect(res.text).toContain('<legend>About the files</legend>');
      expect(res.text).not.toContain('Files details');
    });

    it('escapes a ticket subject holding HTML', async () => {
      const { linkToken } = await openTicketWithLink(tv, { subject: XSS, externalRef: `"><svg onload=alert(1)>` });
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(res.text).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
      expect(res.text).not.toContain('<img');
      expect(res.text).not.toContain('<svg');
    });

    it('never puts the token in the title or any attribute, nor anywhere in the page or the log', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expect(res.text).not.toContain(linkToken);
      for (const value of attributesAndTitle(res.text)) expect(value).not.toContain(linkToken);
      expect(tv.logs.join('')).not.toContain(linkToken);
      expect(tv.logs.join('')).toContain('"route":"/s/:token"');
    });

    it('does not use the link up: a one-use link opens many times and still takes its one submission', async () => {
      const { linkToken, linkId } = await openTicketWithLink(tv, {}, { maxUses: 1 });
      for (let i = 0; i < 3; i++) await tv.http.get(`/s/${linkToken}`).expect(200);
      expect((await tv.query('SELECT uses FROM intake_links WHERE id = ?', linkId))[0]!.uses).toBe(0);
      await submitCredential(tv, linkToken);
      const after = await tv.http.get(`/s/${linkToken}`).expect(410);
      expect(after.text).toContain('This link has already been used');
    });

    it('answers an unknown or malformed token with the friendly 404 page', async () => {
      // The last two cannot be percent-decoded: a link mangled by a mail client still gets the page.
      for (const path of ['/s/' + 'A'.repeat(43), '/s/not-a-token', '/s/', '/s/a/b', '/s/%E0%A4%A', '/s/%']) {
        const res = await tv.http.get(path).expect(404);
        expectPageHeaders(res);
        expect(res.text).toContain('This link does not work');
        expect(res.text).toContain('ask support for a new link');
        expect(res.text).not.toContain('<script');
      }
    });

    describe('answers a link that no longer works with the friendly 410 page', () => {
      it.each([
        ['expired', 'This link has expired'],
        ['revoked', 'This link was revoked'],
        ['closed', 'This ticket is closed'],
        ['support ended', 'The support period has ended'],
      ])('when the link is %s', async (why, heading) => {
        const { linkToken, linkId, ticketId } = await openTicketWithLink(
          tv,
          why === 'support ended' ? { supportUntil: new Date(tv.clock.now() + 2 * DAY).toISOString() } : {},
          why === 'expired' ? { ttlSeconds: 60 } : {},
        );
        let restore = 0;
        if (why === 'expired') restore = 61_000;
        if (why === 'support ended') restore = 3 * DAY;
        if (why === 'revoked') await tv.http.delete(`/api/v1/intake-links/${linkId}`).set(tv.auth()).expect(204);
        if (why === 'closed') await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
        tv.clock.advance(restore);
        try {
          const res = await tv.http.get(`/s/${linkToken}`).expect(410);
          expectPageHeaders(res);
          expect(res.text).toContain(heading);
          expect(res.text).toContain('ask them for a new link');
          expect(res.text).not.toContain(linkToken);
        } finally {
          tv.clock.advance(-restore);
        }
      });
    });
  });

  describe('GET /r/:token (receipt page)', () => {
    it('shows each credential with kind, status, expiry and who revealed it, and never a secret', async () => {
      const { linkToken } = await openTicketWithLink(tv, { subject: XSS });
      const { credentialId, receiptToken, expiresAt } = await submitCredential(tv, linkToken, {
        kind: 'ftp',
        label: 'Shop <FTP>',
        fields: FTP_FIELDS,
      });
      await revealAs(tv, credentialId, 'engineer', 'Checking the <upload> folder').expect(200);

      const res = await tv.http.get(`/r/${receiptToken}`).expect(200);
      expectPageHeaders(res);
      expect(res.text).toContain('Shop &lt;FTP&gt;');
      expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(res.text).not.toContain('<img');
      expect(res.text).toContain('FTP / SFTP');
      expect(res.text).toMatch(/<span class="badge badge--active" data-status="active">Active<\/span>/);
      expect(res.text).toContain(`<time datetime="${expiresAt}"`);
      expect(res.text).toContain('Engineer Person');
      expect(res.text).toContain('Checking the &lt;upload&gt; folder');
      for (const action of ['restrict', 'rectify', 'withdraw', 'withdraw-confirm']) expect(res.text).toContain(`data-action="${action}"`);
      expect(res.text).toContain('id="export"');
      expect(res.text).toMatch(/<input type="checkbox" id="notify-on-reveal" checked>/);
      // The port ('22') is too short to look for: it occurs by chance in ids and times.
      for (const secret of Object.values(FTP_FIELDS).filter((v) => v.length >= 8)) expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain(receiptToken);
      for (const value of attributesAndTitle(res.text)) expect(value).not.toContain(receiptToken);
      expect(tv.logs.join('')).not.toContain(receiptToken);
      expect(tv.logs.join('')).toContain('"route":"/r/:token"');
    });

    it('offers to lift a restriction, and no action on a withdrawn credential', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const a = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/receipts/${a.receiptToken}/credentials/${a.credentialId}/restrict`).expect(200);
      const restricted = await tv.http.get(`/r/${a.receiptToken}`).expect(200);
      expect(restricted.text).toContain('data-action="unrestrict"');
      expect(restricted.text).not.toContain('data-action="restrict"');
      expect(restricted.text).toContain('Frozen');

      const b = await submitCredential(tv, linkToken);
      await tv.http.delete(`/api/v1/receipts/${b.receiptToken}/credentials/${b.credentialId}`).expect(204);
      const withdrawn = await tv.http.get(`/r/${b.receiptToken}`).expect(200);
      expect(withdrawn.text).not.toContain('data-action=');
      expect(withdrawn.text).toContain('Ended because you withdrew it.');
      // Preferences end with the receipt's last live credential (410 from the API): no switch to flip.
      expect(withdrawn.text).not.toContain('id="notify-on-reveal"');
      expect(withdrawn.text).toContain('id="export"');
    });

    it('still opens after the ticket closed, showing the credential expired', async () => {
      const { linkToken, ticketId } = await openTicketWithLink(tv);
      const { receiptToken } = await submitCredential(tv, linkToken);
      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const res = await tv.http.get(`/r/${receiptToken}`).expect(200);
      expect(res.text).toContain('data-status="expired"');
      expect(res.text).toContain('Ended because the ticket was closed.');
      expect(res.text).not.toContain('data-action=');
    });

    it('answers an unknown receipt token with the friendly 404 page', async () => {
      const res = await tv.http.get('/r/' + 'B'.repeat(43)).expect(404);
      expectPageHeaders(res);
      expect(res.text).toContain('This receipt link does not work');
      await tv.http.get('/r/').expect(404);
      const mangled = await tv.http.get('/r/%E0%A4%A').expect(404);
      expectPageHeaders(mangled);
      expect(mangled.text).toContain('This receipt link does not work');
    });
  });

  describe('GET /assets/*', () => {
    beforeAll(() => {
      execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-web.mjs', import.meta.url))], { stdio: 'inherit' });
    });

    it('serves the bundled script and stylesheet same-origin', async () => {
      const js = await tv.http.get('/assets/pages.js').expect(200);
      expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
      expect(js.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(js.text).toContain('crypto_box_seal');
      const css = await tv.http.get('/assets/pages.css').expect(200);
      expect(css.headers['content-type']).toMatch(/^text\/css/);
      expect(css.text).toContain('.kind-option');
    });

    it('serves nothing outside the bundle folder', async () => {
      await tv.http.get('/assets/../package.json').expect(404);
      await tv.http.get('/assets/%2e%2e/%2e%2e/package.json').expect(404);
      await tv.http.get('/assets/').expect(404);
    });
  });
});
