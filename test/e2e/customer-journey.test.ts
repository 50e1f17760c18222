import { jest } from '@jest/globals';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openTicketWithLink, revealAs, tokenOf } from '../harness/test-vault.js';
import { launchChromium, screenshot, startVault, watchPage, type LoggedRequest, type RunningVault } from './browser-harness.js';

// A customer's whole journey in real Chromium against a real vault on loopback: intake, sealing
// in the browser, staff reveal through the API, then the receipt page's rights.

jest.setTimeout(180_000);

const SFTP = {
  host: 'sftp.shop-canary.example',
  username: 'vendor-support-canary',
  port: '2222',
  password: 'CANARY-sftp-Pa55word!',
  privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nCANARYkeyMATERIALb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----',
  path: '/var/www/canary-shop',
  notes: 'CANARY-notes: ünïcødé and "quotes"',
};
const TEAMVIEWER = { partnerId: '987 654 321', password: 'CANARY-tv-Secret#9', notes: 'CANARY-tv-notes: call first' };
const REPLACED = { host: 'sftp2.shop-canary.example', username: 'vendor-support-canary-2', password: 'CANARY-replaced-Pa55!' };

/**
 * Each plaintext value, and the forms it would take inside a JSON or URL-encoded body. Values under
 * 8 characters (the port) are left out: they could occur by chance in a ciphertext or the server's port.
 */
function plaintextForms(values: string[]): string[] {
  return values.filter((v) => v.length >= 8).flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]);
}

function expectNoPlaintext(requests: LoggedRequest[], values: string[]) {
  const forms = plaintextForms(values);
  for (const req of requests) {
    for (const form of forms) {
      expect({ url: req.url, bodyHasPlaintext: req.body.includes(form), urlHasPlaintext: req.url.includes(form) }).toEqual({
        url: req.url,
        bodyHasPlaintext: false,
        urlHasPlaintext: false,
      });
    }
  }
}

