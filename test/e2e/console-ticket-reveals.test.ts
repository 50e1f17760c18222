import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { openTicketWithLink, revealAs, submitCredential } from '../harness/test-vault.js';
import { launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab, type ConsoleTab } from './console-viewports.js';

// Issue 15 item 6, in Chromium at 1366 and 390 px: on the ticket page an engineer (who does not
// read the audit log) sees under each credential who revealed it, when and why, and when it was
// sent; their own reveal joins the list as soon as the dialog closes.

jest.setTimeout(240_000);

describe('who revealed what, on the ticket page (issue 15 item 6)', () => {
  let vault: RunningVault;
  let browser: Browser;
  let ticketUrl = '';

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    await givePassword(vault.tv, 'engineer');
    const { ticketId, linkToken } = await openTicketWithLink(vault.tv, { externalRef: 'ZD-3001', subject: 'Backups stopped on Friday' });
    ticketUrl = `${vault.url}/console/tickets/${ticketId}`;
    const nas = await submitCredential(vault.tv, linkToken, { kind: 'ssh', label: 'Backup NAS', fields: { host: 'nas.example', username: 'backup', password: 'CANARY-nas' } });
    await submitCredential(vault.tv, linkToken, { kind: 'web-login', label: 'Router admin', fields: { url: 'https://router.example', username: 'admin', password: 'CANARY-router' } });
    await submitCredential(vault.tv, linkToken, { kind: 'other', label: 'Spare key', fields: { notes: 'CANARY-spare' } });
    await revealAs(vault.tv, nas.credentialId, 'engineer', 'ZD-3001 checking the backup job log').expect(200);
    vault.tv.clock.advance(3_600_000);
    await revealAs(vault.tv, nas.credentialId, 'admin', 'ZD-3001 second opinion on the disk errors, a long reason that has to wrap on a phone').expect(200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, width, ...size }) => {
    let tab: ConsoleTab;
    let page: Page;
    beforeAll(async () => {
      tab = await openConsoleTab(browser, vault.url, 'engineer@vendor.test', { width, ...size });
      page = tab.page;
      await page.goto(ticketUrl);
    });
    afterAll(() => tab?.context.close());

    it('shows each credential when it was sent and, under it, how often and by whom it was last revealed', async () => {
      await expect(page.getByRole('columnheader', { name: 'Sent' }).count()).resolves.toBe(1);
      const nasRow = page.locator('tr[data-label="Backup NAS"]');
      await expect(nasRow.locator('td').nth(2).innerText()).resolves.toMatch(/1 Mar 2026/);
      const reveals = page.locator('tr.reveals-row details').first();
      const summary = reveals.locator('summary');
      // Screen readers hear which credential the list is about first.
      await expect(summary.innerText()).resolves.toMatch(/^Who revealed “Backup NAS”:\s+2 reveals last: Admin Person, 1 Mar 2026, 10:00/);
      // A credential nobody revealed has no reveals row.
      await expect(page.locator('tr[data-label="Spare key"] + tr.reveals-row').count()).resolves.toBe(0);
      // On a phone the summary stays on the screen while the table scrolls sideways.
      const box = (await summary.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      await screenshot(page, `console-ticket-reveals-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it('opens the list: who, when and why for each reveal, newest first', async () => {
      const details = page.locator('tr.reveals-row details').first();
      await details.locator('summary').click();
      const items = page.getByRole('list', { name: 'Who revealed “Backup NAS”' }).getByRole('listitem');
      await expect(items.count()).resolves.toBe(2);
      await expect(items.nth(0).innerText()).resolves.toMatch(/10:00[\s\S]*Admin Person[\s\S]*ZD-3001 second opinion on the disk errors/);
      await expect(items.nth(1).innerText()).resolves.toMatch(/09:00[\s\S]*Engineer Person[\s\S]*ZD-3001 checking the backup job log/);
      const last = (await items.nth(0).boundingBox())!;
      expect(last.x + last.width).toBeLessThanOrEqual(width);
      await screenshot(page, `console-ticket-reveals-open-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it("adds the engineer's own reveal, marked as theirs, once the dialog closes", async () => {
      await page.getByRole('button', { name: 'Reveal “Router admin”' }).click();
      const dialog = page.getByRole('dialog', { name: 'Reveal “Router admin”' });
      await dialog.getByLabel('Why do you need it?').fill(`ZD-3001 port forwarding (${name})`);
      await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
      await dialog.locator('[data-field="url"]').waitFor();
      await dialog.getByRole('button', { name: 'Done' }).click();
      const summary = page.locator('tr[data-label="Router admin"] + tr.reveals-row summary');
      await summary.waitFor();
      await expect(summary.innerText()).resolves.toMatch(/ reveals? last: Engineer Person \(you\), /);
      await summary.click();
      await expect(page.getByRole('list', { name: 'Who revealed “Router admin”' }).innerText()).resolves.toContain(`ZD-3001 port forwarding (${name})`);
      expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    });
  });
});
