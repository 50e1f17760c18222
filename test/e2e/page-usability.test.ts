import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { openTicketWithLink, revealAs, submitCredential, tokenOf } from '../harness/test-vault.js';
import { launchChromium, screenshot, seriousAxeViolations, startVault, watchPage, type RunningVault } from './browser-harness.js';

// The pages for everyone: keyboard only, visible focus, 360 px wide, axe-core clean, and the
// browser's checks matching the server's before anything is sent.

jest.setTimeout(180_000);

/** Presses Tab (at most 60 times) until the focused element matches; fails naming the selector otherwise. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** The focused element's outline, which must be visible for keyboard users. */
async function focusOutline(page: Page): Promise<{ style: string; width: number }> {
  return page.evaluate(`(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()`);
}

async function expectVisibleFocus(page: Page) {
  const outline = await focusOutline(page);
  expect(outline.style).not.toBe('none');
  expect(outline.width).toBeGreaterThanOrEqual(2);
}

describe('customer pages for everyone', () => {
  let vault: RunningVault;
  let browser: Browser;

  beforeAll(async () => {
    vault = await startVault();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  async function desktopPage() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: vault.url });
    const page = await context.newPage();
    return { page, log: watchPage(page) };
  }

  it('works with the keyboard alone, with visible focus: skip link, kind, fields, show/hide, errors, submit, copy the receipt link', async () => {
    const { page, log } = await desktopPage();
    const { linkToken } = await openTicketWithLink(vault.tv);
    await page.goto(`${vault.url}/s/${linkToken}`);
    await page.getByRole('button', { name: 'Encrypt and send' }).waitFor();

    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to main content');
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('main');

    await tabTo(page, 'input[name="kind"]');
    await expectVisibleFocus(page);
    await page.keyboard.press('ArrowRight'); // SSH
    await expect(page.locator('fieldset[data-kind="ssh"]').isVisible()).resolves.toBe(true);
    await expect(page.locator('fieldset[data-kind="ftp"]').isHidden()).resolves.toBe(true);

    // Submitting with the required fields empty: an alert, the first field focused and described.
    await tabTo(page, '[data-submit]');
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await expect(page.locator('#form-error').innerText()).resolves.toBe('Please check the highlighted fields.');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('intake-ssh-host');
    await expectVisibleFocus(page);
    await expect(page.locator('#intake-ssh-host').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#intake-ssh-host-error').innerText()).resolves.toBe('Enter the host name or IP address.');
    await expect(page.locator('#intake-ssh-username-error').innerText()).resolves.toBe('Enter the user name.');

    await page.keyboard.type('build.example.test');
    await tabTo(page, '#intake-ssh-username');
    await page.keyboard.type('deploy');
    await tabTo(page, '#intake-ssh-password');
    await page.keyboard.type('CANARY-keyboard-pass');
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.matches("[data-toggle-secret]")')).resolves.toBe(true);
    await page.keyboard.press('Space');
    await expect(page.locator('#intake-ssh-password').getAttribute('type')).resolves.toBe('text');
    await page.keyboard.press('Space');
    await expect(page.locator('#intake-ssh-password').getAttribute('type')).resolves.toBe('password');
    await tabTo(page, '[data-submit]');
    await page.keyboard.press('Enter');

    await page.locator('#sent-list > li').waitFor();
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('“SSH” was encrypted and sent.');
    await tabTo(page, '[data-copy]');
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.locator('[data-slot="status"]', { hasText: 'Copied' }).waitFor();
    const receiptUrl = await page.locator('#sent-list input[readonly]').inputValue();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(receiptUrl);

    // The receipt page by keyboard: restrict, then open and cancel the withdraw confirmation with Escape.
    await page.goto(receiptUrl);
    await tabTo(page, '[data-action="restrict"]');
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.locator('[data-status="restricted"]').waitFor();
    await expect(page.evaluate('document.activeElement.dataset.action')).resolves.toBe('unrestrict');
    await tabTo(page, '[data-action="withdraw"]');
    await page.keyboard.press('Enter');
    await expect(page.evaluate('document.activeElement.dataset.action')).resolves.toBe('withdraw-confirm');
    await page.keyboard.press('Escape');
    await expect(page.locator('[data-panel="withdraw"]').isHidden()).resolves.toBe(true);
    await expect(page.evaluate('document.activeElement.dataset.action')).resolves.toBe('withdraw');
    expect(log.consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('checks fields as the server does (required, port 1–65535, 16 KiB of UTF-8) and sends nothing until they pass', async () => {
    const { page, log } = await desktopPage();
    const { linkToken } = await openTicketWithLink(vault.tv);
    await page.goto(`${vault.url}/s/${linkToken}`);
    const submit = page.getByRole('button', { name: 'Encrypt and send' });
    await submit.waitFor();

    await page.locator('#intake-ftp-host').fill('ftp.example.test');
    await page.locator('#intake-ftp-username').fill('   ');
    await page.locator('#intake-ftp-port').fill('70000');
    // 8,193 characters but 16,386 bytes: the limit counts UTF-8 bytes, not characters.
    await page.locator('#intake-ftp-notes').fill('é'.repeat(8193));
    await submit.click();
    await expect(page.locator('#intake-ftp-username-error').innerText()).resolves.toBe('Enter the user name.');
    await expect(page.locator('#intake-ftp-port-error').innerText()).resolves.toBe('Enter a port number from 1 to 65535, or leave it empty.');
    await expect(page.locator('#intake-ftp-notes-error').innerText()).resolves.toBe('This is too long: at most 16 KiB is allowed.');
    await screenshot(page, 'intake-validation');
    expect((await seriousAxeViolations(page))).toEqual([]);

    await page.locator('#intake-ftp-username').fill('support');
    await page.locator('#intake-ftp-port').fill('65535');
    await page.locator('#intake-ftp-notes').fill('é'.repeat(8192));
    await submit.click();
    await page.locator('#sent-list > li').waitFor();
    const posts = log.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(log.consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('fits a 360 px wide screen without sideways scrolling', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const { linkToken } = await openTicketWithLink(vault.tv, { subject: 'Checkout page shows a blank screen after the last update' });
    await page.goto(`${vault.url}/s/${linkToken}`);
    await page.getByRole('button', { name: 'Encrypt and send' }).waitFor();
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(360);
    await screenshot(page, 'intake-360');

    const { credentialId, receiptToken } = await submitCredential(vault.tv, linkToken);
    await revealAs(vault.tv, credentialId, 'engineer', 'Looking at the checkout template').expect(200);
    await page.goto(`${vault.url}/r/${receiptToken}`);
    await page.getByRole('button', { name: 'Replace' }).click();
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(360);
    await screenshot(page, 'receipt-360');
    await context.close();
  });

  it('has no serious or critical axe-core violations on the intake, sent, receipt, 410 and 404 pages', async () => {
    const { page } = await desktopPage();
    const { linkToken, linkId } = await openTicketWithLink(vault.tv);
    await page.goto(`${vault.url}/s/${linkToken}`);
    await page.getByRole('button', { name: 'Encrypt and send' }).waitFor();
    const found: Record<string, unknown> = { intake: await seriousAxeViolations(page) };

    await page.locator('#intake-ftp-host').fill('ftp.example.test');
    await page.locator('#intake-ftp-username').fill('support');
    await page.getByRole('button', { name: 'Encrypt and send' }).click();
    await page.locator('#sent-list > li').waitFor();
    found.sent = await seriousAxeViolations(page);
    const receiptUrl = await page.locator('#sent-list input[readonly]').inputValue();

    const viewed = await vault.tv.http.get(`/api/v1/receipts/${tokenOf(receiptUrl)}`).expect(200);
    await revealAs(vault.tv, viewed.body.credentials[0].id).expect(200);
    await page.goto(receiptUrl);
    await page.getByRole('button', { name: 'Replace' }).click();
    await page.getByRole('button', { name: 'Withdraw' }).click();
    found.receipt = await seriousAxeViolations(page);

    await vault.tv.http.delete(`/api/v1/intake-links/${linkId}`).set(vault.tv.auth()).expect(204);
    await page.goto(`${vault.url}/s/${linkToken}`);
    found.gone = await seriousAxeViolations(page);
    await page.goto(`${vault.url}/r/${'z'.repeat(43)}`);
    found.notFound = await seriousAxeViolations(page);
    await screenshot(page, 'receipt-404');

    expect(found).toEqual({ intake: [], sent: [], receipt: [], gone: [], notFound: [] });
    await page.context().close();
  });
});
