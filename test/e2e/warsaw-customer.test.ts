import { jest } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { startSmtpSink, type SmtpSink } from '../harness/smtp-sink.js';
import { auditEvents, openTicketWithLink } from '../harness/test-vault.js';
import { launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';

// Issue 17's "done when", tried as a new user would: a customer in Warsaw, on a 360 px phone with
// a Polish browser, reads the intake page in Polish, sends a key file, and later finds everything
// they sent in the customer portal (signed in through a real SMTP server) and withdraws it all from
// there, in Polish; axe finds nothing serious on any page.

jest.setTimeout(180_000);

const CUSTOMER = 'jan.kowalski@sklep.test';
const KEY = Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nCANARY-warsaw-key-7f3a\n-----END OPENSSH PRIVATE KEY-----\n');

describe('a customer in Warsaw (issue 17)', () => {
  let sink: SmtpSink;
  let vault: RunningVault;
  let browser: Browser;

  beforeAll(async () => {
    sink = await startSmtpSink();
    vault = await startVault({ SMTP_URL: sink.url, VENDOR_NAME: 'Acme Software' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
    await sink?.stop();
  });

  it('sends a key file from a phone in Polish, then finds and withdraws everything from the portal', async () => {
    const first = await openTicketWithLink(vault.tv, { customerEmail: CUSTOMER, externalRef: 'ZD-8801', subject: 'Serwer SFTP nie odpowiada' });
    const second = await openTicketWithLink(vault.tv, { customerEmail: CUSTOMER, externalRef: 'ZD-8802', subject: 'Kopie zapasowe' });
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'pl-PL', deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const log = watchPage(page);
    const found: Record<string, unknown> = {};

    // The intake page, in Polish from the browser's language: a key file, then a note on the second ticket.
    await page.goto(`${vault.url}/s/${first.linkToken}`);
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('pl');
    await page.getByRole('radio', { name: /Pliki/ }).check();
    await page.getByRole('textbox', { name: /Nazwa tych danych dostępowych/ }).fill('Klucz SSH serwera');
    await page.locator('[data-file-picker] [data-file-input]').setInputFiles([{ name: 'id_ed25519', mimeType: 'application/octet-stream', buffer: KEY }]);
    await page.locator('.file-item[data-state="ready"]').waitFor();
    found.intake = await seriousAxeViolations(page);
    await screenshot(page, 'warsaw-intake-file-360');
    await page.getByRole('button', { name: 'Zaszyfruj i wyślij' }).click();
    await page.getByText('„Klucz SSH serwera” – zaszyfrowano i wysłano.').waitFor();

    await page.goto(`${vault.url}/s/${second.linkToken}`);
    await page.getByRole('radio', { name: /Inne/ }).check();
    await page.getByRole('textbox', { name: /Nazwa tych danych dostępowych/ }).fill('Hasło do kopii');
    await page.locator('fieldset[data-kind="other"] textarea').fill('CANARY-warsaw-note');
    await page.getByRole('button', { name: 'Zaszyfruj i wyślij' }).click();
    await page.getByText('„Hasło do kopii” – zaszyfrowano i wysłano.').waitFor();

    // Later: the portal, signed in through the e-mailed link.
    await page.goto(`${vault.url}/portal`);
    await page.getByRole('heading', { level: 1, name: 'Twój portal klienta' }).waitFor();
    await page.locator('#portal-email').fill(CUSTOMER);
    await page.getByRole('button', { name: 'Wyślij mi link do logowania' }).click();
    await page.getByRole('heading', { name: 'Sprawdź skrzynkę e-mail' }).waitFor();
    await vault.tv.vault.portalMails.sendDuePortalMails();
    const mail = sink.messages.filter((m) => m.headers['x-ticketvault-notice'] === 'sign_in').at(-1)!;
    expect(mail.envelopeTo).toEqual([CUSTOMER]);
    expect(mail.headers.subject).toBe('Twój link do logowania w Acme Software');
    const link = new RegExp(`${vault.url}/portal/sign-in/[A-Za-z0-9_-]{43}`).exec(mail.body)![0];
    await page.goto(link);
    await page.getByRole('button', { name: 'Zaloguj się', exact: true }).click();
    await page.getByText(`Zalogowano jako ${CUSTOMER}.`).waitFor();

    // Everything they sent, in one place: both tickets, the file by name.
    await page.getByText('ZD-8801').waitFor();
    await page.getByText('ZD-8802').waitFor();
    await page.locator('.file-names__name', { hasText: 'id_ed25519' }).waitFor();
    found.portal = await seriousAxeViolations(page);

    await page.getByText('Wycofaj wszystko', { exact: true }).click();
    await page.getByText('Wycofać wszystko, co nam przesłano (2 zestawy danych dostępowych)?', { exact: false }).waitFor();
    found.confirm = await seriousAxeViolations(page);
    await screenshot(page, 'warsaw-portal-withdraw-all-360');
    await page.getByRole('button', { name: 'Tak, wycofaj i zniszcz wszystko' }).click();
    await page.getByText('Wszystko, co nam przesłano, zostało wycofane i zniszczone.').waitFor();
    found.done = await seriousAxeViolations(page);
    await screenshot(page, 'warsaw-portal-withdrawn-360');
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(360);

    // Destroyed, and audited as the customer's withdrawal.
    const rows = (await vault.tv.query("SELECT id, status FROM credentials WHERE ticket_id IN (?, ?)", first.ticketId, second.ticketId)) as Array<{ id: string; status: string }>;
    expect(rows.map((r) => r.status)).toEqual(['purged', 'purged']);
    for (const { id } of rows) {
      const withdrawn = await auditEvents(vault.tv, { credentialId: id, action: 'credential.withdrawn' });
      expect(withdrawn.map((e) => e.actor.type)).toEqual(['customer']);
    }
    expect(await vault.tv.query('SELECT COUNT(*) AS n FROM credential_files')).toEqual([{ n: 0 }]);

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    await context.close();
  });
});
