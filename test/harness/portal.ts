import { expect } from '@jest/globals';
import type { ReceivedMail, SmtpSink } from './smtp-sink.js';
import type { TestVault } from './test-vault.js';

// The customer portal as a customer's browser drives it: form posts from the vault's own origin,
// the mailed one-time link, the session cookie.

export const ORIGIN = 'https://vault.example.test';
export const PORTAL_COOKIE = '__Host-tv_portal';

export const portalMails = (sink: SmtpSink, kind: string, to?: string) =>
  sink.messages.filter((m) => m.headers['x-ticketvault-notice'] === kind && (to === undefined || m.envelopeTo.includes(to)));

/** The link of kind `path` (`/portal/sign-in/` or `/portal/approvals/`) in a mail. */
export function linkIn(mail: ReceivedMail, path: string): string {
  const match = new RegExp(`${ORIGIN}${path}([A-Za-z0-9_-]{43})`).exec(mail.body);
  expect(match).not.toBeNull();
  return match![1]!;
}

/** Asks for a sign-in link (as the form does) and sends the queued mail. */
export async function requestSignIn(tv: TestVault, email: string, lang?: string) {
  const res = await tv.http
    .post(`/portal/sign-in${lang ? `?lang=${lang}` : ''}`)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ email });
  await tv.vault.portalMails.sendDuePortalMails();
  return res;
}

/** Signs in with a mailed token; answers the cookie header to send afterwards. */
export async function signInWith(tv: TestVault, token: string): Promise<string> {
  const res = await tv.http.post(`/portal/sign-in/${token}`).set('Origin', ORIGIN).expect(303);
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${PORTAL_COOKIE}=`));
  expect(cookie).toBeDefined();
  return cookie!.split(';')[0]!;
}

/** The whole way in: request, mail, link, session. */
export async function signInToPortal(tv: TestVault, sink: SmtpSink, email: string): Promise<string> {
  const before = portalMails(sink, 'sign_in', email.toLowerCase()).length;
  await requestSignIn(tv, email);
  const mails = portalMails(sink, 'sign_in', email.toLowerCase());
  expect(mails.length).toBe(before + 1);
  return signInWith(tv, linkIn(mails.at(-1)!, '/portal/sign-in/'));
}
