import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab, type ConsoleTab } from './console-viewports.js';

// Issue 15 item 9, in Chromium at 1366 and 390 px: the customer's receipt and the staff console
// say one word for each word of the design — a customer *freezes* a credential, both read
// *Frozen*, the audit log *Credential frozen* — and a vendor whose name ends in "Support" never
// reads "Support support". The API keeps `restricted` (DESIGN), which no page shows.

jest.setTimeout(240_000);

/** Words a person must not read: the API's word, the old "viewing" words, a doubled "support". */
const OFF_VOCABULARY = [/restrict/i, /\bview(ed|ing|s)?\b/i, /support\s+support/i];

async function expectOneVocabulary(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  for (const word of OFF_VOCABULARY) expect(text).not.toMatch(word);
}

describe('one vocabulary (issue 15 item 9)', () => {
  let vault: RunningVault;
  let browser: Browser;
  let ticketUrl = '';
  let linkToken = '';
  let receiptUrl = '';

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Support' });
    await givePassword(vault.tv, 'admin');
    const scenario = await openTicketWithLink(vault.tv, { externalRef: 'ZD-4001', subject: 'Shop login for the plugin update' });
    ticketUrl = `${vault.url}/console/tickets/${scenario.ticketId}`;
    linkToken = scenario.linkToken;
    const sent = await submitCredential(vault.tv, linkToken, { kind: 'web-login', label: 'Shop admin', fields: { url: 'https://shop.example/admin', username: 'support', password: 'CANARY-shop' } });
    receiptUrl = `${vault.url}/r/${sent.receiptToken}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, width, ...size }) => {
    let customer: Page;
    let staff: ConsoleTab;
    beforeAll(async () => {
      const context = await browser.newContext({ viewport: { width, ...size } });
      customer = await context.newPage();
      watchPage(customer);
      staff = await openConsoleTab(browser, vault.url, 'admin@vendor.test', { width, ...size });
    });
    afterAll(async () => {
      await customer?.context().close();
      await staff?.context.close();
    });

    it('the console names itself the Staff console, after the vendor, on the sign-in page and the ticket list', async () => {
      const visitor = await browser.newPage({ viewport: { width, ...size } });
      await visitor.goto(`${vault.url}/console/sign-in`);
      await expectText(visitor.locator('h1'), 'Sign in to the staff console');
      await expectOneVocabulary(visitor);
      await screenshot(visitor, `console-sign-in-${name}`);
      expect(await seriousAxeViolations(visitor)).toEqual([]);
      await visitor.close();
      await staff.page.goto(`${vault.url}/console/tickets`);
      await expect(staff.page.locator('.brand').textContent().then((t) => t?.replace(/\s+/g, ' ').trim())).resolves.toBe('Acme Support Staff console');
      await expectOneVocabulary(staff.page);
      await screenshot(staff.page, `console-tickets-${name}`);
      expect(await seriousAxeViolations(staff.page)).toEqual([]);
    });

    it('the intake page names the vendor once, never "Support support"', async () => {
      await customer.goto(`${vault.url}/s/${linkToken}`);
      await expectText(customer.locator('h1'), 'Send access details to Acme Support');
      await expect(customer.locator('.lead').first().innerText()).resolves.toMatch(/^Acme Support asked you for access to help with your support ticket\./);
      await expectOneVocabulary(customer);
    });

    it('the customer freezes a credential on the receipt and reads "Frozen"', async () => {
      await customer.goto(receiptUrl);
      const card = customer.locator('article', { hasText: 'Shop admin' });
      await expectText(card.locator('[data-status]'), 'Active');
      await expectOneVocabulary(customer);
      await card.getByRole('button', { name: 'Freeze' }).click();
      await card.locator('[data-status="restricted"]').waitFor();
      await expectText(card.locator('[data-status]'), 'Frozen');
      await expect(customer.locator('#receipt-status').innerText()).resolves.toContain('“Shop admin” is frozen: nobody can reveal it.');
      await expect(card.getByRole('button', { name: 'Unfreeze' }).isVisible()).resolves.toBe(true);
      await expectOneVocabulary(customer);
      await screenshot(customer, `receipt-frozen-${name}`);
      expect(await seriousAxeViolations(customer)).toEqual([]);
    });

    it('the console shows the same state, says who froze it, and the audit log says "Credential frozen"', async () => {
      const page = staff.page;
      await page.goto(ticketUrl);
      const row = page.locator('tr[data-label="Shop admin"]');
      await expectText(row.locator('.badge'), 'Frozen');
      await expect(row.innerText()).resolves.toContain('Frozen by the customer');
      await expectOneVocabulary(page);
      await screenshot(page, `console-ticket-frozen-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);

      await page.goto(`${vault.url}/console/audit?ticketId=ZD-4001`);
      const latest = page.locator('table.data-table--audit tbody tr').first();
      await expect(latest.innerText()).resolves.toContain('Credential frozen');
      await expectOneVocabulary(page);
      await screenshot(page, `console-audit-frozen-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it('unfreezing reads "Unfreeze" and "Active" on both sides', async () => {
      const card = customer.locator('article', { hasText: 'Shop admin' });
      await card.getByRole('button', { name: 'Unfreeze' }).click();
      await card.locator('[data-status="active"]').waitFor();
      await expect(customer.locator('#receipt-status').innerText()).resolves.toContain('“Shop admin” is unfrozen: support can reveal it again.');
      await staff.page.goto(ticketUrl);
      await expectText(staff.page.locator('tr[data-label="Shop admin"] .badge'), 'Active');
      await staff.page.goto(`${vault.url}/console/audit?ticketId=ZD-4001`);
      await expect(staff.page.locator('table.data-table--audit tbody tr').first().innerText()).resolves.toContain('Credential unfrozen');
      expect(unexpectedErrors(staff.log.consoleErrors)).toEqual([]);
    });
  });
});
