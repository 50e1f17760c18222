import { sodium } from './sodium.js';

// argon2id through libsodium's crypto_pwhash_str (the encoded string carries salt and limits).
export function hashPassword(password: string): string {
  const s = sodium();
  return s.crypto_pwhash_str(password, s.crypto_pwhash_OPSLIMIT_INTERACTIVE, s.crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

export function verifyPassword(hash: string, password: string): boolean {
  try {
    return sodium().crypto_pwhash_str_verify(hash, password);
  } catch {
    return false;
  }
}
