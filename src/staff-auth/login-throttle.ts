import type { Clock } from '../clock.js';
import { hashTypedText } from '../crypto/tokens.js';
import { TooManyRequests } from '../errors.js';
import type { LoginThrottleStore } from './login-throttles-store.js';

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
  throttleStore: LoginThrottleStore;
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
  const { throttleStore, clock, accountHashKey } = deps;

  const keysOf = (attempt: LoginAttempt) => ({
    account:
      attempt.email === null
        ? null
        : `account:${hashTypedText(accountHashKey, `${attempt.email.trim().toLowerCase()}\n${attempt.ip ?? ''}`).toString('hex')}`,
    ip: attempt.ip ? `ip:${attempt.ip}` : null,
  });

  /** Counts the attempt; throws 429 (with the seconds until the window ends) when over either limit. */
  function reserveLoginAttempt(attempt: LoginAttempt): void {
    const now = clock.now();
    // Every attempt drops the windows that have ended (one indexed DELETE, zeroed by secure_delete),
    // so rows for whatever was typed do not pile up waiting for someone's successful sign-in.
    throttleStore.deleteStale(now - LOGIN_WINDOW_MS);
    const keys = keysOf(attempt);
    const limits: [string | null, number][] = [
      [keys.account, ACCOUNT_ATTEMPTS],
      [keys.ip, IP_ATTEMPTS],
    ];
    let retryAt = 0;
    for (const [key, limit] of limits) {
      if (!key) continue;
      const window = throttleStore.hit(key, now, LOGIN_WINDOW_MS);
      if (window.attempts > limit) retryAt = Math.max(retryAt, window.windowStartedAt + LOGIN_WINDOW_MS);
    }
    if (retryAt > 0) {
      throw new TooManyRequests(Math.max(1, Math.ceil((retryAt - now) / 1000)), 'Too many sign-in attempts; wait a few minutes and try again.');
    }
  }

  /** After a successful sign-in: the account starts afresh at that address, and the address gets its attempt back. */
  function forgiveLoginAttempt(attempt: LoginAttempt): void {
    const keys = keysOf(attempt);
    if (keys.account) throttleStore.clear(keys.account);
    if (keys.ip) throttleStore.release(keys.ip);
  }

  return { reserveLoginAttempt, forgiveLoginAttempt };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
