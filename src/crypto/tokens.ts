import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytes } from './random.js';

// Link and receipt tokens: 32 bytes from the OS CSPRNG, base64url without padding (43 chars).
// Only SHA-256(token) is stored; a 256-bit random token needs no salt or slow hash.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  token: string;
  hash: Buffer;
}

export function issueToken(): IssuedToken {
  const token = Buffer.from(randomBytes(32)).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Keyed SHA-256 (HMAC) of text that may itself be a secret, such as whatever was typed into the
 * sign-in e-mail field (people paste passwords there): unlike `hashToken`, a database copy without
 * the key gives nothing to test guesses against.
 */
export function hashTypedText(key: Uint8Array, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

/** False for anything that cannot be one of our tokens: callers answer a plain 404. */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
