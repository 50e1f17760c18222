import { jest } from '@jest/globals';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { STEP_UP_AFTER_MS } from '../../src/staff-auth/staff-sessions.js';
import { givePassword, PASSWORD } from '../harness/staff-sessions.js';
import { openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, signInAs, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';

// An engineer's day in the staff console, in real Chromium against a real vault on loopback:
// sign in, open a ticket, send a secure link, the customer submits through the intake page, reveal
// with a reason (step-up after 15 minutes), copy, watch the values disappear, the reveal in the
// audit log, close the ticket and see the reveal refused; staff admin. axe-clean, CSP-clean.

jest.setTimeout(240_000);

const SFTP = { host: 'sftp.console-canary.example', username: 'vendor-support-canary', password: 'CANARY-console-Pa55word!' };

async function expectAxeClean(page: Page) {
  expect(await seriousAxeViolations(page)).toEqual([]);
}

describe('staff console in Chromium', () => {
  let vault: RunningVault;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let log: ReturnType<typeof watchPage>;
  let ticketUrl = '';
  let linkUrl = '';

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    for (const role of ['engineer', 'auditor', 'admin'] as const) await givePassword(vault.tv, role);
    // Some history, so the lists look like a working day.
    await openTicketWithLink(vault.tv, { externalRef: 'ZD-1001', subject: 'Nightly export stops at 80 %', customerEmail: 'ops@bakery.example', customerName: 'Robin Baker' });
    const busy = await openTicketWithLink(vault.tv, { externalRef: 'ZD-1017', subject: 'Payment plugin rejects cards', customerEmail: 'it@florist.example', customerName: 'Sam Florist' });
    await submitCredential(vault.tv, busy.linkToken, { kind: 'web-login', label: 'Shop admin', fields: { url: 'https://florist.example/admin', username: 'support', password: 'CANARY-florist-pw' } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: vault.url });
    // Fake timers in the page (time still flows): the test can jump the reveal's 60 s ahead.
    await context.clock.install();
    page = await context.newPage();
    log = watchPage(page);
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  it('signs in with e-mail and password, after a wrong password gets a friendly message', async () => {
    await page.goto(`${vault.url}/console`);
    await page.waitForURL(/\/console\/sign-in\?next=%2Fconsole$/);
    await screenshot(page, 'console-sign-in');
    await expectAxeClean(page);

    await page.getByLabel('E-mail address').fill('engineer@vendor.test');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.locator('#sign-in-error'), 'That e-mail address and password do not match an active account.');
    await screenshot(page, 'console-sign-in-failed');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${vault.url}/console/tickets`);
    const cookie = (await context.cookies()).find((c) => c.name === 'tv_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    await expect(page.getByRole('link', { name: 'ZD-1017' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'console-tickets');
    await expectAxeClean(page);
  });

  it('searches the ticket list', async () => {
    await page.getByLabel('Reference, subject or customer').fill('florist');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=florist/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL(`${vault.url}/console/tickets`);
  });

  it('creates a ticket', async () => {
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.waitForURL(/\/console\/tickets\/new$/);
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await expectText(page.locator('#nt-externalRef-error'), 'Enter the helpdesk reference.');
    await page.getByLabel('Reference').fill('ZD-1042');
    await page.getByLabel('Subject').fill('Shop upload fails since Monday');
    await page.getByLabel('Customer e-mail').fill('casey@shop.example');
    await page.getByLabel(/Customer name/).fill('Casey Customer');
    await screenshot(page, 'console-new-ticket');
    await expectAxeClean(page);
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.waitForURL(/\/console\/tickets\/[0-9a-f-]{36}$/);
    ticketUrl = page.url();
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toMatch(/ZD-1042\s+Open/);
  });

  it('creates a secure link shown once, and copies it', async () => {
    await page.getByLabel('Works for').selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Create link' }).click();
    const panel = page.locator('#new-link');
    await panel.waitFor({ state: 'visible' });
    linkUrl = await page.locator('#new-link-url').inputValue();
    expect(linkUrl).toMatch(new RegExp(`^${vault.url}/s/[A-Za-z0-9_-]{43}$`));
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByText('Copied').waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(linkUrl);
    await expect(page.locator('#links tbody tr').count()).resolves.toBe(1);
    await screenshot(page, 'console-ticket-link-created');
    // The URL is in the page's memory only, never in its HTML: a reload shows it no more.
    const html = await (await page.request.get(ticketUrl)).text();
    expect(html).not.toContain(linkUrl.slice(-43));
  });

  it('shows the credential the customer sends through the intake page', async () => {
    const customer = await browser.newContext();
    const intake = await customer.newPage();
    await intake.goto(linkUrl);
    await intake.getByRole('button', { name: 'Encrypt and send' }).waitFor();
    await intake.waitForFunction('!document.querySelector("[data-submit]").disabled');
    await intake.getByLabel('Name for this credential').fill('Shop SFTP');
    await intake.locator('#intake-ftp-host').fill(SFTP.host);
    await intake.locator('#intake-ftp-username').fill(SFTP.username);
    await intake.locator('#intake-ftp-password').fill(SFTP.password);
    await intake.getByRole('button', { name: 'Encrypt and send' }).click();
    await intake.locator('#sent-list > li').first().waitFor();
    await customer.close();

    await page.reload();
    await page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).waitFor();
    await screenshot(page, 'console-ticket');
    await expectAxeClean(page);
    // On a phone the page still works: nothing wider than the screen but the tables, which scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
    await screenshot(page, 'console-ticket-phone');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('reveals with a reason: masked fields, show, copy, and the values vanish after 60 s', async () => {
    await page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
    await expect(dialog.getByLabel('Why do you need it?').inputValue()).resolves.toBe('ZD-1042');
    await dialog.getByLabel('Why do you need it?').fill('');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await expectText(page.locator('#reveal-reason-error'), 'Give a reason.');
    await dialog.getByLabel('Why do you need it?').fill('ZD-1042 checking the upload folder permissions');
    await screenshot(page, 'console-reveal-reason');
    await dialog.getByRole('button', { name: 'Reveal' }).click();

    const password = dialog.locator('[data-field="password"]');
    await password.waitFor();
    await expectText(password, '••••••••••');
    await expect(dialog.locator('[data-reveal-timer]').innerText()).resolves.toMatch(/^Hidden again in (60|59) s$/);
    await screenshot(page, 'console-reveal-masked');
    await expectAxeClean(page);

    await dialog.getByRole('button', { name: 'Show Password' }).click();
    await expect(password.innerText()).resolves.toBe(SFTP.password);
    await expect(dialog.getByRole('button', { name: 'Hide Password' }).getAttribute('aria-pressed')).resolves.toBe('true');
    await screenshot(page, 'console-reveal-shown');
    await dialog.getByRole('button', { name: 'Copy User name' }).click();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(SFTP.username);
    await dialog.getByRole('button', { name: 'Copy Password' }).click();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(SFTP.password);

    await page.clock.fastForward(61_000);
    await expectText(dialog.locator('[data-reveal-timer]'), 'The values were removed from the page.');
    await expect(dialog.locator('[data-revealed] *').count()).resolves.toBe(0);
    expect(await page.content()).not.toContain(SFTP.password);
    await screenshot(page, 'console-reveal-hidden');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog.isVisible()).resolves.toBe(false);
    // The reveal count went up without a reload.
    await expectText(page.locator('tr[data-label="Shop SFTP"] td.num'), '1');
  });

  it('removes the values as soon as the dialog closes (Escape)', async () => {
    await page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
    await dialog.getByLabel('Why do you need it?').fill('ZD-1042 second look');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await dialog.getByRole('button', { name: 'Show Password' }).click();
    await expect(dialog.locator('[data-field="password"]').innerText()).resolves.toBe(SFTP.password);
    await page.keyboard.press('Escape');
    await page.waitForFunction('document.querySelector("[data-revealed]").childElementCount === 0');
    await expect(dialog.isVisible()).resolves.toBe(false);
    expect(await page.content()).not.toContain(SFTP.password);
  });

  it('asks for the password again when the sign-in is older than 15 minutes, then reveals', async () => {
    vault.tv.clock.advance(STEP_UP_AFTER_MS + 60_000);
    await page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
    await dialog.getByLabel('Why do you need it?').fill('ZD-1042 customer on the phone');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await dialog.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await screenshot(page, 'console-reveal-step-up');
    await expectAxeClean(page);
    await dialog.getByLabel('Password').fill('wrong password for sure');
    await dialog.getByRole('button', { name: 'Confirm and reveal' }).click();
    await expectText(page.locator('#reveal-error'), 'That e-mail address and password do not match an active account.');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm and reveal' }).click();
    await dialog.locator('[data-field="password"]').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('shows the reveals in the audit log (auditor), with the chain verified and a JSON Lines export', async () => {
    const auditor = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const auditPage = await auditor.newPage();
    const auditLog = watchPage(auditPage);
    await signInAs(auditPage, vault.url, 'auditor@vendor.test');
    await auditPage.waitForURL(`${vault.url}/console/audit`);
    await auditPage.getByLabel('What').selectOption({ label: 'Credential revealed' });
    await auditPage.getByRole('button', { name: 'Filter' }).click();
    await auditPage.waitForURL(/action=credential.revealed/);
    const rows = auditPage.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    await expect(rows.first().innerText()).resolves.toContain('ZD-1042 customer on the phone');
    await expect(auditPage.locator('tbody').innerText()).resolves.toContain('ZD-1042 checking the upload folder permissions');
    await expect(auditPage.locator('tbody').innerText()).resolves.toContain('Engineer Person');
    await auditPage.locator('#chain-status[data-state="ok"]').waitFor();
    await expect(auditPage.locator('[data-chain-text]').innerText()).resolves.toMatch(/^Intact: \d+ events, head [0-9a-f]{16}\.$/);
    await screenshot(auditPage, 'console-audit');
    await expectAxeClean(auditPage);

    const [download] = await Promise.all([auditPage.waitForEvent('download'), auditPage.getByRole('link', { name: 'Export JSON Lines' }).click()]);
    expect(download.suggestedFilename()).toBe('ticketvault-audit-2026-03-01.jsonl');
    const lines = fs.readFileSync((await download.path())!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { action: string; reason: string });
    expect(lines.map((l) => l.action)).toEqual(['credential.revealed', 'credential.revealed', 'credential.revealed']);
    expect(unexpectedErrors(auditLog.consoleErrors)).toEqual([]);
    await auditor.close();
  });

  it('closes the ticket after a confirmation; a page left open then sees the reveal refused', async () => {
    const stale = await context.newPage();
    const staleLog = watchPage(stale);
    await stale.goto(ticketUrl);

    await page.bringToFront();
    await page.getByRole('button', { name: 'Close ticket' }).click();
    const confirm = page.getByRole('dialog', { name: 'Close ZD-1042?' });
    await expect(confirm.innerText()).resolves.toContain('Its live credential expires at once and can never be revealed again.');
    await screenshot(page, 'console-close-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expectText(page.locator('[data-ticket-status]'), 'Open');
    await page.getByRole('button', { name: 'Close ticket' }).click();
    await confirm.getByRole('button', { name: 'Close ticket' }).click();
    await page.locator('[data-ticket-status="closed"]').waitFor();
    await expectText(page.locator('#ticket-status'), 'The ticket is closed. Its credentials have expired.');
    await expect(page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).count()).resolves.toBe(0);
    await screenshot(page, 'console-ticket-closed');

    await stale.bringToFront();
    await stale.getByRole('button', { name: 'Reveal “Shop SFTP”' }).click();
    const dialog = stale.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
    await dialog.getByLabel('Why do you need it?').fill('ZD-1042 one more look');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await expectText(stale.locator('#reveal-error'), 'The ticket is closed, so its credentials can no longer be revealed and it takes no new links.');
    await screenshot(stale, 'console-reveal-refused');
    await stale.keyboard.press('Escape');
    await stale.locator('tr[data-label="Shop SFTP"][data-status="expired"]').waitFor();
    expect(unexpectedErrors(staleLog.consoleErrors)).toEqual([]);
    await stale.close();
  });

  it('lets an admin add a member, change a role, set a password and disable', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in\?reason=signed_out$/);
    await expectText(page.getByRole('status'), 'You have signed out.');
    await signInAs(page, vault.url, 'admin@vendor.test');
    await page.getByRole('link', { name: 'Staff', exact: true }).click();
    await page.waitForURL(`${vault.url}/console/staff`);
    await screenshot(page, 'console-staff');
    await expectAxeClean(page);

    await page.getByLabel('Name', { exact: true }).fill('Sam Support');
    await page.getByLabel('E-mail', { exact: true }).fill('sam@vendor.test');
    await page.getByLabel(/^Password/).fill('sam starts with this one');
    await page.getByRole('button', { name: 'Add staff member' }).click();
    await page.locator('#staff-status', { hasText: 'Sam Support was added.' }).waitFor();

    const sam = page.locator('tr', { hasText: 'sam@vendor.test' });
    await sam.getByLabel('Role of Sam Support').selectOption('auditor');
    await sam.getByRole('button', { name: 'Save role: Sam Support' }).click();
    await page.locator('#staff-status', { hasText: 'Sam Support is now Auditor.' }).waitFor();

    await page.locator('tr', { hasText: 'sam@vendor.test' }).getByRole('button', { name: 'Set password for Sam Support' }).click();
    const pwDialog = page.getByRole('dialog', { name: 'New password for Sam Support' });
    await pwDialog.getByLabel('New password').fill('short');
    await pwDialog.getByRole('button', { name: 'Set password' }).click();
    await expectText(page.locator('#password-error'), 'Use at least 12 characters.');
    await pwDialog.getByLabel('New password').fill('a fresh long password');
    await pwDialog.getByRole('button', { name: 'Set password' }).click();
    await page.locator('#staff-status', { hasText: 'Sam Support has a new password and was signed out.' }).waitFor();

    await page.locator('tr', { hasText: 'sam@vendor.test' }).getByRole('button', { name: 'Disable Sam Support' }).click();
    await page.getByRole('dialog', { name: 'Disable Sam Support' }).getByRole('button', { name: 'Disable' }).click();
    await page.locator('#staff-status', { hasText: 'Sam Support is disabled and signed out.' }).waitFor();
    await expect(page.locator('tr', { hasText: 'sam@vendor.test' }).innerText()).resolves.toContain('Disabled');
    expect(await vault.tv.vault.staff.findStaffByEmail('sam@vendor.test')).toMatchObject({ role: 'auditor' });
    await screenshot(page, 'console-staff-changed');
  });

  it('raised no console errors (CSP), sent every request to the vault itself, and never put a secret in a URL', () => {
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    for (const req of log.requests) {
      expect(new URL(req.url).origin).toBe(vault.url);
      expect(req.url).not.toContain(SFTP.password);
      expect(req.url).not.toContain(PASSWORD.replace(/ /g, '%20'));
    }
    const logs = vault.tv.logs.join('');
    for (const value of [SFTP.password, PASSWORD, linkUrl.slice(-43)]) expect(logs.includes(value)).toBe(false);
  });
});
