import { jest } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { givePassword } from '../harness/staff-sessions.js';
import { auditEvents } from '../harness/test-vault.js';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from '../harness/webhook-receiver.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS, openConsoleTab } from './console-viewports.js';

// The console's webhooks page in real Chromium against a real vault and a real receiver on
// loopback: an admin adds an endpoint (the secret shown once, copied with the button, and it
// verifies what the receiver gets), sees its delivery state while a delivery is retried and
// after it went through, and removes it. axe-clean at 1366 and 390 px.

jest.setTimeout(240_000);

describe('outgoing webhooks in the console', () => {
  let vault: RunningVault;
  let browser: Browser;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    await givePassword(vault.tv, 'admin');
    await givePassword(vault.tv, 'engineer');
    browser = await launchChromium();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await vault?.stop();
  });

  for (const size of CONSOLE_WIDTHS) {
    it(`adds, shows the delivery state of, and removes an endpoint at ${size.width} px`, async () => {
      const { page, log, context } = await openConsoleTab(browser, vault.url, 'admin@vendor.test', size);
      if (size.name === 'phone') {
        await page.goto(`${vault.url}/console/webhooks`);
      } else {
        await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
      }
      await page.waitForURL(`${vault.url}/console/webhooks`);
      await expectText(page.locator('#webhooks-table'), 'No webhooks yet.');

      // Refused in words on the page, nothing registered.
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await expectText(page.locator('#wh-url-error'), 'Enter the address to send events to.');
      await expectText(page.locator('#wh-events-error'), 'Choose at least one event.');
      await page.getByLabel('Address').fill('https://user:pw@hooks.example.test/x');
      await page.getByLabel(/^Ticket created/).check();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await expectText(page.locator('#wh-url-error'), 'Enter a full https address without a user name or password.');
      expect(await vault.tv.vault.outgoingWebhooks.listWebhookEndpoints()).toEqual([]);

      await page.getByLabel('Address').fill(receiver.url);
      await page.getByLabel(/^Ticket closed/).check();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await expectText(page.locator('#webhooks-status'), 'The webhook was added.');
      const secret = await page.locator('#new-secret-value').inputValue();
      expect(secret).toMatch(/^whsec_/);
      await page.locator('[data-copy-secret]').click();
      await expectText(page.locator('#new-secret [data-copy-status]'), 'Copied');
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
      await expectText(page.locator('#webhooks-table [data-delivery-state]'), 'Nothing sent yet');
      await screenshot(page, `console-webhooks-added-${size.width}`);
      expect(await seriousAxeViolations(page)).toEqual([]);

      // A ticket is created; the receiver fails the first try, then takes it.
      const answers = [500];
      receiver.answer = () => answers.shift() ?? 204;
      const before = receiver.received.length;
      const ticket = await vault.tv.http
        .post('/api/v1/tickets')
        .set(vault.tv.auth())
        .send({ externalRef: `ZD-hook-${size.width}`, subject: 'Upload fails', customerEmail: 'casey@shop.test', supportUntil: '2099-12-31' })
        .expect(201);
      await vault.tv.vault.webhookSender.sendDueWebhooks();
      await page.reload();
      await expectText(page.locator('#webhooks-table [data-delivery-state]'), 'Retrying');
      await expectText(page.locator('#webhooks-table .cell-note').filter({ hasText: 'Last answer' }), 'Last answer: HTTP 500');
      await screenshot(page, `console-webhooks-retrying-${size.width}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(size.name === 'phone' ? await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') : true).toBe(true);

      vault.tv.clock.advance(5000);
      await vault.tv.vault.webhookSender.sendDueWebhooks();
      await page.reload();
      await expectText(page.locator('#webhooks-table [data-delivery-state]'), 'Working');
      await expectText(page.locator('#webhooks-table .cell-note').first(), '1 delivered · 0 waiting · 0 not delivered');
      const got = receiver.received.slice(before);
      expect(got.map((h) => h.answered)).toEqual([500, 204]);
      for (const hook of got) expect(verifyStandardWebhook(secret, hook)).toBe(true);
      expect(JSON.parse(got[1]!.body)).toMatchObject({ type: 'ticket.created', data: { ticketId: ticket.body.id, externalRef: `ZD-hook-${size.width}` } });
      await screenshot(page, `console-webhooks-working-${size.width}`);

      // Removed after a confirmation; the secret is gone from the page.
      await page.getByRole('button', { name: `Remove webhook ${receiver.url}` }).click();
      await page.getByRole('dialog', { name: 'Remove this webhook?' }).getByRole('button', { name: 'Remove webhook' }).click();
      await expectText(page.locator('#webhooks-status'), 'The webhook was removed.');
      await expectText(page.locator('#webhooks-table'), 'No webhooks yet.');
      expect(await page.locator('#new-secret').isHidden()).toBe(true);
      expect(await vault.tv.vault.outgoingWebhooks.listWebhookEndpoints()).toEqual([]);
      expect((await auditEvents(vault.tv, { action: 'webhook.removed' })).length).toBeGreaterThan(0);
      expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
      await context.close();
    });
  }

  it('is not offered to an engineer, and answers them 403', async () => {
    const { page, context } = await openConsoleTab(browser, vault.url, 'engineer@vendor.test', CONSOLE_WIDTHS[0]);
    expect(await page.getByRole('link', { name: 'Webhooks', exact: true }).count()).toBe(0);
    const res = await page.goto(`${vault.url}/console/webhooks`);
    expect(res?.status()).toBe(403);
    await context.close();
  });
});
