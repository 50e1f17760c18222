import { z } from 'zod';
import type { Actor, Audit, AuditAction, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { hashPassword, type Passwords } from '../crypto/passwords.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid, parseInput } from '../validation.js';
import { STAFF_ROLES, type StaffRole } from './staff-roles.js';
import type { StaffChanges, StaffRecord } from './staff-store.js';
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
  /** Bearer tokens issued at or before this instant are refused; null when never revoked. */
  tokensValidAfter: string | null;
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
  tokensValidAfter: s.tokensValidAfter > 0 ? new Date(s.tokensValidAfter).toISOString() : null,
  createdAt: new Date(s.createdAt).toISOString(),
});

/** Who made a staff-administration change (an admin, or the CLI's system actor) and from where. */
export interface ChangedBy {
  actor: Actor;
  origin?: Origin;
}

/**
 * The instant that revokes every token issued so far: tokens are issued at most at
 * tokensValidAfter + 1 (staff-tokens.ts), so that instant is covered too; never moved backwards.
 */
export const revocationAt = (staff: StaffRecord, now: number) => Math.max(now, staff.tokensValidAfter + 1);

/** The OpenID Connect identity as stored: the issuer and the subject, so two providers never collide. */
export const oidcSubjectOf = (issuer: string, sub: string) => `${issuer} ${sub}`;

