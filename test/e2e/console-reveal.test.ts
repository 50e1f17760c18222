import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { auditEvents, openTicketWithLink, submitCredential } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab, type ConsoleTab } from './console-viewports.js';

// Issue 15 item 1, in Chromium at 1366 and 390 px: the reveal dialog masks only the secret fields,
// offers each kind's connection string and "Copy all", sends the reason on Ctrl+Enter, and after
// the 60 s offers "Reveal again" — a new audited reveal with the same reason.

jest.setTimeout(240_000);

const SFTP = { host: 'sftp.reveal-canary.example', username: 'vendor-support', protocol: 'sftp', port: '2222', path: 'upload/in', password: 'CANARY-sftp-Pa55!' };
const SSH = { host: 'ssh.reveal-canary.example', username: 'deploy', port: '2200', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nCANARY-ssh-key\n-----END OPENSSH PRIVATE KEY-----' };
const TEAMVIEWER = { partnerId: '123 456 789', password: 'CANARY-tv-9', notes: 'Call Robin before connecting' };
const API = { key: 'CANARY-api-key', baseUrl: 'https://api.reveal-canary.example', secret: 'CANARY-api-secret' };

describe('reveal dialog (issue 15 item 1)', () => {
  let vault: RunningVault;
  let browser: Browser;
  let ticketUrl = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    await givePassword(vault.tv, 'engineer');
    const { ticketId, linkToken } = await openTicketWithLink(vault.tv, { externalRef: 'ZD-2001', subject: 'Nightly upload fails' });
    ticketUrl = `${vault.url}/console/tickets/${ticketId}`;
    ids.sftp = (await submitCredential(vault.tv, linkToken, { kind: 'ftp', label: 'Shop SFTP', fields: SFTP })).credentialId;
    ids.ssh = (await submitCredential(vault.tv, linkToken, { kind: 'ssh', label: 'Build server', fields: SSH })).credentialId;
    ids.teamviewer = (await submitCredential(vault.tv, linkToken, { kind: 'teamviewer', label: 'Office PC', fields: TEAMVIEWER })).credentialId;
    ids.api = (await submitCredential(vault.tv, linkToken, { kind: 'api', label: 'Payments API', fields: API })).credentialId;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
  });

  const clipboard = (page: Page) => page.evaluate('navigator.clipboard.readText()') as Promise<string>;

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, ...size }) => {
    let tab: ConsoleTab;
    let page: Page;
    beforeAll(async () => {
      tab = await openConsoleTab(browser, vault.url, 'engineer@vendor.test', size, { fakeClock: true });
      page = tab.page;
      await page.goto(ticketUrl);
    });
    afterAll(() => tab?.context.close());

    it('copies the SFTP connection string in three clicks: only the password is masked, the rest plain', async () => {
      await page.getByRole('button', { name: 'Reveal “Shop SFTP”' }).click();
      const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
      await expect(dialog.getByLabel('Why do you need it?').inputValue()).resolves.toBe('ZD-2001');
      await expect(dialog.getByText('Ctrl+Enter reveals.').isVisible()).resolves.toBe(true);
      await screenshot(page, `console-reveal-reason-${name}`);
      await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();

      const connect = dialog.locator('[data-connect-value]');
      await expectText(connect, 'sftp://vendor-support@sftp.reveal-canary.example:2222/upload/in');
      // The connection string has focus: Enter or one click copies it.
      await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('Copy connection string');
      await dialog.getByRole('button', { name: 'Copy connection string' }).click();
      await expect(clipboard(page)).resolves.toBe('sftp://vendor-support@sftp.reveal-canary.example:2222/upload/in');

      for (const [field, value] of [['host', SFTP.host], ['protocol', 'sftp'], ['port', '2222'], ['username', SFTP.username], ['path', SFTP.path]] as const) {
        await expectText(dialog.locator(`[data-field="${field}"]`), value);
      }
      await expectText(dialog.locator('[data-field="password"]'), '••••••••••');
      // Plain fields have Copy only; the secret one has Show too.
      await expect(dialog.getByRole('button', { name: /^Show / }).count()).resolves.toBe(1);
      await expect(dialog.getByRole('button', { name: 'Show Host' }).count()).resolves.toBe(0);
      await screenshot(page, `console-reveal-fields-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      // Nothing in the dialog is wider than the screen.
      await expect(page.evaluate('(() => { const d = document.querySelector("#reveal-dialog"); return d.scrollWidth <= d.clientWidth; })()')).resolves.toBe(true);

      await dialog.getByRole('button', { name: 'Copy all' }).click();
      await expectText(dialog.locator('[data-copy-status]'), 'Copied every value, the secret ones too.');
      await expect(clipboard(page)).resolves.toBe(
        [
          'Connect with: sftp://vendor-support@sftp.reveal-canary.example:2222/upload/in',
          `Host: ${SFTP.host}`,
          'Protocol: sftp',
          'Port: 2222',
          `User name: ${SFTP.username}`,
          `Password: ${SFTP.password}`,
          `Folder: ${SFTP.path}`,
        ].join('\n'),
      );
      await dialog.getByRole('button', { name: 'Show Password' }).click();
      await expectText(dialog.locator('[data-field="password"]'), SFTP.password);
    });

    it('after 60 s removes the values and offers "Reveal again": one click is a new audited reveal with the same reason', async () => {
      const dialog = page.getByRole('dialog', { name: 'Reveal “Shop SFTP”' });
      const before = (await auditEvents(vault.tv, { credentialId: ids.sftp!, action: 'credential.revealed' })).length;
      await page.clock.fastForward(61_000);
      await expectText(dialog.locator('[data-reveal-timer]'), 'The values were removed from the page.');
      const again = dialog.getByRole('button', { name: 'Reveal again' });
      await expect(again.isVisible()).resolves.toBe(true);
      await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Reveal again');
      await expect(dialog.getByRole('button', { name: 'Copy all' }).isVisible()).resolves.toBe(false);
      const html = await page.content();
      for (const value of [SFTP.password, SFTP.host, SFTP.username]) expect(html).not.toContain(value);
      await expectText(dialog.locator('#reveal-again-hint'), 'A new reveal, recorded with the same reason: “ZD-2001”.');
      await screenshot(page, `console-reveal-again-${name}`);
      expect(await seriousAxeViolations(page)).toEqual([]);

      await again.click();
      await expectText(dialog.locator('[data-field="host"]'), SFTP.host);
      await expect(again.isVisible()).resolves.toBe(false);
      const reveals = await auditEvents(vault.tv, { credentialId: ids.sftp!, action: 'credential.revealed' });
      expect(reveals).toHaveLength(before + 1);
      expect(reveals[0]!.reason).toBe('ZD-2001');
      await dialog.getByRole('button', { name: 'Done' }).click();
      await expect(dialog.isVisible()).resolves.toBe(false);
    });

    it('sends the reason with Ctrl+Enter; SSH offers the ssh command with the key masked', async () => {
      await page.getByRole('button', { name: 'Reveal “Build server”' }).click();
      const dialog = page.getByRole('dialog', { name: 'Reveal “Build server”' });
      await dialog.getByLabel('Why do you need it?').fill(`ZD-2001 deploy check (${name})`);
      await page.keyboard.press('Control+Enter');
      await expectText(dialog.locator('[data-connect-value]'), 'ssh -p 2200 deploy@ssh.reveal-canary.example');
      await expectText(dialog.locator('[data-field="privateKey"]'), '••••••••••');
      await expectText(dialog.locator('[data-field="username"]'), 'deploy');
      const reveals = await auditEvents(vault.tv, { credentialId: ids.ssh!, action: 'credential.revealed' });
      expect(reveals[0]!.reason).toBe(`ZD-2001 deploy check (${name})`);
      await screenshot(page, `console-reveal-ssh-${name}`);
      await page.keyboard.press('Escape');
      await expect(dialog.isVisible()).resolves.toBe(false);
    });

    it('TeamViewer offers the ID to paste, notes plain and the password masked; an API key has no connection string', async () => {
      await page.getByRole('button', { name: 'Reveal “Office PC”' }).click();
      let dialog = page.getByRole('dialog', { name: 'Reveal “Office PC”' });
      await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
      await expectText(dialog.locator('[data-connect-value]'), '123456789');
      await expectText(dialog.locator('[data-field="notes"]'), TEAMVIEWER.notes);
      await expectText(dialog.locator('[data-field="password"]'), '••••••••••');
      await screenshot(page, `console-reveal-teamviewer-${name}`);
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'Reveal “Payments API”' }).click();
      dialog = page.getByRole('dialog', { name: 'Reveal “Payments API”' });
      await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
      await expectText(dialog.locator('[data-field="baseUrl"]'), API.baseUrl);
      await expectText(dialog.locator('[data-field="key"]'), '••••••••••');
      await expectText(dialog.locator('[data-field="secret"]'), '••••••••••');
      await expect(dialog.locator('[data-connect]').isVisible()).resolves.toBe(false);
      await page.keyboard.press('Escape');
      await expect(dialog.isVisible()).resolves.toBe(false);
      expect(unexpectedErrors(tab.log.consoleErrors)).toEqual([]);
    });
  });
});
