import type { Database } from './database.js';
import type { SecondFactorStore, VaultSettingStore } from '../../staff-auth/second-factors-store.js';
import type { Sync } from '../storage.js';
import { secondFactorOf as fromRaw, type SecondFactorRow as Raw } from '../rows.js';

export function createSecondFactorStore(db: Database): Sync<SecondFactorStore> {
  const insert = db.prepare(
    `INSERT INTO staff_second_factors (id, staff_id, kind, name, kek_id, secret_wrapped, last_step, credential_id, public_key, sign_count, transports, confirmed_at, created_at, last_used_at)
     VALUES (@id, @staffId, @kind, @name, @kekId, @secretWrapped, @lastStep, @credentialId, @publicKey, @signCount, @transports, @confirmedAt, @createdAt, @lastUsedAt)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM staff_second_factors WHERE id = ?');
  const byCredentialId = db.prepare<[Buffer], Raw>('SELECT * FROM staff_second_factors WHERE credential_id = ?');
  const forStaff = db.prepare<[string], Raw>('SELECT * FROM staff_second_factors WHERE staff_id = ? ORDER BY created_at, id');
  const confirm = db.prepare('UPDATE staff_second_factors SET confirmed_at = ?, last_step = ?, last_used_at = ? WHERE id = ? AND confirmed_at IS NULL');
  const useStep = db.prepare(
    'UPDATE staff_second_factors SET last_step = ?, last_used_at = ? WHERE id = ? AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)',
  );
  const usePasskey = db.prepare(
    'UPDATE staff_second_factors SET sign_count = ?, last_used_at = ? WHERE id = ? AND confirmed_at IS NOT NULL AND (last_used_at IS NULL OR last_used_at < ?)',
  );
  const del = db.prepare('DELETE FROM staff_second_factors WHERE id = ?');
  const deleteUnconfirmed = db.prepare('DELETE FROM staff_second_factors WHERE staff_id = ? AND confirmed_at IS NULL');
  const deleteAll = db.prepare('DELETE FROM staff_second_factors WHERE staff_id = ?');
  const wrappedPage = db.prepare<[string, number], Raw>("SELECT * FROM staff_second_factors WHERE kind = 'totp' AND id > ? ORDER BY id LIMIT ?");
  const rewrap = db.prepare('UPDATE staff_second_factors SET kek_id = ?, secret_wrapped = ? WHERE id = ?');
  const deleteCodes = db.prepare('DELETE FROM staff_recovery_codes WHERE staff_id = ?');
  const insertCode = db.prepare('INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at, used_at) VALUES (?, ?, ?, NULL)');
  const useCode = db.prepare('UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL');
  const codesLeft = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL');
  return {
    insert: (f) => {
      insert.run({
        ...f,
        secretWrapped: f.secretWrapped && Buffer.from(f.secretWrapped),
        credentialId: f.credentialId && Buffer.from(f.credentialId),
        publicKey: f.publicKey && Buffer.from(f.publicKey),
      });
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getByCredentialId: (credentialId) => {
      const r = byCredentialId.get(Buffer.from(credentialId));
      return r && fromRaw(r);
    },
    listForStaff: (staffId) => forStaff.all(staffId).map(fromRaw),
    countConfirmed: (staffIds) => {
      const counts = new Map<string, number>();
      if (staffIds.length === 0) return counts;
      const rows = db
        .prepare(
          `SELECT staff_id, COUNT(*) AS n FROM staff_second_factors WHERE confirmed_at IS NOT NULL AND staff_id IN (${staffIds.map(() => '?').join(', ')}) GROUP BY staff_id`,
        )
        .all(...staffIds) as { staff_id: string; n: number }[];
      for (const row of rows) counts.set(row.staff_id, row.n);
      return counts;
    },
    confirm: (id, step, at) => confirm.run(at, step, at, id).changes === 1,
    useStep: (id, step, at) => useStep.run(step, at, id, step).changes === 1,
    usePasskey: (id, signCount, issuedAt, at) => usePasskey.run(signCount, at, id, issuedAt).changes === 1,
    delete: (id) => del.run(id).changes === 1,
    deleteUnconfirmed: (staffId) => deleteUnconfirmed.run(staffId).changes,
    deleteAllForStaff: (staffId) => deleteAll.run(staffId).changes,
    listWrappedPage: (after, limit) => wrappedPage.all(after, limit).map(fromRaw),
    rewrap: (id, kekId, wrapped) => {
      rewrap.run(kekId, Buffer.from(wrapped), id);
    },
    replaceRecoveryCodes: (staffId, hashes, at) => {
      deleteCodes.run(staffId);
      for (const hash of hashes) insertCode.run(staffId, hash, at);
    },
    useRecoveryCode: (staffId, hash, at) => useCode.run(at, staffId, hash).changes === 1,
    countRecoveryCodesLeft: (staffId) => codesLeft.get(staffId)!.n,
    deleteRecoveryCodes: (staffId) => deleteCodes.run(staffId).changes,
  };
}

export function createVaultSettingStore(db: Database): Sync<VaultSettingStore> {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM vault_settings WHERE name = ?');
  const set = db.prepare(
    'INSERT INTO vault_settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  return {
    get: (name) => get.get(name)?.value,
    set: (name, value, at) => {
      set.run(name, value, at);
    },
  };
}
