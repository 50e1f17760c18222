import { sodium } from './sodium.js';
import { createSodiumThreads } from './sodium-threads.js';

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

/** argon2id off the event loop: sign-in (reachable by anyone) must not stall reveals for half a second. */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  close(): Promise<void>;
}

// One thread, stopped after a minute idle (its 64 MiB of argon2 memory goes with it). Jobs run one
// at a time, which also bounds memory under a login flood.
const HANDLER = `(sodium, { op, hash, password }) => {
  if (op === 'hash') return sodium.crypto_pwhash_str(password, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE);
  try {
    return sodium.crypto_pwhash_str_verify(hash, password);
  } catch {
    return false;
  }
}`;

type PasswordJob = { op: 'hash'; password: string } | { op: 'verify'; hash: string; password: string };

export function createPasswords(): Passwords {
  const threads = createSodiumThreads<PasswordJob, string | boolean>({ name: 'password worker', threads: 1, handler: HANDLER, idleMs: 60_000 });
  return {
    hash: async (password) => (await threads.run({ op: 'hash', password })) as string,
    verify: async (hash, password) => (await threads.run({ op: 'verify', hash, password })) as boolean,
    close: () => threads.close(),
  };
}
