import type { SecondFactorStore, VaultSettingStore } from '../../staff-auth/second-factors-store.js';
import { secondFactorOf, type SecondFactorRow } from '../rows.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

const orNull = (value: Uint8Array | null) => (value ? bytes(value) : null);

export function createPgSecondFactorStore(client: PgClient): SecondFactorStore {
  return {
    insert: async (f) => {
      await client.query(
        `INSERT INTO staff_second_factors (id, staff_id, kind, name, kek_id, secret_wrapped, last_step, credential_id, public_key, sign_count, transports, confirmed_at, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [f.id, f.staffId, f.kind, f.name, f.kekId, orNull(f.secretWrapped), f.lastStep, orNull(f.credentialId), orNull(f.publicKey), f.signCount, f.transports, f.confirmedAt, f.createdAt, f.lastUsedAt],
      );
    },
    get: async (id) => {
      const r = await oneRow<SecondFactorRow>(client, 'SELECT * FROM staff_second_factors WHERE id = $1', [id]);
      return r && secondFactorOf(r);
    },
    getByCredentialId: async (credentialId) => {
      const r = await oneRow<SecondFactorRow>(client, 'SELECT * FROM staff_second_factors WHERE credential_id = $1', [bytes(credentialId)]);
      return r && secondFactorOf(r);
    },
    listForStaff: async (staffId) =>
      (await allRows<SecondFactorRow>(client, 'SELECT * FROM staff_second_factors WHERE staff_id = $1 ORDER BY created_at, id', [staffId])).map(secondFactorOf),
    countConfirmed: async (staffIds) => {
      const counts = new Map<string, number>();
      if (staffIds.length === 0) return counts;
      const rows = await allRows<{ staff_id: string; n: number }>(
        client,
        'SELECT staff_id, COUNT(*) AS n FROM staff_second_factors WHERE confirmed_at IS NOT NULL AND staff_id = ANY($1) GROUP BY staff_id',
        [staffIds],
      );
      for (const row of rows) counts.set(row.staff_id, row.n);
      return counts;
    },
    confirm: async (id, step, at) =>
      (await changedRows(client, 'UPDATE staff_second_factors SET confirmed_at = $2, last_step = $3, last_used_at = $2 WHERE id = $1 AND confirmed_at IS NULL', [id, at, step])) === 1,
    useStep: async (id, step, at) =>
      (await changedRows(
        client,
        'UPDATE staff_second_factors SET last_step = $2, last_used_at = $3 WHERE id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)',
        [id, step, at],
      )) === 1,
    usePasskey: async (id, signCount, issuedAt, at) =>
      (await changedRows(
        client,
        'UPDATE staff_second_factors SET sign_count = $2, last_used_at = $4 WHERE id = $1 AND confirmed_at IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3)',
        [id, signCount, issuedAt, at],
      )) === 1,
    delete: async (id) => (await changedRows(client, 'DELETE FROM staff_second_factors WHERE id = $1', [id])) === 1,
    deleteUnconfirmed: async (staffId) => changedRows(client, 'DELETE FROM staff_second_factors WHERE staff_id = $1 AND confirmed_at IS NULL', [staffId]),
    deleteAllForStaff: async (staffId) => changedRows(client, 'DELETE FROM staff_second_factors WHERE staff_id = $1', [staffId]),
    listWrappedPage: async (after, limit) =>
      (await allRows<SecondFactorRow>(client, "SELECT * FROM staff_second_factors WHERE kind = 'totp' AND id > $1 ORDER BY id LIMIT $2", [after, limit])).map(secondFactorOf),
    rewrap: async (id, kekId, wrapped) => {
      await client.query('UPDATE staff_second_factors SET kek_id = $2, secret_wrapped = $3 WHERE id = $1', [id, kekId, bytes(wrapped)]);
    },
    replaceRecoveryCodes: async (staffId, hashes, at) => {
      await client.query('DELETE FROM staff_recovery_codes WHERE staff_id = $1', [staffId]);
      if (hashes.length === 0) return;
      await client.query(
        'INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) SELECT $1, hash, $3 FROM unnest($2::bytea[]) AS hash',
        [staffId, hashes, at],
      );
    },
    useRecoveryCode: async (staffId, hash, at) =>
      (await changedRows(client, 'UPDATE staff_recovery_codes SET used_at = $3 WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL', [staffId, bytes(hash), at])) === 1,
    countRecoveryCodesLeft: async (staffId) =>
      (await oneRow<{ n: number }>(client, 'SELECT COUNT(*) AS n FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL', [staffId]))!.n,
    deleteRecoveryCodes: async (staffId) => changedRows(client, 'DELETE FROM staff_recovery_codes WHERE staff_id = $1', [staffId]),
  };
}

export function createPgVaultSettingStore(client: PgClient): VaultSettingStore {
  return {
    get: async (name) => (await oneRow<{ value: string }>(client, 'SELECT value FROM vault_settings WHERE name = $1', [name]))?.value,
    set: async (name, value, at) => {
      await client.query(
        'INSERT INTO vault_settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        [name, value, at],
      );
    },
  };
}
