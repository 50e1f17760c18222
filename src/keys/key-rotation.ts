import { SYSTEM_ACTOR, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { webhookSecretContext } from '../outgoing-webhooks/outgoing-webhooks.js';
import { receiptTokenContext } from '../receipts/receipt-tokens.js';
import { totpContext } from '../staff-auth/second-factors.js';
import type { Storage, Stores } from '../storage/storage.js';
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
  rewrapped: { dataKeys: number; receiptTokens: number; vaultKeys: number; totpSecrets: number; webhookSecrets: number };
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
 * `ticketvault keys rotate`: re-wraps every data key, receipt token, TOTP secret, webhook secret and vault key under the
 * current master key (the first in MASTER_KEY / MASTER_KEY_FILE), so older master keys can then
 * be removed, replaces the intake key pair, and replaces the token-signing key (bearer tokens
 * and sign-in flows it signed stop working, on running servers too). Ciphertexts are untouched;
 * restartable.
 */
export async function rotateKeys(deps: RotationDeps): Promise<RotationSummary> {
  const { storage, keyring, audit, clock } = deps;
  const current = keyring.currentId;

  /**
   * Walks one table of wrapped material page by page (ids ascending), each page in its own write,
   * and re-wraps the rows not yet under the current master key; how many it re-wrapped.
   */
  async function rewrapPages<R extends { id: string }>(
    listPage: (s: Stores, after: string) => Promise<R[]>,
    isCurrent: (row: R) => boolean,
    rewrap: (s: Stores, row: R) => Promise<void>,
  ): Promise<number> {
    let count = 0;
    for (let after = ''; ; ) {
      const page = await storage.read((s) => listPage(s, after));
      if (page.length === 0) return count;
      await storage.write(async (s) => {
        for (const row of page) {
          if (isCurrent(row)) continue;
          await rewrap(s, row);
          count++;
        }
      });
      after = page[page.length - 1]!.id;
    }
  }

  /** A key wrapped under `context`, unwrapped and wrapped again under the current master key. */
  const rewrapped = (kekId: string, wrapped: Uint8Array, context: string) => {
    const key = keyring.unwrap(kekId, wrapped, context);
    try {
      return keyring.wrap(key, context);
    } finally {
      key.fill(0);
    }
  };

  const dataKeys = await rewrapPages(
    (s, after) => s.credentials.listSecretsPage(after, PAGE),
    (row) => row.kekId === current,
    async (s, row) => {
      const next = rewrapSecret(keyring, { credentialId: row.id, ticketId: row.ticketId, kind: row.kind }, row);
      await s.credentials.rewrapSecret(row.id, next.kekId, next.wrappedDek);
    },
  );
  const receiptTokens = await rewrapPages(
    (s, after) => s.receipts.listPage(after, PAGE),
    (row) => row.tokenKekId === current,
    async (s, row) => {
      const next = rewrapped(row.tokenKekId, row.tokenWrapped, receiptTokenContext(row.id));
      await s.receipts.rewrapToken(row.id, next.kekId, next.wrapped);
    },
  );
  const totpSecrets = await rewrapPages(
    (s, after) => s.secondFactors.listWrappedPage(after, PAGE),
    (row) => row.kekId === current,
    async (s, row) => {
      const next = rewrapped(row.kekId!, row.secretWrapped!, totpContext(row));
      await s.secondFactors.rewrap(row.id, next.kekId, next.wrapped);
    },
  );
  const webhookSecrets = await rewrapPages(
    (s, after) => s.outgoingWebhooks.listWrappedPage(after, PAGE),
    (row) => row.kekId === current,
    async (s, row) => {
      const next = rewrapped(row.kekId, row.secretWrapped, webhookSecretContext(row.id));
      await s.outgoingWebhooks.rewrapSecret(row.id, next.kekId, next.wrapped);
    },
  );

  return storage.write(async (s) => {
    const vaultKeyStore = s.vaultKeys;
    const now = clock.now();
    let vaultKeys = 0;
    for (const row of await vaultKeyStore.listAll()) {
      if (row.kekId === current) continue;
      const next = rewrapped(row.kekId, row.wrapped, wrapContext(row.purpose, row.id));
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
      rewrapped: { dataKeys, receiptTokens, vaultKeys, totpSecrets, webhookSecrets },
      intakeKeyId,
      retiredIntakeKeysDeleted,
      signingKeyId,
      signingKeysDeleted,
    };
    await audit.record(s, { action: 'keys.rotated', actor: SYSTEM_ACTOR, detail: JSON.stringify(summary) });
    return summary;
  });
}
