import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { STEP_UP_AFTER_MS } from '../../src/staff-auth/staff-sessions.js';
import { givePassword, PASSWORD } from '../harness/staff-sessions.js';
import { auditEvents, BY_OPERATOR, openTicketWithLink, submitCredential, type TestVault } from '../harness/test-vault.js';
import { totpAt } from '../harness/totp.js';
import { launchChromium, screenshot, seriousAxeViolations, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';
import { CONSOLE_WIDTHS } from './console-viewports.js';

// Issue 16 in Chromium at 1366 and 390 px: an engineer adds an authenticator app (the code typed is
// computed here from the key the page shows), signs in with password and code, confirms a reveal
// with a code, signs in with a recovery code, removes the app; with MFA_REQUIRED=true a new
// member is taken to enrolment before anything else; passkeys through Chromium's virtual
// authenticator (CDP WebAuthn domain): added, signed in with alone, a step-up, removal.

jest.setTimeout(240_000);

const FIELDS = { host: 'ftp.mfa-canary.example', username: 'vendor-support', password: 'CANARY-mfa-ftp' };

/** A code the server has not seen yet: the test vault's clock moves one step on first. */
function nextCode(tv: TestVault, secret: string): string {
  tv.clock.advance(30_000);
  return totpAt(secret, tv.clock.now());
}

async function addMember(tv: TestVault, email: string): Promise<void> {
  await tv.vault.staff.addStaff({ email, role: 'engineer', name: email.split('@')[0], password: PASSWORD }, BY_OPERATOR);
}

async function passwordStep(page: Page, url: string, email: string): Promise<void> {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/sign-in/);
}

