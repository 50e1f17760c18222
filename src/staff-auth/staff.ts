import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { hashPassword } from '../crypto/passwords.js';
import { Conflict, NotFound } from '../errors.js';
import { parseInput } from '../validation.js';
import { STAFF_ROLES, type StaffRecord, type StaffRole, type StaffStore } from './staff-store.js';

export interface StaffView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export const staffView = (s: StaffRecord): StaffView => ({
  id: s.id,
  email: s.email,
  name: s.name,
  role: s.role,
  disabled: s.disabledAt !== null,
  hasPassword: s.passwordHash !== null,
  createdAt: new Date(s.createdAt).toISOString(),
});

export const MIN_PASSWORD_LENGTH = 12;

const newStaffSchema = z.strictObject({
  email: z.string().trim().toLowerCase().max(320).pipe(z.email({ error: 'must be an e-mail address' })),
  role: z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]], { error: 'must be engineer, admin or auditor' }),
  name: z.string().trim().min(1).max(200).optional(),
  password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024).optional(),
});

export function createStaff(deps: { staffStore: StaffStore; clock: Clock }) {
  const { staffStore, clock } = deps;

  function addStaff(input: unknown): StaffView {
    const data = parseInput(newStaffSchema, input, 'staff');
    if (staffStore.getByEmail(data.email)) throw new Conflict('staff_exists', `A staff member with e-mail ${data.email} already exists.`);
    const now = clock.now();
    const record: StaffRecord = {
      id: randomUUID(),
      email: data.email,
      name: data.name ?? data.email.split('@')[0]!,
      role: data.role,
      passwordHash: data.password ? hashPassword(data.password) : null,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    };
    staffStore.insert(record);
    return staffView(record);
  }

  function findStaffByEmail(email: string): StaffRecord {
    const staff = staffStore.getByEmail(email.trim().toLowerCase());
    if (!staff) throw new NotFound('staff_not_found', `No staff member with e-mail ${email}.`);
    return staff;
  }

  function disableStaff(email: string): StaffView {
    const staff = findStaffByEmail(email);
    if (staff.disabledAt === null) staffStore.update(staff.id, { disabledAt: clock.now() }, clock.now());
    return staffView(staffStore.get(staff.id)!);
  }

  return { addStaff, findStaffByEmail, disableStaff, listStaff: () => staffStore.list().map(staffView) };
}

export type Staff = ReturnType<typeof createStaff>;
