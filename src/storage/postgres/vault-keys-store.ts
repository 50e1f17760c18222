import type { VaultKeyPurpose } from '../../keys/vault-key-purposes.js';
import type { VaultKeyStore } from '../../keys/vault-keys-store.js';
import { vaultKeyOf, type StoredVaultKeyRow } from '../rows.js';
import { allRows, bytes, changedRows, type PgClient } from './client.js';

/**
 * Vault keys on PostgreSQL: `current` reads the table each time (SQLite caches it until PRAGMA
 * data_version moves), since a rotation may be committed by another instance.
 */
export function createPgVaultKeyStore(client: PgClient): VaultKeyStore {
  const list = async (purpose: VaultKeyPurpose) =>
    (await allRows<StoredVaultKeyRow>(client, 'SELECT * FROM vault_keys WHERE purpose = $1 ORDER BY retired_at IS NOT NULL, created_at DESC', [purpose])).map(vaultKeyOf);
  return {
    list,
    current: async (purpose) => {
      const rows = await allRows<StoredVaultKeyRow>(
        client,
        'SELECT * FROM vault_keys WHERE purpose = $1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
        [purpose],
      );
      return rows[0] && vaultKeyOf(rows[0]);
    },
    listAll: async () => (await allRows<StoredVaultKeyRow>(client, 'SELECT * FROM vault_keys')).map(vaultKeyOf),
    insert: async (r) => {
      await client.query(
        'INSERT INTO vault_keys (id, purpose, kek_id, wrapped, public_key, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [r.id, r.purpose, r.kekId, bytes(r.wrapped), r.publicKey && bytes(r.publicKey), r.createdAt, r.retiredAt],
      );
    },
    retire: async (id, at) => {
      await client.query('UPDATE vault_keys SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL', [id, at]);
    },
    rewrap: async (id, kekId, wrapped) => {
      await client.query('UPDATE vault_keys SET kek_id = $2, wrapped = $3 WHERE id = $1', [id, kekId, bytes(wrapped)]);
    },
    deleteRetiredBefore: async (purpose, before) =>
      changedRows(client, 'DELETE FROM vault_keys WHERE purpose = $1 AND retired_at IS NOT NULL AND retired_at < $2', [purpose, before]),
  };
}
