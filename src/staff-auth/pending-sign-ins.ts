import { constantTimeEqual, hashTypedText } from '../crypto/tokens.js';
import type { StaffRecord } from './staff-store.js';

/** How long a correct password waits for its second factor. */
export const PENDING_SIGN_IN_MS = 5 * 60_000;

/**
 * The state between a correct password and the second factor: not a session (it opens nothing but
 * the second step), so it is not stored either: a MAC over the member, its expiry and what a
 * password change or `staff revoke-tokens` moves, under a key derived from the master key
 * (decision 022). Codes typed against it are counted by the sign-in limits, not per token.
 */
export function createPendingSignIns(deps: { key: Uint8Array }) {
  const macOf = (staff: StaffRecord, expiresAt: number) =>
    hashTypedText(deps.key, `ticketvault/pending-sign-in/v1|${staff.id}|${expiresAt}|${staff.passwordHash ?? ''}|${staff.tokensValidAfter}`);

  function issuePendingSignIn(staff: StaffRecord, now: number): { token: string; expiresAt: number } {
    const expiresAt = now + PENDING_SIGN_IN_MS;
    return { token: `${staff.id}.${expiresAt}.${macOf(staff, expiresAt).toString('base64url')}`, expiresAt };
  }

  /** The member id a token names, without checking it: the caller reads the member, then `checks` it. */
  function staffIdOf(token: unknown): string | null {
    if (typeof token !== 'string') return null;
    const match = /^([0-9a-f-]{36})\.(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(token);
    return match ? match[1]! : null;
  }

  /** True when the token was issued for this member as they are now and has not expired. */
  function checkPendingSignIn(token: string, staff: StaffRecord, now: number): boolean {
    const [, expires, mac] = token.split('.');
    const expiresAt = Number(expires);
    if (!(now < expiresAt)) return false;
    return constantTimeEqual(Buffer.from(mac!, 'base64url'), macOf(staff, expiresAt));
  }

  return { issuePendingSignIn, staffIdOf, checkPendingSignIn };
}

export type PendingSignIns = ReturnType<typeof createPendingSignIns>;
