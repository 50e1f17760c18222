import { SYSTEM_ACTOR, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { receiptTokenContext } from '../receipts/receipt-tokens.js';
import { totpContext } from '../staff-auth/second-factors.js';
import type { Storage } from '../storage/storage.js';
import { rewrapSecret } from '../crypto/credential-cipher.js';
import type { Keyring } from '../crypto/keyring.js';
import { createIntakeKey, createSigningKey, wrapContext } from './vault-keys.js';

export interface RotationDeps {
  storage: Storage;
  keyring: Keyring;
  audit: Audit;
  clock: Clock;
}

export interface RotationSummary {
  kekId: string;
  rewrapped: { dataKeys: number; receiptTokens: number; vaultKeys: number; totpSecrets: number };
  intakeKeyId: string;
  retiredIntakeKeysDeleted: number;
  signingKeyId: string;
  /** Signing keys replaced by this rotation: deleted at once, so every token they signed fails. */
  signingKeysDeleted: number;
}

const PAGE = 1000;
/** Pages opened before a rotation still seal to the old intake key; it is kept this long. */
export const RETIRED_INTAKE_KEY_GRACE_MS = 7 * 24 * 3600 * 1000;

/**
 * `ticketvault keys rotate`: re-wraps every data key, receipt token, TOTP secret and vault key under the
 * current master key (the first in MASTER_KEY / MASTER_KEY_FILE), so older master keys can then
 * be removed, replaces the intake key pair, and replaces the token-signing key (bearer tokens
 * and sign-in flows it signed stop working, on running servers too). Ciphertexts are untouched;
 * restartable.
 */
export async function rotateKeys(deps: RotationDeps): Promise<RotationSummary> {
  const { storage, keyring, audit, clock } = deps;
  const current = keyring.currentId;

  let dataKeys = 0;
  for (let after = ''; ; ) {
    const page = await storage.read((s) => s.credentials.listSecretsPage(after, PAGE));
    if (page.length === 0) break;
    await storage.write(async ({ credentials }) => {
      for (const s of page) {
        if (s.kekId === current) continue;
        const next = rewrapSecret(keyring, { credentialId: s.id, ticketId: s.ticketId, kind: s.kind }, s);
        await credentials.rewrapSecret(s.id, next.kekId, next.wrappedDek);
        dataKeys++;
      }
    });
    after = page[page.length - 1]!.id;
  }

  let receiptTokens = 0;
  for (let after = ''; ; ) {
    const page = await storage.read((s) => s.receipts.listPage(after, PAGE));
    if (page.length === 0) break;
    await storage.write(async ({ receipts }) => {
      for (const r of page) {
        if (r.tokenKekId === current) continue;
        const token = keyring.unwrap(r.tokenKekId, r.tokenWrapped, receiptTokenContext(r.id));
        const next = keyring.wrap(token, receiptTokenContext(r.id));
        token.fill(0);
        await receipts.rewrapToken(r.id, next.kekId, next.wrapped);
        receiptTokens++;
      }
    });
    after = page[page.length - 1]!.id;
  }

  let totpSecrets = 0;
  for (let after = ''; ; ) {
    const page = await storage.read((s) => s.secondFactors.listWrappedPage(after, PAGE));
    if (page.length === 0) break;
    await storage.write(async ({ secondFactors }) => {
      for (const f of page) {
        if (f.kekId === current) continue;
        const secret = keyring.unwrap(f.kekId!, f.secretWrapped!, totpContext(f));
        const next = keyring.wrap(secret, totpContext(f));
        secret.fill(0);
        await secondFactors.rewrap(f.id, next.kekId, next.wrapped);
        totpSecrets++;
      }
    });
    after = page[page.length - 1]!.id;
  }

  return storage.write(async (s) => {
    const vaultKeyStore = s.vaultKeys;
    const now = clock.now();
    let vaultKeys = 0;
    for (const row of await vaultKeyStore.listAll()) {
      if (row.kekId === current) continue;
      const secret = keyring.unwrap(row.kekId, row.wrapped, wrapContext(row.purpose, row.id));
      const next = keyring.wrap(secret, wrapContext(row.purpose, row.id));
      secret.fill(0);
      await vaultKeyStore.rewrap(row.id, next.kekId, next.wrapped);
      vaultKeys++;
    }
    for (const row of await vaultKeyStore.list('intake')) if (row.retiredAt === null) await vaultKeyStore.retire(row.id, now);
    const intakeKeyId = await createIntakeKey(vaultKeyStore, keyring, now);
    const retiredIntakeKeysDeleted = await vaultKeyStore.deleteRetiredBefore('intake', now - RETIRED_INTAKE_KEY_GRACE_MS);
    // No grace for the signing key: what it signed must stop working, which is why one rotates it.
    for (const row of await vaultKeyStore.list('signing')) if (row.retiredAt === null) await vaultKeyStore.retire(row.id, now);
    const signingKeyId = await createSigningKey(vaultKeyStore, keyring, now);
    const signingKeysDeleted = await vaultKeyStore.deleteRetiredBefore('signing', now + 1);
    const summary: RotationSummary = {
      kekId: current,
      rewrapped: { dataKeys, receiptTokens, vaultKeys, totpSecrets },
      intakeKeyId,
      retiredIntakeKeysDeleted,
      signingKeyId,
      signingKeysDeleted,
    };
    await audit.record(s, { action: 'keys.rotated', actor: SYSTEM_ACTOR, detail: JSON.stringify(summary) });
    return summary;
  });
}
