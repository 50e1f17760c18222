import { createHash } from 'node:crypto';
import { randomBytes } from './random.js';

/** RFC 7636 S256: a 43-character random verifier and the base64url SHA-256 of it. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = Buffer.from(randomBytes(32)).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}
