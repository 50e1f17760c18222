import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page, type Request } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import type { Env } from '../../src/config.js';
import { PASSWORD } from '../harness/staff-sessions.js';
import { createTestVault, type TestVault } from '../harness/test-vault.js';

// What the e2e tests share: a real vault listening on loopback, Debian's Chromium, the network log,
// the axe scan, screenshots under test-results/screenshots/, and the console's sign-in.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

export interface RunningVault {
  tv: TestVault;
  url: string;
  stop(): Promise<void>;
}

/**
 * Builds the page bundles, then listens first so PUBLIC_URL can name the real port; `env` adds to
 * the test vault's. `hostname` localhost: WebAuthn takes no IP address as its relying party.
 */
export async function startVault(env: Env = {}, options: { hostname?: 'localhost' } = {}): Promise<RunningVault> {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://${options.hostname ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const tv = await createTestVault({ ...env, PUBLIC_URL: url });
  server.on('request', tv.app);
  return {
    tv,
    url,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tv.close();
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

export interface LoggedRequest {
  method: string;
  url: string;
  body: string;
}

/** Every request the page makes, with its body, and every console error (CSP refusals land there). */
export function watchPage(page: Page): { requests: LoggedRequest[]; consoleErrors: string[] } {
  const requests: LoggedRequest[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (req: Request) => requests.push({ method: req.method(), url: req.url(), body: req.postData() ?? '' }));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  page.setDefaultTimeout(20_000);
  return { requests, consoleErrors };
}

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page. The page's CSP refuses inline scripts, so axe is evaluated through
 * the DevTools protocol (page.evaluate), which CSP does not govern; the page itself is untouched.
 */
export async function seriousAxeViolations(page: Page): Promise<{ id: string; impact: string; targets: string[] }[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, not a function: this file is type-checked without the DOM library.
  const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } };
  const results = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`)) as AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact!, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in on the console's sign-in page with the test password; lands on the member's start page. */
export async function signInAs(page: Page, url: string, email: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.waitForURL(/\/console\/sign-in/);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/(tickets|audit)$/);
}

/**
 * Console errors other than Chromium's note on each 4xx answer, which the console expects (a
 * wrong password, a step-up, a refused reveal) and shows as a friendly message.
 */
export const unexpectedErrors = (errors: string[]) => errors.filter((m) => !/^Failed to load resource: the server responded with a status of 4\d\d /.test(m));

/** Waits until the element shows exactly this text (pages update after their requests return). */
export async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
  expect((await locator.first().innerText()).trim()).toBe(text);
}
