import path from 'node:path';
import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { LANGUAGES } from '../../src/languages/languages.js';
import { openTicketWithLink, revealAs, submitCredential, tokenOf } from '../harness/test-vault.js';
import { launchChromium, screenshot, SCREENSHOTS, seriousAxeViolations, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';

// DESIGN "Languages" in Debian's Chromium: a customer whose browser asks for Polish gets the pages
// in Polish, switches to German with the page's switcher, sends a credential, and manages it on a
// German receipt page, then switches that to Polish; at 360 px and on a desktop, axe-clean.

jest.setTimeout(180_000);

const SIZES = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: '360', width: 360, height: 780 },
] as const;

const POLISH_MONTH = /(stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia)/;
const GERMAN_MONTH = /(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)/;

async function switchTo(page: Page, language: string, heading: string): Promise<void> {
  await page.locator('summary.languages__toggle').click();
  await page.getByRole('link', { name: language }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** No sideways scrolling, and no word running out of its box (long words in some languages). */
async function expectFits(page: Page, width: number): Promise<void> {
  await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(width);
  const overflowing = await page.evaluate(
    `[...document.querySelectorAll('main *, header *, nav *')].filter((e) => e.offsetParent !== null && !['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName) && getComputedStyle(e).overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0).map((e) => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 60))`,
  );
  expect(overflowing).toEqual([]);
}

describe('customer pages in the customer’s language', () => {
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

  it.each(SIZES)('at $name: Polish from the browser, German by the switcher, intake still sends, receipt switched back to Polish', async (size) => {
    const context = await browser.newContext({
      viewport: { width: size.width, height: size.height },
      locale: 'pl-PL',
      ...(size.width < 400 ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
    });
    const page = await context.newPage();
    const log = watchPage(page);
    const { linkToken } = await openTicketWithLink(vault.tv, { subject: 'Sklep nie przyjmuje plików' });
    const found: Record<string, unknown> = {};

    // Polish, from the browser's Accept-Language.
    await page.goto(`${vault.url}/s/${linkToken}`);
    await page.getByRole('heading', { level: 1, name: 'Wyślij dane dostępowe do Acme Software' }).waitFor();
    await page.getByRole('button', { name: 'Zaszyfruj i wyślij' }).waitFor();
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('pl');
    await expect(page.locator('time[data-local-time]').first().innerText()).resolves.toMatch(POLISH_MONTH);
    await expectFits(page, size.width);
    found.intakePolish = await seriousAxeViolations(page);
    await screenshot(page, `languages-intake-pl-${size.name}`);

    // The switcher, open: every language by its own name, inside the screen.
    await page.locator('summary.languages__toggle').click();
    const list = page.locator('.languages__list');
    await expect(list.locator('a').allTextContents()).resolves.toEqual(['English', 'Deutsch', 'Français', 'Español', 'Nederlands', 'Italiano', 'Português', 'Polski']);
    await expect(list.locator('a[aria-current="true"]').textContent()).resolves.toBe('Polski');
    const box = (await list.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(size.width);
    found.switcherOpen = await seriousAxeViolations(page);
    // What the customer sees of it: the screen, not the whole page.
    await page.screenshot({ path: path.join(SCREENSHOTS, `languages-switcher-open-${size.name}.png`) });
    await page.locator('summary.languages__toggle').click();

    // German by the switcher; the page script speaks German too.
    await switchTo(page, 'Deutsch', 'Zugangsdaten an Acme Software senden');
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('de');
    const submit = page.getByRole('button', { name: 'Verschlüsseln und senden' });
    await submit.waitFor();
    await expect(page.locator('time[data-local-time]').first().innerText()).resolves.toMatch(GERMAN_MONTH);
    await submit.click();
    await expect(page.locator('#form-error').innerText()).resolves.toBe('Bitte prüfen Sie die markierten Felder.');
    await expect(page.locator('#intake-ftp-host-error').innerText()).resolves.toBe('Geben Sie den Hostnamen oder die IP-Adresse ein.');
    await expectFits(page, size.width);
    found.intakeGermanErrors = await seriousAxeViolations(page);
    await screenshot(page, `languages-intake-de-errors-${size.name}`);
    // The kind cards up close: German's long words must wrap inside them.
    await page.locator('.kinds').screenshot({ path: path.join(SCREENSHOTS, `languages-kinds-de-${size.name}.png`) });

    await page.locator('#intake-ftp-host').fill('ftp.sklep.test');
    await page.locator('#intake-ftp-username').fill('wsparcie');
    await page.getByLabel('Name für diese Zugangsdaten').fill('Shop-FTP');
    const [post] = await Promise.all([page.waitForRequest((r) => r.method() === 'POST'), submit.click()]);
    expect(post.headers()['accept-language']).toBe('de');
    await page.getByText('„Shop-FTP“ wurde verschlüsselt und gesendet.').waitFor();
    found.sentGerman = await seriousAxeViolations(page);
    await screenshot(page, `languages-intake-de-sent-${size.name}`);
    const receiptUrl = await page.getByLabel('Beleg-Link für „Shop-FTP“').inputValue();

    // The receipt page keeps German (the switcher's cookie beats the browser's Polish).
    const viewed = await vault.tv.http.get(`/api/v1/receipts/${tokenOf(receiptUrl)}`).expect(200);
    await revealAs(vault.tv, viewed.body.credentials[0].id, 'engineer', 'Upload prüfen').expect(200);
    await page.goto(receiptUrl);
    await page.getByRole('heading', { level: 1, name: 'Was Sie gesendet haben und wer es eingesehen hat' }).waitFor();
    await expect(page.getByText('Einmal eingesehen.').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Sperren' }).click();
    await page.locator('#receipt-status', { hasText: '„Shop-FTP“ ist gesperrt: Niemand kann die Zugangsdaten einsehen.' }).waitFor();
    await expect(page.locator('[data-status]').first().innerText()).resolves.toBe('Gesperrt');
    await expectFits(page, size.width);
    found.receiptGerman = await seriousAxeViolations(page);
    await screenshot(page, `languages-receipt-de-${size.name}`);

    // Switched to Polish: a change still works, and the refreshed list stays Polish.
    await switchTo(page, 'Polski', 'Co wysłano i kto to wyświetlił');
    await expect(page.locator('[data-status]').first().innerText()).resolves.toBe('Zablokowane');
    await page.getByRole('button', { name: 'Odblokuj' }).click();
    await page.locator('#receipt-status', { hasText: '„Shop-FTP” – odblokowano: zespół wsparcia znów może je wyświetlić.' }).waitFor();
    await expect(page.locator('[data-status]').first().innerText()).resolves.toBe('Aktywne');
    await expect(page.getByText('Wyświetlono raz.').isVisible()).resolves.toBe(true);
    await expect(page.locator('time[data-local-time]').first().innerText()).resolves.toMatch(POLISH_MONTH);
    await page.getByRole('button', { name: 'Zastąp' }).click();
    await expectFits(page, size.width);
    found.receiptPolish = await seriousAxeViolations(page);
    await screenshot(page, `languages-receipt-pl-${size.name}`);

    expect(found).toEqual({ intakePolish: [], switcherOpen: [], intakeGermanErrors: [], sentGerman: [], receiptGerman: [], receiptPolish: [] });
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    await context.close();
  });

  it('fits every language on a 360 px screen, axe-clean: intake, receipt with its replace form open, and the 404 page', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const log = watchPage(page);
    const { linkToken } = await openTicketWithLink(vault.tv, { subject: 'Checkout page shows a blank screen after the last update' });
    const { credentialId, receiptToken } = await submitCredential(vault.tv, linkToken);
    await revealAs(vault.tv, credentialId, 'engineer', 'Looking at the checkout template').expect(200);
    const found: Record<string, unknown> = {};
    for (const language of LANGUAGES) {
      await page.goto(`${vault.url}/s/${linkToken}?lang=${language}`);
      await page.locator('[data-submit]:not([disabled])').waitFor();
      await expectFits(page, 360);
      found[`intake-${language}`] = await seriousAxeViolations(page);
      await page.goto(`${vault.url}/r/${receiptToken}?lang=${language}`);
      await page.locator('[data-action="rectify"]').click();
      await expectFits(page, 360);
      found[`receipt-${language}`] = await seriousAxeViolations(page);
      await screenshot(page, `languages-every-receipt-${language}-360`);
      await page.goto(`${vault.url}/r/${'z'.repeat(43)}?lang=${language}`);
      await expectFits(page, 360);
      found[`notFound-${language}`] = await seriousAxeViolations(page);
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(Object.keys(found)).toHaveLength(3 * LANGUAGES.length);
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
    await context.close();
  }, 300_000);
});
