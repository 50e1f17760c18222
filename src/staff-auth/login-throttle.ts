import type { Clock } from '../clock.js';
import { hashTypedText } from '../crypto/tokens.js';
import { TooManyRequests } from '../errors.js';
import type { Storage } from '../storage/storage.js';

export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Attempts per (account, client address) per window: guessing a 12-character password this way is hopeless. */
export const ACCOUNT_ATTEMPTS = 5;
/** Attempts per client IP per window: higher, since an office shares one address. */
export const IP_ATTEMPTS = 30;

export interface LoginAttempt {
  /** The e-mail as typed (only its keyed hash is kept); null for a single sign-on callback, which names no account. */
  email: string | null;
  ip: string | null;
}

export interface LoginThrottleDeps {
  storage: Storage;
  clock: Clock;
  /**
   * Keys the hash of the typed e-mail (a subkey of the KEK). People paste passwords into the e-mail
   * field, so a plain hash in a database copy or backup could be tested against guesses offline.
   */
  accountHashKey: Uint8Array;
}

/**
 * Sign-in attempts are counted *before* the password is checked, so a burst of parallel guesses
 * cannot all slip in while the first ones are still being hashed; a success takes its count back.
 * DESIGN "Sign-in limits": per (account, client address) and per client address, never per
 * account alone, so nobody can lock an account's owner out from somewhere else.
 */
export function createLoginThrottle(deps: LoginThrottleDeps) {
  const { storage, clock, accountHashKey } = deps;

  const keysOf = (attempt: LoginAttempt) => ({
    account:
      attempt.email === null
        ? null
        : `account:${hashTypedText(accountHashKey, `${attempt.email.trim().toLowerCase()}\n${attempt.ip ?? ''}`).toString('hex')}`,
    ip: attempt.ip ? `ip:${attempt.ip}` : null,
  });

  /** Counts the attempt; throws 429 (with the seconds until the window ends) when over either limit. */
  async function reserveLoginAttempt(attempt: LoginAttempt): Promise<void> {
    const now = clock.now();
    const keys = keysOf(attempt);
    const limits: [string | null, number][] = [
      [keys.account, ACCOUNT_ATTEMPTS],
      [keys.ip, IP_ATTEMPTS],
    ];
    const retryAt = await storage.write(async (s) => {
      // Every attempt drops the windows that have ended (one indexed DELETE, zeroed by secure_delete),
      // so rows for whatever was typed do not pile up waiting for someone's successful sign-in.
      await s.loginThrottles.deleteStale(now - LOGIN_WINDOW_MS);
      let retryAt = 0;
      for (const [key, limit] of limits) {
        if (!key) continue;
        const window = await s.loginThrottles.hit(key, now, LOGIN_WINDOW_MS);
        if (window.attempts > limit) retryAt = Math.max(retryAt, window.windowStartedAt + LOGIN_WINDOW_MS);
      }
      return retryAt;
    });
    if (retryAt > 0) {
      throw new TooManyRequests(Math.max(1, Math.ceil((retryAt - now) / 1000)), 'Too many sign-in attempts; wait a few minutes and try again.');
    }
  }

  /** After a successful sign-in: the account starts afresh at that address, and the address gets its attempt back. */
  async function forgiveLoginAttempt(attempt: LoginAttempt): Promise<void> {
    const keys = keysOf(attempt);
    await storage.write(async (s) => {
      if (keys.account) await s.loginThrottles.clear(keys.account);
      if (keys.ip) await s.loginThrottles.release(keys.ip);
    });
  }

  return { reserveLoginAttempt, forgiveLoginAttempt };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