/** On the account page: add an app, read its key, confirm with the current code; returns the key and the recovery codes shown. */
async function enrolApp(page: Page, tv: TestVault): Promise<{ secret: string; codes: string[] }> {
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg path').waitFor();
  const secret = (await page.locator('[data-totp-secret]').innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel('The 6-digit code the app now shows').fill(totpAt(secret, tv.clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  const list = page.getByRole('list', { name: 'Your recovery codes' });
  await list.locator('li').first().waitFor();
  const codes = await list.locator('li').allInnerTexts();
  expect(codes).toHaveLength(10);
  return { secret, codes };
}

/** A fresh browser context of this size (no cookies), closed after `fn`; fails on unexpected console errors. */
async function inTab(browser: Browser, size: { width: number; height: number }, fn: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ viewport: size });
  const page = await context.newPage();
  const log = watchPage(page);
  try {
    await fn(page);
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
  } finally {
    await context.close();
  }
}

describe('staff second factor in the console (issue 16)', () => {
  let vault: RunningVault;
  let required: RunningVault;
  let onLocalhost: RunningVault;
  let localTicketUrl = '';
  let browser: Browser;
  let ticketUrl = '';
  let credentialId = '';

  beforeAll(async () => {
    vault = await startVault({ VENDOR_NAME: 'Acme Software' });
    required = await startVault({ VENDOR_NAME: 'Acme Software', MFA_REQUIRED: 'true' });
    onLocalhost = await startVault({ VENDOR_NAME: 'Acme Software' }, { hostname: 'localhost' });
    const local = await openTicketWithLink(onLocalhost.tv, { externalRef: 'ZD-1617', subject: 'Shop FTP' });
    localTicketUrl = `${onLocalhost.url}/console/tickets/${local.ticketId}`;
    await submitCredential(onLocalhost.tv, local.linkToken, { kind: 'ftp', label: 'Shop FTP', fields: FIELDS });
    const { ticketId, linkToken } = await openTicketWithLink(vault.tv, { externalRef: 'ZD-1616', subject: 'Shop FTP' });
    ticketUrl = `${vault.url}/console/tickets/${ticketId}`;
    credentialId = (await submitCredential(vault.tv, linkToken, { kind: 'ftp', label: 'Shop FTP', fields: FIELDS })).credentialId;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
    await required?.stop();
    await onLocalhost?.stop();
  });

  describe.each(CONSOLE_WIDTHS)('at $width px ($name)', ({ name, ...size }) => {
    it('enrols an app, signs in with a code, confirms a reveal with a code, signs in with a recovery code and removes the app', async () => {
      const { tv, url } = vault;
      const email = `mfa-${name}@vendor.test`;
      await addMember(tv, email);
      await inTab(browser, size, async (page) => {
        await passwordStep(page, url, email);
        await page.waitForURL(/\/console\/tickets$/);
        await page.getByRole('link', { name: 'Sign-in security' }).click();
        await page.waitForURL(/\/console\/account/);
        expect(await page.getByText('No second factor yet.').isVisible()).toBe(true);
        const { secret, codes } = await enrolApp(page, tv);
        await screenshot(page, `console-mfa-recovery-codes-${name}`);
        await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await page.getByRole('button', { name: 'I have saved them' }).click();
        await page.waitForURL(/\/console\/tickets$/);

        // Sign-in: the password, then a code from the app.
        await signOut(page);
        await passwordStep(page, url, email);
        const code = page.getByLabel('Code from your app, or a recovery code');
        await code.waitFor();
        await screenshot(page, `console-mfa-second-step-${name}`);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await code.fill(totpAt(secret, tv.clock.now())); // the enrolment spent this step: refused
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.getByRole('alert').filter({ hasText: 'That code did not work' }).waitFor();
        await code.fill(nextCode(tv, secret));
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForURL(/\/console\/tickets$/);

        // Step-up before a reveal asks for a code, not the password.
        tv.clock.advance(STEP_UP_AFTER_MS + 1000);
        await page.goto(ticketUrl);
        await page.getByRole('button', { name: 'Reveal “Shop FTP”' }).click();
        const dialog = page.getByRole('dialog', { name: 'Reveal “Shop FTP”' });
        await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
        const stepUpCode = dialog.getByLabel('Code from your app, or a recovery code');
        await stepUpCode.waitFor();
        expect(await dialog.getByLabel('Password').isVisible()).toBe(false);
        expect(await dialog.getByRole('button', { name: 'Use a passkey' }).isVisible()).toBe(false); // this member has none
        await screenshot(page, `console-mfa-step-up-${name}`);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await stepUpCode.fill(nextCode(tv, secret));
        await dialog.getByRole('button', { name: 'Confirm and reveal' }).click();
        await dialog.locator('[data-field="host"]').filter({ hasText: FIELDS.host }).waitFor();
        const member = await tv.vault.staff.findStaffByEmail(email);
        expect((await auditEvents(tv, { credentialId, action: 'credential.revealed' })).some((e) => e.actor.id === member.id)).toBe(true);
        await dialog.getByRole('button', { name: 'Done' }).click();

        // A recovery code signs in once.
        await signOut(page);
        await passwordStep(page, url, email);
        await code.fill(codes[0]!);
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForURL(/\/console\/tickets$/);
        expect((await auditEvents(tv, { action: 'staff.login' })).find((e) => e.actor.id === member.id)?.detail).toBe('password+recovery');

        // Removal asks for a current code.
        await page.goto(`${url}/console/account`);
        await expect(page.getByText('9 recovery codes left.').isVisible()).resolves.toBe(true);
        await page.getByRole('button', { name: 'Remove Authenticator app' }).click();
        const proof = page.getByRole('dialog', { name: 'Confirm with your second factor' });
        await proof.getByLabel('Code from your app, or a recovery code').fill(nextCode(tv, secret));
        expect(await seriousAxeViolations(page)).toEqual([]);
        await proof.getByRole('button', { name: 'Confirm' }).click();
        await page.getByText('No second factor yet.').waitFor();
        await signOut(page);
        await passwordStep(page, url, email);
        await page.waitForURL(/\/console\/tickets$/);
      });
    });

    it('with MFA_REQUIRED=true takes a member without a second factor to enrolment before anything else', async () => {
      const { tv, url } = required;
      const email = `forced-${name}@vendor.test`;
      await addMember(tv, email);
      await inTab(browser, size, async (page) => {
        await passwordStep(page, url, email);
        await page.waitForURL(/\/console\/account\?next=/);
        await page.getByText('This vault requires a second factor.').waitFor();
        await page.goto(`${url}/console/tickets`);
        await page.waitForURL(/\/console\/account\?next=%2Fconsole%2Ftickets/);
        await screenshot(page, `console-mfa-required-${name}`);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await enrolApp(page, tv);
        await page.getByRole('button', { name: 'I have saved them' }).click();
        await page.waitForURL(/\/console\/tickets$/);
        await page.getByRole('heading', { name: 'Tickets' }).waitFor();
      });
    });

    it('adds a passkey, signs in with it alone, confirms a reveal with it and removes it (virtual authenticator)', async () => {
      const { tv, url } = onLocalhost;
      const email = `passkey-${name}@vendor.test`;
      await addMember(tv, email);
      await inTab(browser, size, async (page) => {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('WebAuthn.enable');
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
        });
        await passwordStep(page, url, email);
        await page.waitForURL(/\/console\/tickets$/);
        await page.goto(`${url}/console/account`);
        await page.getByLabel('Name of the passkey').fill('Laptop');
        await page.getByRole('button', { name: 'Add a passkey' }).click();
        await page.getByRole('list', { name: 'Your recovery codes' }).locator('li').first().waitFor();
        await page.getByText('Laptop').first().waitFor();
        expect(await seriousAxeViolations(page)).toEqual([]);
        await page.getByRole('button', { name: 'I have saved them' }).click();
        await page.waitForURL(/\/console\/tickets$/);
        const member = await tv.vault.staff.findStaffByEmail(email);
        expect(JSON.parse((await auditEvents(tv, { action: 'staff.mfa_changed' }))[0]!.detail!)).toMatchObject({ staffId: member.id, change: 'passkey_added' });

        // The passkey alone signs in (a discoverable credential; no e-mail typed).
        await signOut(page);
        tv.clock.advance(1000);
        await page.getByRole('button', { name: 'Use a passkey' }).click();
        await page.waitForURL(/\/console\/tickets$/);
        expect((await auditEvents(tv, { action: 'staff.login' })).find((e) => e.actor.id === member.id)?.detail).toBe('passkey');

        // The step-up before a reveal takes the passkey.
        tv.clock.advance(STEP_UP_AFTER_MS + 1000);
        await page.goto(localTicketUrl);
        await page.getByRole('button', { name: 'Reveal “Shop FTP”' }).click();
        const dialog = page.getByRole('dialog', { name: 'Reveal “Shop FTP”' });
        await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
        await dialog.getByRole('button', { name: 'Use a passkey' }).click();
        await dialog.locator('[data-field="host"]').filter({ hasText: FIELDS.host }).waitFor();
        expect((await auditEvents(tv, { action: 'staff.login' }))[0]).toMatchObject({ actor: { id: member.id }, detail: 'step_up_passkey' });
        await dialog.getByRole('button', { name: 'Done' }).click();

        // Removal, confirmed with the passkey itself.
        tv.clock.advance(1000);
        await page.goto(`${url}/console/account`);
        await page.getByRole('button', { name: 'Remove Laptop' }).click();
        await page.getByRole('dialog', { name: 'Confirm with your second factor' }).getByRole('button', { name: 'Use a passkey' }).click();
        await page.getByText('No second factor yet.').waitFor();
        expect(JSON.parse((await auditEvents(tv, { action: 'staff.mfa_changed' }))[0]!.detail!)).toMatchObject({ change: 'passkey_removed' });
      });
    });

    it("an admin switches a second factor on in the console, and the next engineer to sign in is taken to enrolment", async () => {
      const { tv, url } = vault;
      await givePassword(tv, 'admin');
      const email = `switch-${name}@vendor.test`;
      await addMember(tv, email);
      try {
        await inTab(browser, size, async (page) => {
          await passwordStep(page, url, 'admin@vendor.test');
          await page.waitForURL(/\/console\/tickets$/);
          await page.goto(`${url}/console/staff`);
          const form = page.locator('#mfa-form');
          await form.getByLabel('Require a second factor for every staff member who signs in with a password').check();
          await form.getByRole('button', { name: 'Save' }).click();
          await page.getByText('A second factor is now required at each next sign-in.').waitFor();
          expect(await seriousAxeViolations(page)).toEqual([]);
        });
        expect(await tv.vault.secondFactors.getMfaPolicy()).toEqual({ required: true, requiredByConfig: false, requiredBySetting: true });
        await inTab(browser, size, async (page) => {
          await passwordStep(page, url, email);
          await page.waitForURL(/\/console\/account\?next=/);
          await page.getByText('This vault requires a second factor.').waitFor();
        });
      } finally {
        await tv.vault.secondFactors.setMfaRequired({ required: false }, BY_OPERATOR);
      }
    });
  });
});
