import { createCommittedReads } from './committed-reads.js';
import type { Database } from './database.js';
import type { StaffRole } from '../../staff-auth/staff-roles.js';
import type { StaffRecord, StaffChanges, StaffStore } from '../../staff-auth/staff-store.js';
import type { Sync } from '../storage.js';
import { staffOf as fromRaw, type StaffRow as Raw } from '../rows.js';

const COLUMNS: Record<keyof StaffChanges, string> = {
  name: 'name',
  role: 'role',
  passwordHash: 'password_hash',
  oidcSubject: 'oidc_subject',
  disabledAt: 'disabled_at',
  tokensValidAfter: 'tokens_valid_after',
};

export function createStaffStore(db: Database): Sync<StaffStore> {
  const insert = db.prepare(
    `INSERT INTO staff (id, email, name, role, password_hash, oidc_subject, disabled_at, tokens_valid_after, created_at, updated_at)
     VALUES (@id, @email, @name, @role, @passwordHash, @oidcSubject, @disabledAt, @tokensValidAfter, @createdAt, @updatedAt)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM staff WHERE id = ?');
  const byEmail = db.prepare<[string], Raw>('SELECT * FROM staff WHERE email = ?');
  const byOidcSubject = db.prepare<[string], Raw>('SELECT * FROM staff WHERE oidc_subject = ?');
  const list = db.prepare<[], Raw>('SELECT * FROM staff ORDER BY email');
  const activeAdmins = db.prepare<[], { n: number }>(
    "SELECT COUNT(*) AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL",
  );

  // Read by id on every staff request: kept until this store writes or another process commits.
  const byId = createCommittedReads<string, StaffRecord | undefined>(db);
  const forget = byId.forget;

  return {
    insert: (s) => {
      forget();
      insert.run(s);
    },
    get: (id) =>
      byId.read(id, () => {
        const r = get.get(id);
        return r && Object.freeze(fromRaw(r));
      }),
    getByEmail: (email) => {
      const r = byEmail.get(email);
      return r && fromRaw(r);
    },
    getByOidcSubject: (subject) => {
      const r = byOidcSubject.get(subject);
      return r && fromRaw(r);
    },
    list: () => list.all().map(fromRaw),
    countActiveAdmins: () => activeAdmins.get()!.n,
    update: (id, changes, at) => {
      forget();
      const keys = Object.keys(changes) as (keyof StaffChanges)[];
      const sets = ['updated_at = @at', ...keys.map((k) => `${COLUMNS[k]} = @${k}`)];
      db.prepare(`UPDATE staff SET ${sets.join(', ')} WHERE id = @id`).run({ ...changes, id, at });
    },
  };
}