/** Every staff-administration change leaves a row naming the member; never a password or a token. Call inside the change's transaction. */
export async function recordStaffChange(stores: Stores, audit: Audit, action: AuditAction, staff: StaffRecord, by: ChangedBy, more: Record<string, unknown> = {}) {
  await audit.record(stores, { action, actor: by.actor, origin: by.origin, detail: JSON.stringify({ staffId: staff.id, email: staff.email, ...more }) });
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const role = z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]], { error: 'must be engineer, admin or auditor' });
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
export const staffEmail = z.string().trim().toLowerCase().max(320).pipe(z.email({ error: 'must be an e-mail address' }));
/** OpenID Connect: a subject is at most 255 ASCII characters. */
const subject = z.string().trim().regex(/^[\x20-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters');

const newStaffSchema = z.strictObject({ email: staffEmail, role, name: name.optional(), password: password.optional() });
const staffChangesSchema = z.strictObject({ role: role.optional(), name: name.optional() });
const passwordSchema = z.strictObject({ password });
const ssoLinkSchema = z.strictObject({ sub: subject });

export interface StaffDeps {
  storage: Storage;
  passwords: Passwords;
  audit: Audit;
  clock: Clock;
  /** OIDC_ISSUER, when single sign-on is configured: an admin links members to its subjects. */
  oidcIssuer: string | null;
}

export function createStaff(deps: StaffDeps) {
  const { storage, passwords, audit, clock } = deps;

  const recordChange = (s: Stores, action: AuditAction, staff: StaffRecord, by: ChangedBy, more?: Record<string, unknown>) =>
    recordStaffChange(s, audit, action, staff, by, more);

  /** Applies changes to a member inside the caller's transaction and returns the row as it now is. */
  async function change(s: Stores, staff: StaffRecord, changes: StaffChanges, now: number): Promise<StaffRecord> {
    await s.staff.update(staff.id, changes, now);
    return (await s.staff.get(staff.id))!;
  }

  function insertStaff(data: z.output<typeof newStaffSchema>, passwordHash: string | null, by: ChangedBy): Promise<StaffView> {
    return storage.write(async (s) => {
      if (await s.staff.getByEmail(data.email)) throw new Conflict('staff_exists', `A staff member with e-mail ${data.email} already exists.`);
      const now = clock.now();
      const record: StaffRecord = {
        id: newId(),
        email: data.email,
        name: data.name ?? data.email.split('@')[0]!,
        role: data.role,
        passwordHash,
        oidcSubject: null,
        disabledAt: null,
        tokensValidAfter: 0,
        createdAt: now,
        updatedAt: now,
      };
      await s.staff.insert(record);
      await recordChange(s, 'staff.added', record, by, { role: record.role, hasPassword: passwordHash !== null });
      return staffView(record);
    });
  }

  /** Adds a member; a password is hashed on this thread (the CLI, where nothing else waits). */
  function addStaff(input: unknown, by: ChangedBy): Promise<StaffView> {
    const data = parseInput(newStaffSchema, input, 'staff');
    return insertStaff(data, data.password ? hashPassword(data.password) : null, by);
  }

  /** Adds a member from the admin API; the password is hashed off the event loop. */
  async function addStaffMember(input: unknown, by: ChangedBy): Promise<StaffView> {
    const data = parseInput(newStaffSchema, input);
    return insertStaff(data, data.password ? await passwords.hash(data.password) : null, by);
  }

  async function findStaffByEmail(email: string, stores?: Stores): Promise<StaffRecord> {
    const normalized = email.trim().toLowerCase();
    const staff = stores ? await stores.staff.getByEmail(normalized) : await storage.read((s) => s.staff.getByEmail(normalized));
    if (!staff) throw new NotFound('staff_not_found', `No staff member with e-mail ${email}.`);
    return staff;
  }

  async function requireStaff(id: string, stores?: Stores): Promise<StaffRecord> {
    const staff = !isUuid(id) ? undefined : stores ? await stores.staff.get(id) : await storage.read((s) => s.staff.get(id));
    if (!staff) throw new NotFound('staff_not_found', 'No staff member with that id.');
    return staff;
  }

  /** The vault must keep one admin who can sign in: the last one is never demoted or disabled. */
  async function keepLastAdmin(s: Stores, staff: StaffRecord) {
    if (staff.role === 'admin' && staff.disabledAt === null && (await s.staff.countActiveAdmins()) <= 1) {
      throw new Conflict('last_admin', `${staff.email} is the only admin; make someone else admin first.`);
    }
  }

  /**
   * Disables a member, revokes their bearer tokens and ends their console sessions in one
   * transaction. An admin acting in the console may not disable themself.
   */
  function disableStaffMember(id: string, by: ChangedBy): Promise<StaffView> {
    return storage.write(async (s) => {
      let staff = await requireStaff(id, s);
      if (by.actor.type === 'staff' && by.actor.id === staff.id) throw new Conflict('cannot_disable_self', 'You cannot disable yourself; ask another admin.');
      const now = clock.now();
      if (staff.disabledAt === null) {
        await keepLastAdmin(s, staff);
        staff = await change(s, staff, { disabledAt: now, tokensValidAfter: revocationAt(staff, now) }, now);
        await recordChange(s, 'staff.disabled', staff, by);
      }
      await s.staffSessions.endAllForStaff(staff.id, 'staff_disabled', now);
      return staffView(staff);
    });
  }

  const disableStaff = async (email: string, by: ChangedBy) => disableStaffMember((await findStaffByEmail(email)).id, by);

  /** Enables a member again; tokens issued before (or while disabled) stay revoked. */
  function enableStaffMember(id: string, by: ChangedBy): Promise<StaffView> {
    return storage.write(async (s) => {
      let staff = await requireStaff(id, s);
      if (staff.disabledAt !== null) {
        const now = clock.now();
        staff = await change(s, staff, { disabledAt: null, tokensValidAfter: revocationAt(staff, now) }, now);
        await recordChange(s, 'staff.enabled', staff, by);
      }
      return staffView(staff);
    });
  }

  const enableStaff = async (email: string, by: ChangedBy) => enableStaffMember((await findStaffByEmail(email)).id, by);

  /** Changes a member's role or display name; the role applies to their next request. */
  function updateStaffMember(id: string, input: unknown, by: ChangedBy): Promise<StaffView> {
    const changes = parseInput(staffChangesSchema, input);
    return storage.write(async (s) => {
      let staff = await requireStaff(id, s);
      if (changes.role !== undefined && changes.role !== staff.role) await keepLastAdmin(s, staff);
      const current = staff;
      const changed = Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && v !== current[k as keyof typeof changes]));
      if (Object.keys(changed).length) {
        const before = staff;
        staff = await change(s, staff, changed, clock.now());
        // The name is people's text: the row says that it changed, not what to.
        await recordChange(s, 'staff.changed', staff, by, {
          changed: Object.keys(changed).sort(),
          ...(changed.role ? { role: { from: before.role, to: staff.role } } : {}),
        });
      }
      return staffView(staff);
    });
  }

  /**
   * Sets a member's password (hashed off the event loop), ends their sessions and revokes their
   * bearer tokens: whoever knew the old one is out.
   */
  async function setStaffPassword(id: string, input: unknown, by: ChangedBy): Promise<StaffView> {
    const data = parseInput(passwordSchema, input);
    await requireStaff(id);
    const hash = await passwords.hash(data.password);
    return storage.write(async (s) => {
      const now = clock.now();
      const current = await requireStaff(id, s);
      const staff = await change(s, current, { passwordHash: hash, tokensValidAfter: revocationAt(current, now) }, now);
      await s.staffSessions.endAllForStaff(staff.id, 'password_changed', now);
      await recordChange(s, 'staff.password_set', staff, by);
      return staffView(staff);
    });
  }

  /** Revokes every bearer token issued to a member so far and ends their console sessions: signed out everywhere. */
  function revokeStaffTokens(id: string, by: ChangedBy): Promise<StaffView> {
    return storage.write(async (s) => {
      const now = clock.now();
      const current = await requireStaff(id, s);
      const staff = await change(s, current, { tokensValidAfter: revocationAt(current, now) }, now);
      await s.staffSessions.endAllForStaff(staff.id, 'tokens_revoked', now);
      await recordChange(s, 'staff.tokens_revoked', staff, by);
      return staffView(staff);
    });
  }

  /**
   * An admin links a member to a subject at the configured provider (DESIGN "SSO linking"): the
   * only way an account with a password or the admin role signs in with single sign-on.
   */
  function linkStaffSso(id: string, input: unknown, by: ChangedBy): Promise<StaffView> {
    const { sub } = parseInput(ssoLinkSchema, input);
    const issuer = deps.oidcIssuer;
    if (!issuer) throw new BadRequest('oidc_not_configured', 'Single sign-on is not configured (OIDC_ISSUER); there is nothing to link to.');
    const oidcSubject = oidcSubjectOf(issuer, sub);
    return storage.write(async (s) => {
      let staff = await requireStaff(id, s);
      const holder = await s.staff.getByOidcSubject(oidcSubject);
      if (holder && holder.id !== staff.id) throw new Conflict('sso_subject_taken', `That single sign-on subject is already linked to ${holder.email}.`);
      if (staff.oidcSubject !== oidcSubject) {
        const relinked = staff.oidcSubject !== null;
        staff = await change(s, staff, { oidcSubject }, clock.now());
        await recordChange(s, 'staff.sso_linked', staff, by, { issuer, sub, relinked });
      }
      return staffView(staff);
    });
  }

  const linkStaffSsoByEmail = async (email: string, sub: string, by: ChangedBy) => linkStaffSso((await findStaffByEmail(email)).id, { sub }, by);

  return {
    addStaff,
    addStaffMember,
    findStaffByEmail,
    requireStaff,
    disableStaff,
    disableStaffMember,
    enableStaff,
    enableStaffMember,
    updateStaffMember,
    setStaffPassword,
    revokeStaffTokens,
    linkStaffSso,
    linkStaffSsoByEmail,
    /** Every member, with how many second factors they have confirmed (the admins see who has enrolled). */
    listStaff: () =>
      storage.read(async (s) => {
        const members = await s.staff.list();
        const factors = await s.secondFactors.countConfirmed(members.map((m) => m.id));
        return members.map((m) => ({ ...staffView(m), secondFactors: factors.get(m.id) ?? 0 }));
      }),
  };
}

export type Staff = ReturnType<typeof createStaff>;
