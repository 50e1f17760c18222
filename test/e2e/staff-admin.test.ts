import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLIENT_ID, startOidcProvider, type TestProvider } from '../harness/oidc-provider.js';
import { givePassword } from '../harness/staff-sessions.js';
import { auditEvents, BY_OPERATOR } from '../harness/test-vault.js';
import { expectText, launchChromium, screenshot, seriousAxeViolations, signInAs, startVault, unexpectedErrors, watchPage, type RunningVault } from './browser-harness.js';

// The console's staff page in real Chromium, against a real vault and a real OpenID Connect
// provider on loopback: an admin signs an engineer out everywhere (their open console page is sent
// to sign-in, their earlier bearer token refused) and links members to single sign-on (refusals
// in plain words, the row shows the link, the member then signs in with it). axe-clean, laid out
// at desktop and phone widths.

jest.setTimeout(240_000);

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

const focusedLabel = (page: Page) => page.evaluate('document.activeElement?.getAttribute("aria-label") ?? null');

/** The staff table fits its card: no sideways scrolling to reach a row's actions. */
const tableFits = (page: Page) => page.evaluate('(() => { const t = document.querySelector("#staff-table"); return t.scrollWidth <= t.clientWidth; })()');

describe('staff administration in Chromium', () => {
  let provider: TestProvider;
  let vault: RunningVault;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;
  let log: ReturnType<typeof watchPage>;
  const row = (email: string) => admin.locator('tr', { hasText: email });

  beforeAll(async () => {
    // The provider signs with the vault's clock, which the tests move by hand.
    provider = await startOidcProvider({ now: () => vault.tv.clock.now() });
    vault = await startVault({
      VENDOR_NAME: 'Acme Software',
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: CLIENT_ID,
      OIDC_JWKS_URL: provider.jwksUrl,
      OIDC_ROLE_CLAIM: 'ticketvault_role',
    });
    for (const role of ['engineer', 'auditor', 'admin'] as const) await givePassword(vault.tv, role);
    browser = await launchChromium();
    adminContext = await browser.newContext({ viewport: DESKTOP });
    admin = await adminContext.newPage();
    log = watchPage(admin);
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
    await provider?.stop();
  });

  it('offers each member "Sign out everywhere" and "Link single sign-on", axe-clean at 1366 and 390 px', async () => {
    await signInAs(admin, vault.url, 'admin@vendor.test');
    await admin.getByRole('link', { name: 'Staff', exact: true }).click();
    await admin.waitForURL(`${vault.url}/console/staff`);
    for (const name of ['Engineer Person', 'Auditor Person', 'Admin Person']) {
      await admin.getByRole('button', { name: `Sign out everywhere: ${name}` }).waitFor();
      await admin.getByRole('button', { name: `Link single sign-on for ${name}` }).waitFor();
    }
    await expect(row('engineer@vendor.test').locator('td').nth(2).innerText()).resolves.toBe('Password');
    await expect(tableFits(admin)).resolves.toBe(true);
    await screenshot(admin, 'staff-admin-1366');
    expect(await seriousAxeViolations(admin)).toEqual([]);

    await admin.setViewportSize(PHONE);
    // Nothing wider than the screen but the table, which scrolls inside its card.
    await expect(admin.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
    await screenshot(admin, 'staff-admin-390');
    expect(await seriousAxeViolations(admin)).toEqual([]);
    await admin.evaluate('document.querySelector("#staff-table").scrollLeft = 10000');
    await screenshot(admin, 'staff-admin-390-actions');
    await admin.setViewportSize(DESKTOP);
  });

  it("signs an engineer out everywhere: their open console page goes to sign-in, their earlier bearer token answers 401 token_revoked", async () => {
    const engineerContext = await browser.newContext({ viewport: DESKTOP });
    const engineer = await engineerContext.newPage();
    const engineerLog = watchPage(engineer);
    await signInAs(engineer, vault.url, 'engineer@vendor.test');
    const earlierToken = vault.tv.tokens.engineer;
    const asScript = () => fetch(`${vault.url}/api/v1/tickets`, { headers: { Authorization: `Bearer ${earlierToken}` } });
    expect((await asScript()).status).toBe(200);
    // A minute of the working day passes between the token's issue and the revocation.
    vault.tv.clock.advance(60_000);

    const signOut = row('engineer@vendor.test').getByRole('button', { name: 'Sign out everywhere: Engineer Person' });
    await signOut.click();
    const confirm = admin.getByRole('dialog', { name: 'Sign out Engineer Person everywhere?' });
    await expect(confirm.innerText()).resolves.toContain('Every console session they have open ends, and the API tokens they were given stop working at once.');
    await screenshot(admin, 'staff-admin-sign-out-confirm');
    // Cancel changes nothing and gives the focus back.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(focusedLabel(admin)).resolves.toBe('Sign out everywhere: Engineer Person');
    expect(await auditEvents(vault.tv, { action: 'staff.tokens_revoked' })).toHaveLength(0);

    await signOut.click();
    await confirm.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expectText(admin.locator('#staff-status'), 'Engineer Person was signed out everywhere; the API tokens they had no longer work.');
    await expect(focusedLabel(admin)).resolves.toBe('Sign out everywhere: Engineer Person');
    const [revoked] = await auditEvents(vault.tv, { action: 'staff.tokens_revoked' });
    expect(revoked).toMatchObject({ actor: { type: 'staff', id: vault.tv.staffIds.admin } });
    expect(JSON.parse(revoked!.detail!)).toMatchObject({ staffId: vault.tv.staffIds.engineer });

    // The engineer's page, left open, is sent to sign-in on its next action.
    await engineer.getByRole('link', { name: 'Tickets' }).click();
    await engineer.waitForURL(/\/console\/sign-in\?reason=expired&next=%2Fconsole%2Ftickets$/);
    await expectText(engineer.getByRole('status'), 'Your session ended. Sign in again to carry on.');
    const refused = await asScript();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await expect(refused.json()).resolves.toMatchObject({ status: 401, code: 'token_revoked' });
    // They can sign in again.
    await signInAs(engineer, vault.url, 'engineer@vendor.test');
    expect(unexpectedErrors(engineerLog.consoleErrors)).toEqual([]);
    await engineerContext.close();
  });

  it('links single sign-on for a member: refusals in plain words, the row shows the link, and the member then signs in with it', async () => {
    provider.identity = { sub: 'idp|engineer-7', email: 'engineer@vendor.test', email_verified: true, ticketvault_role: 'engineer' };
    await vault.tv.vault.staff.linkStaffSso(vault.tv.staffIds.auditor, { sub: 'idp|auditor-3' }, BY_OPERATOR);

    // The engineer has a password, so single sign-on never links them by e-mail alone.
    const engineerContext = await browser.newContext({ viewport: DESKTOP });
    const engineer = await engineerContext.newPage();
    const engineerLog = watchPage(engineer);
    await engineer.goto(`${vault.url}/console/sign-in`);
    await engineer.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await engineer.locator('#sign-in-error', { hasText: 'cannot sign you in to this ticketvault account until an admin links it' }).waitFor();

    await admin.reload();
    await expect(row('auditor@vendor.test').locator('td').nth(2).innerText()).resolves.toBe('Password\nSingle sign-on');
    const link = row('engineer@vendor.test').getByRole('button', { name: 'Link single sign-on for Engineer Person' });
    await link.click();
    const dialog = admin.getByRole('dialog', { name: 'Link single sign-on for Engineer Person' });
    const subject = dialog.getByLabel('Subject identifier (sub)');
    await expect(admin.evaluate('document.activeElement?.id')).resolves.toBe('sso-sub');
    await expect(dialog.innerText()).resolves.toContain('The “sub” claim your identity provider puts in their ID token, not their e-mail address.');

    await dialog.getByRole('button', { name: 'Link single sign-on' }).click();
    await expectText(admin.locator('#sso-sub-error'), 'Enter the subject identifier: 1 to 255 characters, plain letters, digits and punctuation only.');
    await expect(subject.getAttribute('aria-invalid')).resolves.toBe('true');

    await subject.fill('idp|auditor-3');
    await dialog.getByRole('button', { name: 'Link single sign-on' }).click();
    await expectText(
      admin.locator('#sso-error'),
      'Another staff member is already linked to that subject identifier: one single sign-on identity signs in to one account only. Check the identifier.',
    );
    await screenshot(admin, 'staff-admin-sso-dialog-1366');
    expect(await seriousAxeViolations(admin)).toEqual([]);
    await admin.setViewportSize(PHONE);
    await screenshot(admin, 'staff-admin-sso-dialog-390');
    expect(await seriousAxeViolations(admin)).toEqual([]);
    await admin.setViewportSize(DESKTOP);

    await subject.fill('idp|engineer-7');
    await dialog.getByRole('button', { name: 'Link single sign-on' }).click();
    await expectText(admin.locator('#staff-status'), 'Engineer Person is linked to single sign-on.');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(row('engineer@vendor.test').locator('td').nth(2).innerText()).resolves.toBe('Password\nSingle sign-on');
    await expect(focusedLabel(admin)).resolves.toBe('Change single sign-on for Engineer Person');
    expect((await auditEvents(vault.tv, { action: 'staff.sso_linked' })).map((e) => JSON.parse(e.detail!) as { staffId: string; sub: string })[0]).toMatchObject({
      staffId: vault.tv.staffIds.engineer,
      sub: 'idp|engineer-7',
    });
    await expect(tableFits(admin)).resolves.toBe(true);
    await screenshot(admin, 'staff-admin-sso-linked-1366');

    // The link is what single sign-on goes by: the engineer now signs in with it.
    await engineer.goto(`${vault.url}/console/sign-in`);
    await engineer.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await engineer.waitForURL(`${vault.url}/console/tickets`);
    await expect(engineer.locator('body').getAttribute('data-staff-email')).resolves.toBe('engineer@vendor.test');
    await expect(engineer.locator('body').getAttribute('data-sign-in-method')).resolves.toBe('oidc');
    expect(unexpectedErrors(engineerLog.consoleErrors)).toEqual([]);
    await engineerContext.close();
  });

  it('signs an admin who signs themself out everywhere out of this page too', async () => {
    await row('admin@vendor.test').getByRole('button', { name: 'Sign out everywhere: Admin Person' }).click();
    const confirm = admin.getByRole('dialog', { name: 'Sign yourself out everywhere?' });
    await expect(confirm.innerText()).resolves.toContain('Every console session you have open ends, this one too');
    await confirm.getByRole('button', { name: 'Sign out everywhere' }).click();
    await admin.waitForURL(/\/console\/sign-in\?reason=signed_out$/);
  });

  it('raised no console errors (CSP) on the admin page', () => {
    expect(unexpectedErrors(log.consoleErrors)).toEqual([]);
  });
});