describe('customer journey in Chromium', () => {
  let vault: RunningVault;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let log: ReturnType<typeof watchPage>;
  const submitted: { credentialId: string; receiptUrl: string }[] = [];
  const tokens: string[] = [];

  beforeAll(async () => {
    vault = await startVault();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    log = watchPage(page);
    page.on('response', async (res) => {
      if (res.request().method() === 'POST' && /\/api\/v1\/intake\/[^/]+\/credentials$/.test(res.url()) && res.status() === 201) {
        submitted.push((await res.json()) as { credentialId: string; receiptUrl: string });
      }
    });
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  it('submits an SFTP and a TeamViewer credential sealed in the browser; no request carries a plaintext field', async () => {
    const { linkToken } = await openTicketWithLink(vault.tv, { externalRef: 'ZD-1042', subject: 'Shop upload fails since Monday' });
    tokens.push(linkToken);
    const response = await page.goto(`${vault.url}/s/${linkToken}`);
    expect(response!.status()).toBe(200);
    await expect(page.title()).resolves.not.toContain(linkToken);
    await page.getByRole('button', { name: 'Encrypt and send' }).waitFor();
    await screenshot(page, 'intake-desktop');

    // SFTP: FTP / SFTP is the first kind and sftp the default protocol.
    await expect(page.getByRole('radio', { name: /FTP \/ SFTP/ }).isChecked()).resolves.toBe(true);
    await expect(page.locator('#intake-ftp-protocol').inputValue()).resolves.toBe('sftp');
    await page.getByLabel('Name for this credential').fill('Shop SFTP');
    await page.locator('#intake-ftp-host').fill(SFTP.host);
    await page.locator('#intake-ftp-username').fill(SFTP.username);
    await page.locator('#intake-ftp-port').fill(SFTP.port);
    await page.locator('#intake-ftp-password').fill(SFTP.password);
    await page.locator('#intake-ftp-privateKey').fill(SFTP.privateKey);
    await page.locator('#intake-ftp-path').fill(SFTP.path);
    await page.locator('#intake-ftp-notes').fill(SFTP.notes);

    const show = page.getByRole('button', { name: 'Show Password' }).first();
    await show.click();
    await expect(page.locator('#intake-ftp-password').getAttribute('type')).resolves.toBe('text');
    await page.getByRole('button', { name: 'Hide Password' }).first().click();
    await expect(page.locator('#intake-ftp-password').getAttribute('type')).resolves.toBe('password');

    await page.getByRole('button', { name: 'Encrypt and send' }).click();
    await page.locator('#sent-list > li').first().waitFor();
    await expect(page.locator('#intake-ftp-host').inputValue()).resolves.toBe('');

    // TeamViewer, from the same page: the form is ready for another credential.
    await page.getByRole('radio', { name: /TeamViewer/ }).check();
    await page.getByLabel('Name for this credential').fill('Office PC');
    await page.locator('#intake-teamviewer-partnerId').fill(TEAMVIEWER.partnerId);
    await page.locator('#intake-teamviewer-password').fill(TEAMVIEWER.password);
    await page.locator('#intake-teamviewer-notes').fill(TEAMVIEWER.notes);
    await page.getByRole('button', { name: 'Encrypt and send' }).click();
    await page.getByText('“Office PC” was encrypted and sent.').waitFor();
    await screenshot(page, 'intake-sent');

    // One visit, one receipt: the second credential joined the first one's receipt link.
    await expect(page.locator('#sent-list > li').count()).resolves.toBe(1);
    const receiptUrls = await Promise.all((await page.locator('#sent-list input[readonly]').all()).map((input) => input.inputValue()));
    expect(receiptUrls).toHaveLength(1);
    expect(receiptUrls[0]).toMatch(new RegExp(`^${vault.url}/r/[A-Za-z0-9_-]{43}$`));
    expect(submitted.map((s) => s.receiptUrl)).toEqual([receiptUrls[0], receiptUrls[0]]);
    await expect(page.getByText('“Shop SFTP” was encrypted and sent.').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Receipt link for everything you sent from this page').inputValue()).resolves.toBe(receiptUrls[0]);

    const posts = log.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    const bodies = posts.map((post) => JSON.parse(post.body) as Record<string, unknown>);
    expect(Object.keys(bodies[0]!).sort()).toEqual(['kind', 'label', 'sealed']);
    expect(Object.keys(bodies[1]!).sort()).toEqual(['kind', 'label', 'receipt', 'sealed']);
    expect(`${vault.url}/r/${bodies[1]!.receipt}`).toBe(receiptUrls[0]);
    for (const body of bodies) expect(body.sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expectNoPlaintext(log.requests, [...Object.values(SFTP), ...Object.values(TEAMVIEWER)]);
    for (const req of log.requests) expect(new URL(req.url).origin).toBe(vault.url);
    expect(log.consoleErrors).toEqual([]);
  });

  it('reveals through the API exactly the fields the customer typed', async () => {
    expect(submitted).toHaveLength(2);
    const sftp = await revealAs(vault.tv, submitted[0]!.credentialId, 'engineer', 'Fixing the upload folder').expect(200);
    expect(sftp.body).toMatchObject({ kind: 'ftp', label: 'Shop SFTP' });
    expect(sftp.body.fields).toEqual({ ...SFTP, protocol: 'sftp' });
    const tv = await revealAs(vault.tv, submitted[1]!.credentialId, 'engineer', 'Remote session booked').expect(200);
    expect(tv.body).toMatchObject({ kind: 'teamviewer', label: 'Office PC' });
    expect(tv.body.fields).toEqual(TEAMVIEWER);
  });

  it('on the receipt page: sees the reveal, restricts (a reveal is denied 423), lifts, replaces sealed, sets the preference, exports, withdraws', async () => {
    const { credentialId, receiptUrl } = submitted[0]!;
    const receiptToken = tokenOf(receiptUrl);
    tokens.push(receiptToken);
    const card = page.locator(`[data-credential-id="${credentialId}"]`);
    const requestsBefore = log.requests.length;

    await page.goto(receiptUrl);
    await expect(page.title()).resolves.not.toContain(receiptToken);
    await expect(card.locator('.reveals tbody tr').innerText()).resolves.toMatch(/Engineer Person\s+Fixing the upload folder/);
    await expect(card.locator('[data-status]').innerText()).resolves.toBe('Active');
    await screenshot(page, 'receipt-desktop');

    await card.getByRole('button', { name: 'Freeze' }).click();
    await card.locator('[data-status="restricted"]').waitFor();
    await expect(page.locator('#receipt-status').innerText()).resolves.toContain('“Shop SFTP” is frozen: nobody can reveal it.');
    const denied = await revealAs(vault.tv, credentialId).expect(423);
    expect(denied.body.code).toBe('credential_restricted');
    await screenshot(page, 'receipt-restricted');

    await card.getByRole('button', { name: 'Unfreeze' }).click();
    await card.locator('[data-status="active"]').waitFor();
    await expect(page.evaluate(`document.activeElement?.getAttribute('data-action')`)).resolves.toBe('restrict');
    await revealAs(vault.tv, credentialId).expect(200);

    // Replace (rectify): sealed in the browser like intake.
    await card.getByRole('button', { name: 'Replace' }).click();
    const replace = card.locator('form[data-panel="rectify"]');
    await replace.locator('[data-field="host"]').fill(REPLACED.host);
    await replace.locator('[data-field="username"]').fill(REPLACED.username);
    await replace.locator('[data-field="password"]').fill(REPLACED.password);
    await replace.getByRole('button', { name: 'Encrypt and replace' }).click();
    await page.locator('#receipt-status', { hasText: '“Shop SFTP” was replaced. The old details are destroyed.' }).waitFor();
    const rectified = await revealAs(vault.tv, credentialId).expect(200);
    expect(rectified.body.fields).toEqual({ ...REPLACED, protocol: 'sftp' });
    const put = log.requests.slice(requestsBefore).find((r) => r.method === 'PUT' && r.url.includes('/credentials/'));
    expect(Object.keys(JSON.parse(put!.body) as object)).toEqual(['sealed']);

    // The reveal-notice preference.
    await page.getByLabel('E-mail me each time someone reveals one of these credentials').uncheck();
    await page.locator('#receipt-status', { hasText: 'You will not get e-mails when someone reveals a credential.' }).waitFor();
    expect((await vault.tv.vault.receipts.viewReceipt(receiptToken)).preferences.notifyOnReveal).toBe(false);

    // Export downloads the JSON.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data (JSON)' }).click()]);
    expect(download.suggestedFilename()).toBe('ticketvault-ZD-1042-export.json');
    const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { credentials: { id: string }[] };
    // Both credentials of the visit are on its one receipt, and so in its export.
    expect(exported.credentials.map((c) => c.id).sort()).toEqual(submitted.map((s) => s.credentialId).sort());

    // Withdraw, with a confirm step that can be cancelled.
    await card.getByRole('button', { name: 'Withdraw' }).click();
    await card.getByRole('button', { name: 'Cancel' }).last().click();
    await expect(card.locator('[data-panel="withdraw"]').isHidden()).resolves.toBe(true);
    await card.getByRole('button', { name: 'Withdraw' }).click();
    await screenshot(page, 'receipt-withdraw-confirm');
    await card.getByRole('button', { name: 'Yes, withdraw and destroy it' }).click();
    await card.locator('[data-status="purged"]').waitFor();
    await expect(card.innerText()).resolves.toContain('Ended because you withdrew it.');
    const gone = await revealAs(vault.tv, credentialId).expect(410);
    expect(gone.body.code).toBe('credential_withdrawn');
    await screenshot(page, 'receipt-withdrawn');

    expectNoPlaintext(log.requests, [...Object.values(SFTP), ...Object.values(REPLACED)]);
    expect(log.consoleErrors).toEqual([]);
  });

  it('shows the friendly 410 page for an expired link and the 404 page for an unknown one', async () => {
    const { linkToken } = await openTicketWithLink(vault.tv, {}, { ttlSeconds: 60 });
    vault.tv.clock.advance(61_000);
    const expired = await page.goto(`${vault.url}/s/${linkToken}`);
    expect(expired!.status()).toBe(410);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('This link has expired');
    await screenshot(page, 'intake-410-expired');

    const unknown = await page.goto(`${vault.url}/s/${'x'.repeat(43)}`);
    expect(unknown!.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('This link does not work');
    await screenshot(page, 'intake-404');
  });

  it('never wrote a link token, a receipt token or a secret to the log', () => {
    const logs = vault.tv.logs.join('');
    expect(logs).toContain('"route":"/s/:token"');
    const secrets = [...Object.values(SFTP), ...Object.values(TEAMVIEWER), ...Object.values(REPLACED)].filter((v) => v.length >= 8);
    for (const value of [...tokens, ...secrets]) expect(logs.includes(value)).toBe(false);
  });
});
