import type { Clock } from '../clock.js';
import type { Storage } from '../storage/storage.js';
import type { Keyring } from '../crypto/keyring.js';
import { generateBoxKeyPair, type BoxKeyPair } from '../crypto/sealed-box.js';
import { generateSigningSeed, signingKeyPair, type SigningKeyPair } from '../crypto/signing-keys.js';
import { sodium } from '../crypto/sodium.js';
import type { VaultKeyPurpose } from './vault-key-purposes.js';
import type { VaultKeyRow, VaultKeyStore } from './vault-keys-store.js';
import { newId } from '../ids.js';

/** The vault's own keys, unwrapped in memory for the life of the process. */
export interface VaultKeys {
  keyring: Keyring;
  /** Current intake pair first; retired pairs still open boxes sealed before a rotation. */
  intakeKeyPairs: BoxKeyPair[];
  intakePublicKey: string;
  /** Signs staff bearer tokens and the single sign-on flow cookie; `keys rotate` replaces it. */
  signing: SigningKeys;
  auditKey: Uint8Array;
  /**
   * Keys the sign-in throttle's hash of what was typed as an e-mail. Derived from the current KEK
   * on every start, not stored: throttle windows are short-lived, and a KEK rotation only restarts
   * the counts in progress.
   */
  throttleKey: Uint8Array;
  /**
   * Signs the short-lived state between a password and the second factor (decision 022). Derived
   * like throttleKey: a KEK rotation only ends the sign-ins waiting for their second step.
   */
  pendingSignInKey: Uint8Array;
  /** MACs the passkey challenges the vault issues (decision 022); derived the same way. */
  passkeyChallengeKey: Uint8Array;
}

/** The token-signing key in use: a rotation by another process is seen at the next call. */
export interface SigningKeys {
  current(): Promise<SigningKeyPair>;
}

export const wrapContext = (purpose: VaultKeyPurpose, id: string) => `ticketvault/vault-key/v1|${purpose}|${id}`;

/** Creates any missing vault key (first start), then unwraps them all under the keyring. */
export async function loadVaultKeys(deps: { storage: Storage; keyring: Keyring; clock: Clock }): Promise<VaultKeys> {
  const { storage, keyring, clock } = deps;
  // One instance at a time creates what is missing: the others, waiting on the write, then find it.
  const { intake, audit } = await storage.write(async ({ vaultKeys: store }) => {
    if (!(await store.list('intake')).some((k) => k.retiredAt === null)) await createIntakeKey(store, keyring, clock.now());
    if (!(await store.list('signing')).some((k) => k.retiredAt === null)) await createSigningKey(store, keyring, clock.now());
    if ((await store.list('audit')).length === 0) {
      // Derived from the KEK at first start and kept wrapped, so KEK rotation keeps old rows verifiable.
      await insertKey(store, keyring, 'audit', keyring.deriveKey(1, 'tvaudit_'), null, clock.now());
    }
    return { intake: await store.list('intake'), audit: await store.list('audit') };
  });

  const open = (row: VaultKeyRow) => keyring.unwrap(row.kekId, row.wrapped, wrapContext(row.purpose, row.id));
  const intakeKeyPairs = intake.map((row) => ({ id: row.id, publicKey: row.publicKey!, secretKey: open(row) }));
  const auditRow = audit[0]!;
  const signing = createSigningKeys(storage, open);
  await signing.current();
  return {
    keyring,
    intakeKeyPairs,
    intakePublicKey: Buffer.from(intakeKeyPairs[0]!.publicKey).toString('base64url'),
    signing,
    auditKey: open(auditRow),
    throttleKey: keyring.deriveKey(1, 'tvthrotl'),
    pendingSignInKey: keyring.deriveKey(2, 'tvpendsi'),
    passkeyChallengeKey: keyring.deriveKey(3, 'tvwebaut'),
  };
}

function createSigningKeys(storage: Storage, open: (row: VaultKeyRow) => Uint8Array): SigningKeys {
  let pair: SigningKeyPair | undefined;
  const current = async () => {
    const row = await storage.read((s) => s.vaultKeys.current('signing'));
    if (!row) throw new Error('the vault has no token-signing key; run `ticketvault migrate` or restart to create one');
    if (pair?.id !== row.id) {
      const seed = open(row);
      pair = signingKeyPair(row.id, seed, row.publicKey!);
      sodium().memzero(seed);
    }
    return pair;
  };
  return { current };
}

/** A fresh Ed25519 signing key; the caller retires the one it replaces. */
export function createSigningKey(store: VaultKeyStore, keyring: Keyring, now: number): Promise<string> {
  const { seed, publicKey } = generateSigningSeed();
  return insertKey(store, keyring, 'signing', seed, publicKey, now);
}

export function createIntakeKey(store: VaultKeyStore, keyring: Keyring, now: number): Promise<string> {
  const pair = generateBoxKeyPair();
  return insertKey(store, keyring, 'intake', pair.secretKey, pair.publicKey, now);
}

async function insertKey(
  store: VaultKeyStore,
  keyring: Keyring,
  purpose: VaultKeyPurpose,
  secret: Uint8Array,
  publicKey: Uint8Array | null,
  now: number,
): Promise<string> {
  const id = `${purpose}_${newId()}`;
  const { kekId, wrapped } = keyring.wrap(secret, wrapContext(purpose, id));
  sodium().memzero(secret);
  await store.insert({ id, purpose, kekId, wrapped, publicKey, createdAt: now, retiredAt: null });
  return id;
}
