import type { Test } from 'supertest';
import type { StaffRole } from '../../src/staff-auth/staff-roles.js';
import { BY_OPERATOR, type TestVault } from './test-vault.js';

// Console sessions in tests: give the test vault's staff passwords, sign in through the real
// POST /auth/login, and send the cookie with the headers a same-origin browser request carries.

export const PASSWORD = 'correct horse battery staple';

export const emailOf = (role: StaffRole) => `${role}@vendor.test`;

/**
 * Sets a console password for the test vault's member of this role. That revokes their bearer
 * tokens, so the test vault's token for them is issued afresh, as the member would fetch a new one.
 */
export async function givePassword(tv: TestVault, role: StaffRole, password = PASSWORD): Promise<void> {
  await tv.vault.staff.setStaffPassword(tv.staffIds[role], { password }, BY_OPERATOR);
  tv.tokens[role] = (await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.requireStaff(tv.staffIds[role]), 8 * 3600)).token;
}

/** The headers Chromium sends on a same-origin fetch from the console. */
export function sameOrigin(tv: TestVault): Record<string, string> {
  return { Origin: tv.vault.config.publicOrigin, 'Sec-Fetch-Site': 'same-origin' };
}

/** The session cookie's name: `__Host-tv_session` behind https (the test vault's default), `tv_session` on http. */
export const sessionCookieName = (tv: TestVault) => (tv.vault.config.publicUrl.startsWith('https:') ? '__Host-tv_session' : 'tv_session');

/** The `__Host-tv_session=…` (or, on http, `tv_session=…`) pair from a response's Set-Cookie, or undefined. */
export function sessionCookieFrom(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return cookies.find((c) => /^(__Host-)?tv_session=(?!;)/.test(c))?.split(';')[0];
}

export function login(tv: TestVault, email: string, password = PASSWORD): Test {
  return tv.http.post('/api/v1/auth/login').set(sameOrigin(tv)).send({ email, password });
}

/** Signs in (giving the member a password first) and returns the Cookie header value. */
export async function signIn(tv: TestVault, role: StaffRole = 'engineer'): Promise<string> {
  await givePassword(tv, role);
  const res = await login(tv, emailOf(role)).expect(200);
  return sessionCookieFrom(res)!;
}
