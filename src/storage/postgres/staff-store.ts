import type { StaffChanges, StaffStore } from '../../staff-auth/staff-store.js';
import { staffOf, type StaffRow } from '../rows.js';
import { allRows, oneRow, type PgClient } from './client.js';

const COLUMNS: Record<keyof StaffChanges, string> = {
  name: 'name',
  role: 'role',
  passwordHash: 'password_hash',
  oidcSubject: 'oidc_subject',
  disabledAt: 'disabled_at',
  tokensValidAfter: 'tokens_valid_after',
};

/**
 * Staff on PostgreSQL: no cache of `get` (SQLite keeps one until PRAGMA data_version moves): another
 * instance may disable a member or change their role, and that must hold at the next request here.
 * E-mail matches whatever its case, as SQLite's COLLATE NOCASE column (migration 001's index).
 */
export function createPgStaffStore(client: PgClient): StaffStore {
  return {
    insert: async (s) => {
      await client.query(
        `INSERT INTO staff (id, email, name, role, password_hash, oidc_subject, disabled_at, tokens_valid_after, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [s.id, s.email, s.name, s.role, s.passwordHash, s.oidcSubject, s.disabledAt, s.tokensValidAfter, s.createdAt, s.updatedAt],
      );
    },
    get: async (id) => {
      const r = await oneRow<StaffRow>(client, 'SELECT * FROM staff WHERE id = $1', [id]);
      return r && Object.freeze(staffOf(r));
    },
    getByEmail: async (email) => {
      const r = await oneRow<StaffRow>(client, 'SELECT * FROM staff WHERE lower(email) = lower($1)', [email]);
      return r && staffOf(r);
    },
    getByOidcSubject: async (subject) => {
      const r = await oneRow<StaffRow>(client, 'SELECT * FROM staff WHERE oidc_subject = $1', [subject]);
      return r && staffOf(r);
    },
    list: async () => (await allRows<StaffRow>(client, 'SELECT * FROM staff ORDER BY lower(email) COLLATE "C", id')).map(staffOf),
    countActiveAdmins: async () =>
      (await oneRow<{ n: number }>(client, "SELECT COUNT(*) AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL"))!.n,
    update: async (id, changes, at) => {
      const args: unknown[] = [id, at];
      const sets = ['updated_at = $2'];
      for (const [key, value] of Object.entries(changes)) {
        const column = COLUMNS[key as keyof StaffChanges];
        if (column) sets.push(`${column} = $${args.push(value)}`);
      }
      await client.query(`UPDATE staff SET ${sets.join(', ')} WHERE id = $1`, args);
    },
  };
}
