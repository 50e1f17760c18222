import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { DAY, dateFromNow, openTicketWithLink, staffActorOf, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab, type ConsoleTab } from './console-viewports.js';

// Issue 15 items 5, 7 and 3 in Chromium at 1366 and 390 px: an engineer finds a ticket by its
// helpdesk reference, reveals a credential and copies its connection string in at most four
// clicks; the list's total, orders, closed-ticket hint and expiry column; a ticket past its
// support period; below 640 px tables are cards with their actions on screen. Screenshots of
// every console page at both widths go to test-results/screenshots/ (console-page-*).

jest.setTimeout(300_000);

const SFTP = { host: 'sftp.find-canary.example', username: 'vendor-support', protocol: 'sftp', port: '2222', path: 'upload/in', password: 'CANARY-find-Pa55!' };

/** Nothing on the page is wider than the window (no sideways scrolling). */
const fitsWidth = (page: Page) => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') as Promise<boolean>;

/** Whether the element lies wholly inside the window's width. */
async function onScreen(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const width = page.viewportSize()!.width;
  return box !== null && box.x >= 0 && box.x + box.width <= width;
}

describe('finding a ticket, expiry and phone width (issue 15 items 5, 7, 3)', () => {
  let vault: RunningVault;
  let browser: Browser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    const tv = vault.tv;
    for (const role of ['engineer', 'admin'] as const) await givePassword(tv, role);
    const actor = staffActorOf(tv);
    // A working day's list: open and closed tickets, credentials that expire soon and later.
    await openTicketWithLink(tv, { externalRef: 'ZD-3001', subject: 'Nightly export stops at 80 %', customerEmail: 'ops@bakery.example', customerName: 'Robin Baker' });
    const old = await openTicketWithLink(tv, { externalRef: 'ZD-2990', subject: 'Upload to SFTP fails again', customerEmail: 'it@florist.example', customerName: 'Sam Florist' });
    await tv.vault.tickets.closeTicket(old.ticketId, actor);
    const ended = await openTicketWithLink(tv, { externalRef: 'ZD-2995', subject: 'Licence server moved', customerEmail: 'admin@garage.example', supportUntil: dateFromNow(tv, 0) });
    ids.ended = ended.ticketId;
    const main = await openTicketWithLink(tv, { externalRef: 'ZD-3017', subject: 'Upload to SFTP fails', customerEmail: 'it@florist.example', customerName: 'Sam Florist' });
    ids.main = main.ticketId;
    await submitCredential(tv, main.linkToken, { kind: 'ftp', label: 'Shop SFTP', fields: SFTP });
    const soon = await submitCredential(tv, main.linkToken, { kind: 'web-login', label: 'Shop admin', fields: { url: 'https://florist.example/admin', username: 'support', password: 'CANARY-find-web' } });
    await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', tv.clock.now() + 3 * DAY + 3600_000, soon.credentialId);
    // The support period of ZD-2995 (its last day is today) ends: its page says so instead of offering a link.
    tv.clock.advance(DAY + 60_000);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, ...size }) => {
    let tab: ConsoleTab;
    let page: Page;
    beforeAll(async () => {
      tab = await openConsoleTab(browser, vault.url, 'engineer@vendor.test', size);
      page = tab.page;
    });
    afterAll(() => tab?.context.close());

    it('finds ZD-3017 by its reference, reveals the SFTP credential and copies its connection string in four clicks', async () => {
      let clicks = 0;
      const click = async (target: ReturnType<Page['getByRole']>) => {
        clicks++;
        await target.click();
      };
      await page.goto(`${vault.url}/console/tickets`);
      await page.getByLabel('Reference, subject or customer').fill('ZD-3017');
      await click(page.getByRole('button', { name: 'Search' }));
      await page.waitForURL(`${vault.url}/console/tickets/${ids.main}?from=ZD-3017`);
      await expect(page.getByRole('link', { name: 'Tickets matching “ZD-3017”' }).isVisible()).resolves.toBe(true);
      const reveal = page.getByRole('button', { name: 'Reveal “Shop SFTP”' });
      await expect(onScreen(page, '[data-action="reveal"]')).resolves.toBe(true);
      await click(reveal);
      const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
      await click(dialog.getByRole('button', { name: 'Reveal', exact: true }));
      await expectText(dialog.locator('[data-connect-value]'), 'sftp://vendor-support@sftp.find-canary.example:2222/upload/in');
      await click(dialog.getByRole('button', { name: 'Copy connection string' }));
      await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe('sftp://vendor-support@sftp.find-canary.example:2222/upload/in');
      expect(clicks).toBeLessThanOrEqual(4);
      await page.keyboard.press('Escape');
      await expect(dialog.isVisible()).resolves.toBe(false);
    });

    it('opens a ticket from a helpdesk link by reference, and says plainly when none has it', async () => {
      await page.goto(`${vault.url}/console/tickets/by-ref/ZD-3017`);
      await page.waitForURL(`${vault.url}/console/tickets/${ids.main}`);
      await page.goto(`${vault.url}/console/tickets/by-ref/ZD-30`);
      await expect(page.getByRole('heading', { name: 'No ticket has the reference “ZD-30”' }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('link', { name: 'ZD-3017' }).isVisible()).resolves.toBe(true);
      await expect(fitsWidth(page)).resolves.toBe(true);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it('hints at closed tickets a search leaves out, and shows them on one click', async () => {
      await page.goto(`${vault.url}/console/tickets`);
      await page.getByLabel('Reference, subject or customer').fill('upload to sftp');
      await page.getByRole('button', { name: 'Search' }).click();
      await expectText(page.locator('#ticket-total'), '1 open ticket matches “upload to sftp”');
      await expect(page.locator('#closed-hint').innerText()).resolves.toBe('1 closed ticket matches too. Show them');
      await screenshot(page, `console-page-tickets-search-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.getByRole('link', { name: 'Show them' }).click();
      await expect(page.getByRole('link', { name: 'ZD-2990' }).isVisible()).resolves.toBe(true);
      await expectText(page.locator('#ticket-total'), '2 tickets match “upload to sftp”');
    });

    it('finds a ticket by a credential label and sorts by the soonest expiry', async () => {
      await page.goto(`${vault.url}/console/tickets?list=1&q=${encodeURIComponent('shop admin')}`);
      await expect(page.getByRole('link', { name: 'ZD-3017' }).isVisible()).resolves.toBe(true);
      await page.goto(`${vault.url}/console/tickets`);
      await page.getByLabel('Sort by').selectOption('expiry');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/sort=expiry/);
      await expect(page.locator('tbody tr').count()).resolves.toBe(1);
      await expect(page.locator('[data-ticket-ref="ZD-3017"] [data-soonest]').innerText()).resolves.toBe('first expires in 2 days');
      await screenshot(page, `console-page-tickets-expiry-${name}`);
    });

    it('past its support period, the ticket says so where "Create link" would be', async () => {
      await page.goto(`${vault.url}/console/tickets/${ids.ended}`);
      await expect(page.locator('#support-ended').isVisible()).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Create link' }).count()).resolves.toBe(0);
      await expect(page.locator('[data-link-ends]').first().innerText()).resolves.toMatch(/^Ended\s/);
      await screenshot(page, `console-page-ticket-support-ended-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await expect(fitsWidth(page)).resolves.toBe(true);
    });

    it('keeps every action on screen: rows are cards below 640 px', async () => {
      await page.goto(`${vault.url}/console/tickets/${ids.main}`);
      for (const selector of ['[data-action="reveal"]', '[data-action="revoke"]', '[data-action="revoke-link"]']) {
        await expect(onScreen(page, selector)).resolves.toBe(true);
      }
      await expect(fitsWidth(page)).resolves.toBe(true);
      const display = await page.evaluate('getComputedStyle(document.querySelector("#credentials tbody tr")).display');
      expect(display).toBe(name === 'phone' ? 'block' : 'table-row');
      await expect(page.locator('[data-expires-in]').first().innerText()).resolves.toMatch(/^expires in \d+ days$/);
      expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    });
  });

  describe.each(CONSOLE_WIDTHS)('every console page at $width px ($name)', ({ name, ...size }) => {
    let tab: ConsoleTab;
    beforeAll(async () => {
      tab = await openConsoleTab(browser, vault.url, 'admin@vendor.test', size);
    });
    afterAll(() => tab?.context.close());

    it.each([
      ['tickets', '/console/tickets'],
      ['tickets-all', '/console/tickets?status=all&sort=ref'],
      ['new-ticket', '/console/tickets/new'],
      ['ticket', '/ticket-main'],
      ['ticket-closed', '/ticket-closed'],
      ['no-such-ref', '/console/tickets/by-ref/ZD-0000'],
      ['audit', '/console/audit'],
      ['staff', '/console/staff'],
      ['not-found', '/console/no-such-page'],
    ])('%s: fits the width, passes axe, screenshot saved', async (pageName, path) => {
      const p = tab.page;
      const url =
        path === '/ticket-main'
          ? `/console/tickets/${ids.main}`
          : path === '/ticket-closed'
            ? `/console/tickets/${(await vault.tv.query("SELECT id FROM tickets WHERE external_ref = 'ZD-2990'"))[0]!.id}`
            : path;
      await p.goto(`${vault.url}${url}`);
      await screenshot(p, `console-page-${pageName}-${name}`);
      await expect(fitsWidth(p)).resolves.toBe(true);
      expect(await seriousAxeViolations(p)).toEqual([]);
    });

    it('sign-in: fits the width, passes axe, screenshot saved', async () => {
      const context = await browser.newContext({ viewport: size });
      const p = await context.newPage();
      await p.goto(`${vault.url}/console/sign-in`);
      await screenshot(p, `console-page-sign-in-${name}`);
      await expect(fitsWidth(p)).resolves.toBe(true);
      expect(await seriousAxeViolations(p)).toEqual([]);
      await context.close();
      expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    });
  });
});
