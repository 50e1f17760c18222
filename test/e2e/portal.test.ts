import fs from 'node:fs';
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { startSmtpSink, type SmtpSink } from '../harness/smtp-sink.js';
import { auditEvents, openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';
import { openConsoleTab } from './console-viewports.js';

// Issue 17, the customer portal and "ask me first" (docs/decisions/027), in Debian's Chromium: the
// customer asks for a sign-in link, reads it from a real SMTP server, signs in, sees every ticket,
// downloads everything, turns on "ask me first"; an engineer's reveal in the console then waits,
// the customer approves by the mailed link, the engineer reveals; a second round is refused. At
// 360 px and on a desktop, axe-clean, and in Polish.

jest.setTimeout(240_000);

const CUSTOMER = 'casey@shop.test';
const SIZES = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: '360', width: 360, height: 780 },
] as const;
const FTP = { host: 'ftp.portal-canary.example', username: 'vendor-support', password: 'CANARY-portal-ftp' };

describe('customer portal (issue 17)', () => {
  let sink: SmtpSink;
  let vault: RunningVault;
  let browser: Browser;
  const ids: Record<string, string> = {};
  let ticketUrl = '';

  beforeAll(async () => {
    sink = await startSmtpSink();
    vault = await startVault({ SMTP_URL: sink.url, VENDOR_NAME: 'Acme Software' });
    await givePassword(vault.tv, 'engineer');
    const first = await openTicketWithLink(vault.tv, { customerEmail: CUSTOMER, externalRef: 'ZD-7001', subject: 'Upload to shop fails' });
    ticketUrl = `${vault.url}/console/tickets/${first.ticketId}`;
    ids.ftp = (await submitCredential(vault.tv, first.linkToken, { kind: 'ftp', label: 'Shop FTP', fields: FTP })).credentialId;
    ids.api = (await submitCredential(vault.tv, first.linkToken, { kind: 'api', label: 'Payments API', fields: { key: 'CANARY-portal-api' } })).credentialId;
    const second = await openTicketWithLink(vault.tv, { customerEmail: 'Casey@Shop.test', externalRef: 'ZD-7002', subject: 'Backups stopped' });
    ids.other = (await submitCredential(vault.tv, second.linkToken, { kind: 'other', label: 'Backup notes', fields: { notes: 'CANARY-portal-notes' } })).credentialId;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
    await sink?.stop();
  });

  const mailsOf = (kind: string) => sink.messages.filter((m) => m.headers['x-ticketvault-notice'] === kind);
  async function lastLink(kind: string, path: string): Promise<string> {
    await vault.tv.vault.portalMails.sendDuePortalMails();
    const mail = mailsOf(kind).at(-1)!;
    const match = new RegExp(`${vault.url}${path}[A-Za-z0-9_-]{43}`).exec(mail.body);
    expect(match).not.toBeNull();
    return match![0];
  }

  async function customerContext(size: { width: number; height: number }, locale = 'en-GB'): Promise<BrowserContext> {
    return browser.newContext({
      viewport: { width: size.width, height: size.height },
      locale,
      acceptDownloads: true,
      ...(size.width < 400 ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
    });
  }

  /** Asks for a link on the portal's form, opens it from the mail, and signs in. */
  async function signIn(page: Page, found: Record<string, unknown>, name: string, texts = { send: 'E-mail me a sign-in link', sent: 'Check your e-mail', signIn: 'Sign in' }) {
    await page.goto(`${vault.url}/portal`);
    await page.locator('#portal-email').fill(CUSTOMER);
    await page.getByRole('button', { name: texts.send }).click();
    await page.getByRole('heading', { name: texts.sent }).waitFor();
    found[`sent-${name}`] = await seriousAxeViolations(page);
    await screenshot(page, `portal-sent-${name}`);
    const link = await lastLink('sign_in', '/portal/sign-in/');
    await page.goto(link);
    found[`link-${name}`] = await seriousAxeViolations(page);
    await screenshot(page, `portal-link-${name}`);
    await page.getByRole('button', { name: texts.signIn, exact: true }).click();
    await page.waitForURL(/\/portal(\?lang=[a-z]{2})?$/);
  }

  it.each(SIZES)('at $name: signs in through the mailed link, sees every ticket with its reveals, downloads everything', async (size) => {
    const context = await customerContext(size);
    const page = await context.newPage();
    const log = watchPage(page);
    const found: Record<string, unknown> = {};
    await page.goto(`${vault.url}/portal`);
    await page.getByRole('heading', { level: 1, name: 'Your customer portal' }).waitFor();
    found.form = await seriousAxeViolations(page);
    await screenshot(page, `portal-form-${size.name}`);
    await signIn(page, found, size.name);

    await page.getByText(`Signed in as ${CUSTOMER}.`).waitFor();
    for (const text of ['ZD-7001', 'ZD-7002', 'Shop FTP', 'Payments API', 'Backup notes']) await page.getByText(text).first().waitFor();
    await expect(page.content()).resolves.not.toContain(FTP.password);
    found.portal = await seriousAxeViolations(page);
    await screenshot(page, `portal-signed-in-${size.name}`);
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(size.width);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download everything (JSON)' }).click()]);
    expect(download.suggestedFilename()).toBe('ticketvault-portal-export.json');
    const file = await download.path();
    const exported = JSON.parse(fs.readFileSync(file!, 'utf8')) as { email: string; tickets: Array<{ externalRef: string; credentials: Array<{ label: string }> }> };
    expect(exported.email).toBe(CUSTOMER);
    expect(exported.tickets.map((t) => t.externalRef).sort()).toEqual(['ZD-7001', 'ZD-7002']);
    expect(exported.tickets.flatMap((t) => t.credentials.map((c) => c.label)).sort()).toEqual(['Backup notes', 'Payments API', 'Shop FTP']);
    expect(fs.readFileSync(file!, 'utf8')).not.toContain('CANARY');

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    await context.close();
  });

  it('ask me first: the console shows the pending request, the customer approves by the mailed link on a 360 px phone, the engineer reveals; a second round is refused', async () => {
    const found: Record<string, unknown> = {};
    // The customer answers from the mail on a phone; the engineer works in the console on a desktop.
    const phone = SIZES[1];
    const customer = await customerContext(phone);
    const page = await customer.newPage();
    const fitsThePhone = () => expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(phone.width);
    const log = watchPage(page);
    await signIn(page, found, 'ask-first');
    await page.getByLabel('Ask me first: a reveal waits until I approve it').check();
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.getByText('Your choices are saved.').waitFor();
    await expect(page.getByLabel('Ask me first: a reveal waits until I approve it').isChecked()).resolves.toBe(true);
    await fitsThePhone();
    await screenshot(page, 'portal-ask-first-on-360');

    const tab = await openConsoleTab(browser, vault.url, 'engineer@vendor.test', { width: 1366, height: 900 });
    const staffPage = tab.page;
    await staffPage.goto(ticketUrl);
    const revealIn = async (label: string) => {
      await staffPage.getByRole('button', { name: `Reveal “${label}”` }).click();
      const dialog = staffPage.getByRole('dialog', { name: `Reveal “${label}”` });
      await dialog.getByLabel('Why do you need it?').fill('Checking the upload folder');
      await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
      return dialog;
    };

    // Round 1: pending, approved, revealed.
    let dialog = await revealIn('Shop FTP');
    await dialog.getByText(/Waiting for the customer’s approval, asked at/).waitFor();
    found.consolePending = await seriousAxeViolations(staffPage);
    await screenshot(staffPage, 'portal-console-pending-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const row = staffPage.locator(`tr[data-credential-id="${ids.ftp}"]`);
    await row.locator('[data-approval="pending"]').waitFor();
    await screenshot(staffPage, 'portal-console-pending-row');

    const approveLink = await lastLink('approval_request', '/portal/approvals/');
    await page.goto(approveLink);
    await page.getByText('Checking the upload folder').waitFor();
    await page.getByText('Engineer Person').first().waitFor();
    found.approval = await seriousAxeViolations(page);
    await fitsThePhone();
    await screenshot(page, 'portal-approval-360');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Approved' }).waitFor();
    found.approved = await seriousAxeViolations(page);
    await fitsThePhone();
    await screenshot(page, 'portal-approved-360');

    // The console's poll tells the engineer (within 5 s), and the mail does too.
    await staffPage.getByText('The customer approved your request to reveal “Shop FTP”.').waitFor({ timeout: 15_000 });
    await row.locator('[data-approval="approved"]').waitFor();
    await screenshot(staffPage, 'portal-console-approved');
    await vault.tv.vault.portalMails.sendDuePortalMails();
    expect(mailsOf('approval_decided').at(-1)!.envelopeTo).toEqual(['engineer@vendor.test']);
    dialog = await revealIn('Shop FTP');
    await expectText(dialog.locator('[data-field="host"]'), FTP.host);
    await screenshot(staffPage, 'portal-console-revealed');
    expect(await auditEvents(vault.tv, { credentialId: ids.ftp, action: 'credential.revealed' })).toHaveLength(1);
    await staffPage.keyboard.press('Escape');

    // Round 2: refused.
    dialog = await revealIn('Payments API');
    await dialog.getByText(/Waiting for the customer’s approval/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const refuseLink = await lastLink('approval_request', '/portal/approvals/');
    await page.goto(refuseLink);
    await page.getByRole('button', { name: 'Refuse' }).click();
    await page.getByRole('heading', { name: 'Refused' }).waitFor();
    found.refused = await seriousAxeViolations(page);
    await fitsThePhone();
    await screenshot(page, 'portal-refused-360');
    await staffPage.getByText('The customer refused your request to reveal “Payments API”.').waitFor({ timeout: 15_000 });
    await staffPage.locator(`tr[data-credential-id="${ids.api}"] [data-approval="refused"]`).waitFor();
    dialog = await revealIn('Payments API');
    await dialog.getByText('The customer refused your request to reveal this credential. Revealing it again asks them again.').waitFor();
    await screenshot(staffPage, 'portal-console-refused');
    expect(await auditEvents(vault.tv, { credentialId: ids.api, action: 'credential.reveal_refused' })).toHaveLength(1);
    expect(await auditEvents(vault.tv, { credentialId: ids.api, action: 'credential.revealed' })).toHaveLength(0);

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    await tab.context.close();
    await customer.close();
  });

  it.each(SIZES)('at $name: every portal page reads in Polish', async (size) => {
    const context = await customerContext(size, 'pl-PL');
    const page = await context.newPage();
    const log = watchPage(page);
    const found: Record<string, unknown> = {};
    await page.goto(`${vault.url}/portal`);
    await page.getByRole('heading', { level: 1, name: 'Twój portal klienta' }).waitFor();
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('pl');
    found.form = await seriousAxeViolations(page);
    await screenshot(page, `portal-pl-form-${size.name}`);
    await signIn(page, found, `pl-${size.name}`, { send: 'Wyślij mi link do logowania', sent: 'Sprawdź skrzynkę e-mail', signIn: 'Zaloguj się' });
    expect(mailsOf('sign_in').at(-1)!.headers.subject).toBe('Twój link do logowania w Acme Software');
    await page.getByText(`Zalogowano jako ${CUSTOMER}.`).waitFor();
    await page.getByRole('link', { name: 'Pobierz wszystko (JSON)' }).waitFor();
    found.portal = await seriousAxeViolations(page);
    await screenshot(page, `portal-pl-signed-in-${size.name}`);
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(size.width);

    // An approval request, read in Polish.
    const res = await vault.tv.http.post(`/api/v1/credentials/${ids.other}/reveal`).set(vault.tv.auth('admin')).send({ reason: 'Sprawdzenie kopii zapasowych' });
    expect([202, 403]).toContain(res.status);
    if (res.status === 202) {
      const link = await lastLink('approval_request', '/portal/approvals/');
      await page.goto(`${link}?lang=pl`);
      await page.getByRole('heading', { level: 1, name: 'Ktoś prosi o wyświetlenie Twoich danych dostępowych' }).waitFor();
      await page.getByRole('button', { name: 'Zgadzam się' }).waitFor();
      found.approval = await seriousAxeViolations(page);
      await screenshot(page, `portal-pl-approval-${size.name}`);
    }
    // A used link, in Polish.
    await page.goto(`${vault.url}/portal/approvals/${'A'.repeat(43)}?lang=pl`);
    await page.getByRole('heading', { name: 'Ten link nie działa' }).waitFor();
    found.problem = await seriousAxeViolations(page);
    await screenshot(page, `portal-pl-problem-${size.name}`);

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    await context.close();
  });
});
