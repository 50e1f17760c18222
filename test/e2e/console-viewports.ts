import type { Browser, BrowserContext, Page } from 'playwright-core';
import { signInAs, watchPage } from './browser-harness.js';

// The two screens issue 15 was tried on, shared by the console's browser tests: a 1366 px
// desktop and a 390 px phone.

export const CONSOLE_WIDTHS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  log: ReturnType<typeof watchPage>;
}

/**
 * A signed-in console tab of this size that may use the clipboard; `fakeClock` installs the
 * page's fake timers (time still flows) so a test can jump a reveal's 60 s ahead.
 */
export async function openConsoleTab(browser: Browser, url: string, email: string, size: { width: number; height: number }, options: { fakeClock?: boolean } = {}): Promise<ConsoleTab> {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  if (options.fakeClock) await context.clock.install();
  const page = await context.newPage();
  const log = watchPage(page);
  await signInAs(page, url, email);
  return { context, page, log };
}
