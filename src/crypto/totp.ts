import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytes } from './random.js';

// RFC 6238 TOTP as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second steps.

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160 bits, the size RFC 4226 recommends (and what the apps expect from a QR code). */
const SECRET_BYTES = 20;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const newTotpSecret = (): Uint8Array => randomBytes(SECRET_BYTES);

/** The time step a moment falls in. */
export const totpStepAt = (ms: number): number => Math.floor(ms / 1000 / TOTP_STEP_SECONDS);

/** RFC 4226 HOTP of `counter` (the TOTP code of a step), zero-padded to 6 digits. */
export function totpCode(secret: Uint8Array, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP_DIGITS;
  return String(value).padStart(TOTP_DIGITS, '0');
}

/**
 * The step among `steps` whose code is `code`, compared in constant time per step; null when none.
 * The caller decides which steps are allowed (±1 around now, and only after the last one used).
 */
export function matchTotpStep(secret: Uint8Array, code: string, steps: number[]): number | null {
  const typed = Buffer.from(code);
  if (typed.length !== TOTP_DIGITS) return null;
  let found: number | null = null;
  for (const step of steps) {
    if (timingSafeEqual(Buffer.from(totpCode(secret, step)), typed) && found === null) found = step;
  }
  return found;
}

/** RFC 4648 base32 without padding: how an authenticator app takes the secret. */
export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
