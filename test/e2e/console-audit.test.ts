import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { BY_OPERATOR, openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab, type ConsoleTab } from './console-viewports.js';

// Issue 15 item 4, in Chromium at 1366 and 390 px: the audit view names credentials by label and
// tickets by reference (time-ordered ids share their first characters), says detail codes in
// words, keeps the From column on a 1366 px screen with long references, labels, reasons and
// IPv6 addresses, and filters by a ticket's reference.

jest.setTimeout(240_000);

const LONG_REF = 'HELPDESK-EMEA-2026-004217';
const IPV6 = '2001:db8:85a3::8a2e:370:7334';
const LONG_REASON = 'HELPDESK-EMEA-2026-004217 customer on the phone, checking why the nightly export to the warehouse stops at 80 %';

describe('audit view (issue 15 item 4)', () => {
  let vault: RunningVault;
  let browser: Browser;
  let twins: string[] = [];

  beforeAll(async () => {
    // The vault trusts the loopback proxy, so the events carry the address it forwards.
    vault = await startVault({ VENDOR_NAME: 'Acme Software', TRUST_PROXY: 'loopback' });
    const tv = vault.tv;
    await givePassword(tv, 'auditor');
    const reveal = (credentialId: string, reason: string, ip: string) =>
      tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).set('X-Forwarded-For', ip).send({ reason });

    const busy = await openTicketWithLink(tv, { externalRef: LONG_REF, subject: 'Nightly export stops at 80 %' });
    // Two credentials with one label, sent a moment apart: their ids share their first characters.
    const first = await submitCredential(tv, busy.linkToken, { kind: 'ftp', label: 'Shop SFTP', fields: { host: 'sftp.example', username: 'u' } });
    const second = await submitCredential(tv, busy.linkToken, { kind: 'ftp', label: 'Shop SFTP', fields: { host: 'sftp2.example', username: 'u' } });
    twins = [first.credentialId, second.credentialId];
    const long = await submitCredential(tv, busy.linkToken, { kind: 'ssh', label: 'Customer production SFTP (read-only, nightly export)', fields: { host: 'h', username: 'u' } });
    await reveal(first.credentialId, LONG_REASON, IPV6).expect(200);
    await reveal(second.credentialId, 'HELPDESK-EMEA-2026-004217 second server', '203.0.113.7').expect(200);
    await reveal(long.credentialId, 'HELPDESK-EMEA-2026-004217 permissions', IPV6).expect(200);
    // The customer freezes one; the next reveal is refused.
    await tv.http.post(`/api/v1/receipts/${long.receiptToken}/credentials/${long.credentialId}/restrict`).expect(200);
    await reveal(long.credentialId, 'HELPDESK-EMEA-2026-004217 once more', IPV6).expect(423);

    const other = await openTicketWithLink(tv, { externalRef: 'ZD-77', subject: 'Printer offline' });
    const printer = await submitCredential(tv, other.linkToken, { kind: 'web-login', label: 'Printer admin', fields: { url: 'https://printer.example', username: 'admin', password: 'p' } });
    await reveal(printer.credentialId, 'ZD-77 printer queue', '198.51.100.23').expect(200);

    const sam = await tv.vault.staff.addStaffMember({ email: 'sam@vendor.test', name: 'Sam Support', role: 'engineer' }, BY_OPERATOR);
    await tv.vault.staff.updateStaffMember(sam.id, { role: 'auditor' }, BY_OPERATOR);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  /** Whether the audit table fits its card: no column, From included, is scrolled out of sight. */
  const tableFits = (page: Page) => page.evaluate('(() => { const w = document.querySelector(".data-table--audit").closest(".table-wrap"); return w.scrollWidth <= w.clientWidth; })()') as Promise<boolean>;

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, width, ...size }) => {
    let tab: ConsoleTab;
    let page: Page;
    beforeAll(async () => {
      tab = await openConsoleTab(browser, vault.url, 'auditor@vendor.test', { width, ...size });
      page = tab.page;
    });
    afterAll(() => tab?.context.close());

    it('names credentials by label and tickets by reference, and says details in words', async () => {
      await page.goto(`${vault.url}/console/audit`);
      const body = page.locator('table.data-table--audit tbody');
      await expect(body.getByRole('link', { name: LONG_REF, exact: true }).count()).resolves.toBeGreaterThan(3);
      // One label twice on one ticket: each gets the random end of its id.
      for (const id of twins) await expect(body.getByRole('link', { name: `Shop SFTP · …${id.slice(-6)}` }).count()).resolves.toBeGreaterThan(0);
      await expect(body.getByRole('link', { name: 'Customer production SFTP (read-only, nightly export)' }).count()).resolves.toBeGreaterThan(0);
      const text = await body.innerText();
      expect(text).not.toMatch(/\b[0-9a-f]{8}\b/);
      for (const words of ['Frozen by the customer', 'sam@vendor.test: role Engineer → Auditor', 'sam@vendor.test: as Engineer', 'With password', 'FTP / SFTP']) expect(text).toContain(words);
      expect(text).toContain(IPV6);
      await screenshot(page, `console-audit-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    if (width >= 1366) {
      it('keeps the From column in view at 1366 px, with long references, labels, reasons and IPv6 addresses', async () => {
        await expect(tableFits(page)).resolves.toBe(true);
        const from = (await page.getByRole('columnheader', { name: 'From' }).boundingBox())!;
        expect(from.x + from.width).toBeLessThanOrEqual(width);
        const ip = (await page.locator('td.ip', { hasText: IPV6 }).first().boundingBox())!;
        expect(ip.x + ip.width).toBeLessThanOrEqual(width);
      });
    } else {
      it('on a phone scrolls the table inside its card, never the page', async () => {
        await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
      });
    }

    it("filters by a ticket's reference typed in, and the export asks for that ticket", async () => {
      await page.getByLabel('Ticket (reference or id)').fill('ZD-77');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/ticketId=ZD-77/);
      const rows = page.locator('table.data-table--audit tbody tr');
      await expect(rows.count()).resolves.toBeGreaterThan(1);
      for (const row of await rows.all()) await expect(row.getByRole('link', { name: 'ZD-77', exact: true }).count()).resolves.toBe(1);
      await expect(page.getByLabel('Ticket (reference or id)').inputValue()).resolves.toBe('ZD-77');
      const exportHref = await page.getByRole('link', { name: 'Export JSON Lines' }).getAttribute('href');
      const ticketId = await vault.tv.vault.audit.ticketIdOfRef('ZD-77');
      expect(exportHref).toBe(`/api/v1/audit/export?ticketId=${ticketId}`);
      await screenshot(page, `console-audit-by-ref-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
    });

    it('filters by a reference or a label clicked in the table; the credential filter names what it shows', async () => {
      await page.getByRole('link', { name: 'Clear' }).click();
      await page.waitForURL(`${vault.url}/console/audit`);
      await page.locator('table.data-table--audit tbody').getByRole('link', { name: LONG_REF, exact: true }).first().click();
      await page.waitForURL(new RegExp(`ticketId=${LONG_REF}`));
      await expect(page.getByLabel('Ticket (reference or id)').inputValue()).resolves.toBe(LONG_REF);
      await page.locator('table.data-table--audit tbody').getByRole('link', { name: `Shop SFTP · …${twins[1]!.slice(-6)}` }).first().click();
      await page.waitForURL(new RegExp(`credentialId=${twins[1]}`));
      await expectText(page.locator('#f-credential-hint'), `“Shop SFTP” on ${LONG_REF}`);
      const rows = page.locator('table.data-table--audit tbody tr');
      await expect(rows.count()).resolves.toBe(2); // sent, revealed
      await expect(rows.first().innerText()).resolves.toContain('203.0.113.7');
      await screenshot(page, `console-audit-credential-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    });
  });
});
