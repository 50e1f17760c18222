import type { Database } from '../storage/database.js';

export type StaffRole = 'engineer' | 'admin' | 'auditor';
export const STAFF_ROLES: readonly StaffRole[] = ['engineer', 'admin', 'auditor'];

export interface StaffRecord {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  passwordHash: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface StaffStore {
  insert(staff: StaffRecord): void;
  get(id: string): StaffRecord | undefined;
  getByEmail(email: string): StaffRecord | undefined;
  list(): StaffRecord[];
  update(id: string, changes: Partial<Pick<StaffRecord, 'name' | 'role' | 'passwordHash' | 'disabledAt'>>, at: number): void;
}

interface Raw {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  password_hash: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

const fromRaw = (r: Raw): StaffRecord => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  passwordHash: r.password_hash,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const COLUMNS: Record<string, string> = { name: 'name', role: 'role', passwordHash: 'password_hash', disabledAt: 'disabled_at' };

export function createStaffStore(db: Database): StaffStore {
  const insert = db.prepare(
    `INSERT INTO staff (id, email, name, role, password_hash, disabled_at, created_at, updated_at)
     VALUES (@id, @email, @name, @role, @passwordHash, @disabledAt, @createdAt, @updatedAt)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM staff WHERE id = ?');
  const byEmail = db.prepare<[string], Raw>('SELECT * FROM staff WHERE email = ?');
  const list = db.prepare<[], Raw>('SELECT * FROM staff ORDER BY email');
  return {
    insert: (s) => {
      insert.run(s);
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getByEmail: (email) => {
      const r = byEmail.get(email);
      return r && fromRaw(r);
    },
    list: () => list.all().map(fromRaw),
    update: (id, changes, at) => {
      const sets = ['updated_at = @at', ...Object.keys(changes).map((k) => `${COLUMNS[k]} = @${k}`)];
      db.prepare(`UPDATE staff SET ${sets.join(', ')} WHERE id = @id`).run({ ...changes, id, at });
    },
  };
}
