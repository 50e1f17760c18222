import { createCommittedReads } from './committed-reads.js';
import type { Database } from './database.js';
import type { VaultKeyPurpose } from '../../keys/vault-key-purposes.js';
import type { VaultKeyRow, VaultKeyStore } from '../../keys/vault-keys-store.js';
import type { Sync } from '../storage.js';
import { vaultKeyOf as fromRaw, type StoredVaultKeyRow as Raw } from '../rows.js';

export function createVaultKeyStore(db: Database): Sync<VaultKeyStore> {
  const byPurpose = db.prepare<[string], Raw>(
    'SELECT * FROM vault_keys WHERE purpose = ? ORDER BY retired_at IS NOT NULL, created_at DESC',
  );
  const all = db.prepare<[], Raw>('SELECT * FROM vault_keys');
  const insert = db.prepare(
    'INSERT INTO vault_keys (id, purpose, kek_id, wrapped, public_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const retire = db.prepare('UPDATE vault_keys SET retired_at = ? WHERE id = ? AND retired_at IS NULL');
  const rewrap = db.prepare('UPDATE vault_keys SET kek_id = ?, wrapped = ? WHERE id = ?');
  const deleteRetired = db.prepare('DELETE FROM vault_keys WHERE purpose = ? AND retired_at IS NOT NULL AND retired_at < ?');

  const currentKeys = createCommittedReads<VaultKeyPurpose, VaultKeyRow | undefined>(db);
  const forget = currentKeys.forget;
  const list = (purpose: VaultKeyPurpose) => byPurpose.all(purpose).map(fromRaw);

  return {
    list,
    current: (purpose) => currentKeys.read(purpose, () => list(purpose).find((k) => k.retiredAt === null)),
    listAll: () => all.all().map(fromRaw),
    insert: (r) => {
      forget();
      insert.run(r.id, r.purpose, r.kekId, r.wrapped, r.publicKey, r.createdAt, r.retiredAt);
    },
    retire: (id, at) => {
      forget();
      retire.run(at, id);
    },
    rewrap: (id, kekId, wrapped) => {
      forget();
      rewrap.run(kekId, wrapped, id);
    },
    deleteRetiredBefore: (purpose, before) => {
      forget();
      return deleteRetired.run(purpose, before).changes;
    },
  };
}
