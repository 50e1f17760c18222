import { z } from 'zod';
import type { Clock } from '../clock.js';
import { hashPassword, type Passwords } from '../crypto/passwords.js';
import { Conflict, NotFound } from '../errors.js';
import type { Database } from '../storage/database.js';
import { writeTransaction } from '../storage/database.js';
import { isUuid, parseInput } from '../validation.js';
import type { StaffSessionStore } from './staff-sessions-store.js';
import { STAFF_ROLES, type StaffRecord, type StaffRole, type StaffStore } from './staff-store.js';
import { newId } from '../ids.js';

export interface StaffView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  hasPassword: boolean;
  /** Linked to an identity at the OpenID Connect provider (signs in with SSO). */
  hasSso: boolean;
  createdAt: string;
}

export const staffView = (s: StaffRecord): StaffView => ({
  id: s.id,
  email: s.email,
  name: s.name,
  role: s.role,
  disabled: s.disabledAt !== null,
  hasPassword: s.passwordHash !== null,
  hasSso: s.oidcSubject !== null,
  createdAt: new Date(s.createdAt).toISOString(),
});

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const role = z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]], { error: 'must be engineer, admin or auditor' });
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
export const staffEmail = z.string().trim().toLowerCase().max(320).pipe(z.email({ error: 'must be an e-mail address' }));

const newStaffSchema = z.strictObject({ email: staffEmail, role, name: name.optional(), password: password.optional() });
const staffChangesSchema = z.strictObject({ role: role.optional(), name: name.optional() });
const passwordSchema = z.strictObject({ password });

export interface StaffDeps {
  db: Database;
  staffStore: StaffStore;
  sessionStore: StaffSessionStore;
  passwords: Passwords;
  clock: Clock;
}

export function createStaff(deps: StaffDeps) {
  const { db, staffStore, sessionStore, passwords, clock } = deps;

  function insertStaff(data: z.output<typeof newStaffSchema>, passwordHash: string | null): StaffView {
    return writeTransaction(db, () => {
      if (staffStore.getByEmail(data.email)) throw new Conflict('staff_exists', `A staff member with e-mail ${data.email} already exists.`);
      const now = clock.now();
      const record: StaffRecord = {
        id: newId(),
        email: data.email,
        name: data.name ?? data.email.split('@')[0]!,
        role: data.role,
        passwordHash,
        oidcSubject: null,
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
      };
      staffStore.insert(record);
      return staffView(record);
    });
  }

  /** Adds a member; a password is hashed on this thread (the CLI, where nothing else waits). */
  function addStaff(input: unknown): StaffView {
    const data = parseInput(newStaffSchema, input, 'staff');
    return insertStaff(data, data.password ? hashPassword(data.password) : null);
  }

  /** Adds a member from the admin API; the password is hashed off the event loop. */
  async function addStaffMember(input: unknown): Promise<StaffView> {
    const data = parseInput(newStaffSchema, input);
    return insertStaff(data, data.password ? await passwords.hash(data.password) : null);
  }

  function findStaffByEmail(email: string): StaffRecord {
    const staff = staffStore.getByEmail(email.trim().toLowerCase());
    if (!staff) throw new NotFound('staff_not_found', `No staff member with e-mail ${email}.`);
    return staff;
  }

  function requireStaff(id: string): StaffRecord {
    const staff = isUuid(id) ? staffStore.get(id) : undefined;
    if (!staff) throw new NotFound('staff_not_found', 'No staff member with that id.');
    return staff;
  }

  /** The vault must keep one admin who can sign in: the last one is never demoted or disabled. */
  function keepLastAdmin(staff: StaffRecord) {
    if (staff.role === 'admin' && staff.disabledAt === null && staffStore.countActiveAdmins() <= 1) {
      throw new Conflict('last_admin', `${staff.email} is the only admin; make someone else admin first.`);
    }
  }

  /**
   * Disables a member and ends their console sessions in the same transaction; bearer tokens stop
   * at their next use. `byId`, when an admin does it in the console, may not be the member themself.
   */
  function disableStaffMember(id: string, byId?: string): StaffView {
    const found = requireStaff(id);
    if (byId === found.id) throw new Conflict('cannot_disable_self', 'You cannot disable yourself; ask another admin.');
    return writeTransaction(db, () => {
      const staff = staffStore.get(found.id)!;
      if (staff.disabledAt === null) {
        keepLastAdmin(staff);
        const now = clock.now();
        staffStore.update(staff.id, { disabledAt: now }, now);
      }
      sessionStore.endAllForStaff(staff.id, 'staff_disabled', clock.now());
      return staffView(staffStore.get(staff.id)!);
    });
  }

  function disableStaff(email: string): StaffView {
    return disableStaffMember(findStaffByEmail(email).id);
  }

  function enableStaffMember(id: string): StaffView {
    const staff = requireStaff(id);
    if (staff.disabledAt !== null) staffStore.update(staff.id, { disabledAt: null }, clock.now());
    return staffView(staffStore.get(staff.id)!);
  }

  /** Changes a member's role or display name; the role applies to their next request. */
  function updateStaffMember(id: string, input: unknown): StaffView {
    const changes = parseInput(staffChangesSchema, input);
    const found = requireStaff(id);
    return writeTransaction(db, () => {
      const staff = staffStore.get(found.id)!;
      if (changes.role !== undefined && changes.role !== staff.role) keepLastAdmin(staff);
      const changed = Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && v !== staff[k as keyof typeof changes]));
      if (Object.keys(changed).length) staffStore.update(staff.id, changed, clock.now());
      return staffView(staffStore.get(staff.id)!);
    });
  }

  /** Sets a member's password (hashed off the event loop) and ends their sessions: whoever knew the old one is out. */
  async function setStaffPassword(id: string, input: unknown): Promise<StaffView> {
    const data = parseInput(passwordSchema, input);
    const staff = requireStaff(id);
    const hash = await passwords.hash(data.password);
    return writeTransaction(db, () => {
      const now = clock.now();
      staffStore.update(staff.id, { passwordHash: hash }, now);
      sessionStore.endAllForStaff(staff.id, 'password_changed', now);
      return staffView(staffStore.get(staff.id)!);
    });
  }

  return {
    addStaff,
    addStaffMember,
    findStaffByEmail,
    requireStaff,
    disableStaff,
    disableStaffMember,
    enableStaffMember,
    updateStaffMember,
    setStaffPassword,
    listStaff: () => staffStore.list().map(staffView),
  };
}

export type Staff = ReturnType<typeof createStaff>;
