import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { FTP_FIELDS, openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { launchChromium, screenshot, seriousAxeViolations, signInAs, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS } from './console-viewports.js';

// Issue 15 items 2 and 8, in Chromium at 1366 and 390 px with the browser in Berlin and the vault's
// SUPPORT_TIMEZONE in Berlin too: the support period reads as the date it is; the engineer edits
// the ticket, sees the customer's credential arrive without reloading, closes and reopens it.

jest.setTimeout(240_000);

describe('ticket actions on the ticket page (issue 15 items 2 and 8)', () => {
  let vault: RunningVault;
  let browser: Browser;

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software', SUPPORT_TIMEZONE: 'Europe/Berlin' });
    await givePassword(vault.tv, 'engineer');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, width, height }) => {
    const ref = `ZD-40${width}`;
    let context: BrowserContext;
    let page: Page;
    let log: ReturnType<typeof watchPage>;
    let ticketId = '';
    let linkToken = '';
    const ticketUrl = () => `${vault.url}/console/tickets/${ticketId}`;

    beforeAll(async () => {
      ({ ticketId, linkToken } = await openTicketWithLink(vault.tv, { externalRef: ref, subject: 'Shop upload fails', supportUntil: '2027-12-03' }));
      context = await browser.newContext({ viewport: { width, height }, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
      page = await context.newPage();
      log = watchPage(page);
      await signInAs(page, vault.url, 'engineer@vendor.test');
      await page.goto(ticketUrl());
    });
    afterAll(() => context?.close());

    const onScreen = async (selector: ReturnType<Page['locator']>) => {
      const box = (await selector.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    };

    it('shows the support period as its date, not as a Berlin time; every time names its zone', async () => {
      const period = page.locator('[data-support-until]');
      await expect(period.locator('time').innerText()).resolves.toBe('3 Dec 2027');
      await expect(period.innerText()).resolves.toContain('ends at midnight, Europe/Berlin');
      // The ticket was created at 09:00 UTC (the test clock): 10:00 in Berlin, and it says so.
      await expect(page.locator('.card--facts time').nth(1).innerText()).resolves.toMatch(/^1 Mar 2026, 10:00 (CET|GMT\+1)$/);
      await onScreen(page.getByRole('button', { name: 'Edit ticket' }));
      await onScreen(page.getByRole('button', { name: 'Close ticket' }));
      await screenshot(page, `console-ticket-actions-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);

      // The ticket list shows the same date.
      await page.goto(`${vault.url}/console/tickets`);
      const listed = page.locator(`tr:has-text("${ref}") time[datetime="2027-12-03"]`);
      await expect(listed.innerText()).resolves.toBe('3 Dec 2027');
      await page.goto(ticketUrl());
    });

    it('edits the subject, the customer and the support period; a bad address is caught before anything is sent', async () => {
      await page.getByRole('button', { name: 'Edit ticket' }).click();
      const dialog = page.getByRole('dialog', { name: `Edit ${ref}` });
      await expect(dialog.getByLabel('Support until').inputValue()).resolves.toBe('2027-12-03');
      await screenshot(page, `console-ticket-edit-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);

      await dialog.getByLabel('Customer e-mail').fill('not-an-address');
      await dialog.getByRole('button', { name: 'Save changes' }).click();
      await expect(dialog.getByLabel('Customer e-mail').getAttribute('aria-invalid')).resolves.toBe('true');
      expect(log.requests.filter((r) => r.method === 'PATCH')).toEqual([]);

      await dialog.getByLabel('Subject').fill('Shop upload fails after the update');
      await dialog.getByLabel('Customer e-mail').fill('robin.owner@shop.test');
      await dialog.getByLabel(/^Customer name/).fill('Robin Owner');
      await dialog.getByLabel('Support until').fill('2028-06-30');
      await dialog.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('#ticket-status', { hasText: 'The ticket was changed.' }).waitFor();

      const [sent] = log.requests.filter((r) => r.method === 'PATCH');
      expect(JSON.parse(sent!.body)).toEqual({ subject: 'Shop upload fails after the update', customerEmail: 'robin.owner@shop.test', customerName: 'Robin Owner', supportUntil: '2028-06-30' });
      await expect(page.locator('.subject-line').innerText()).resolves.toBe('Shop upload fails after the update');
      await expect(page.locator('[data-support-until] time').innerText()).resolves.toBe('30 Jun 2028');
      await expect(page.locator('.card--facts').innerText()).resolves.toMatch(/Robin Owner\s+robin\.owner@shop\.test/);
      const stored = await vault.tv.http.get(`/api/v1/tickets/${ticketId}`).set(vault.tv.auth()).expect(200);
      expect(stored.body).toMatchObject({ supportUntilDate: '2028-06-30', supportUntil: '2028-06-30T21:59:59.999Z' });
    });

    it('shows a credential the customer sends without a reload, and says so', async () => {
      await page.getByText('The customer has not sent anything yet.', { exact: false }).waitFor();
      const label = `Shop FTP (${name})`;
      await submitCredential(vault.tv, linkToken, { kind: 'ftp', label, fields: FTP_FIELDS });
      const row = page.locator(`tr[data-label="${label}"]`);
      await row.waitFor({ timeout: 20_000 });
      await expect(page.locator('#ticket-status').innerText()).resolves.toBe(`The customer sent “${label}”.`);
      await expect(row.getByRole('button', { name: `Reveal “${label}”` }).isVisible()).resolves.toBe(true);
      await screenshot(page, `console-ticket-live-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it('closes and reopens the ticket; the credential that ended with the close stays ended', async () => {
      await page.getByRole('button', { name: 'Close ticket' }).click();
      await page.locator('#confirm-dialog').getByRole('button', { name: 'Close ticket' }).click();
      const reopen = page.getByRole('button', { name: 'Reopen ticket' });
      await reopen.waitFor();
      await onScreen(reopen);
      await reopen.click();
      await page.locator('#ticket-status', { hasText: 'The ticket is open again. Credentials that ended stay ended.' }).waitFor();
      await expect(page.locator('[data-ticket-status]').innerText()).resolves.toBe('Open');
      const row = page.locator('tr[data-credential-id]').first();
      await expect(row.getAttribute('data-status')).resolves.toBe('expired');
      await expect(row.getByRole('button', { name: /^Reveal/ }).count()).resolves.toBe(0);
      await screenshot(page, `console-ticket-reopened-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    });
  });
});
