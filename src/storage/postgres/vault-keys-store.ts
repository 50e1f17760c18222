import type { VaultKeyRow, VaultKeyStore } from '../../keys/vault-keys-store.js';
import { allRows, bytes, changedRows, type PgClient, type PgStore } from './client.js';

interface Raw {
  id: string;
  purpose: VaultKeyRow['purpose'];
  kek_id: string;
  wrapped: Buffer;
  public_key: Buffer | null;
  created_at: number;
  retired_at: number | null;
}

const fromRaw = (r: Raw): VaultKeyRow => ({
  id: r.id,
  purpose: r.purpose,
  kekId: r.kek_id,
  wrapped: new Uint8Array(r.wrapped),
  publicKey: r.public_key ? new Uint8Array(r.public_key) : null,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

/**
 * Vault keys on PostgreSQL: `current` reads the table each time (SQLite caches it until PRAGMA
 * data_version moves), since a rotation may be committed by another instance.
 */
export function createPgVaultKeyStore(client: PgClient): PgStore<VaultKeyStore> {
  const list = async (purpose: VaultKeyRow['purpose']) =>
    (await allRows<Raw>(client, 'SELECT * FROM vault_keys WHERE purpose = $1 ORDER BY retired_at IS NOT NULL, created_at DESC', [purpose])).map(fromRaw);
  return {
    list,
    current: async (purpose) => {
      const rows = await allRows<Raw>(
        client,
        'SELECT * FROM vault_keys WHERE purpose = $1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
        [purpose],
      );
      return rows[0] && fromRaw(rows[0]);
    },
    listAll: async () => (await allRows<Raw>(client, 'SELECT * FROM vault_keys')).map(fromRaw),
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
