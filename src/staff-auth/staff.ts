import { z } from 'zod';
import type { Actor, Audit, AuditAction, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { hashPassword, type Passwords } from '../crypto/passwords.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import type { Database } from '../storage/database.js';
import { writeTransaction } from '../storage/database.js';
import { isUuid, parseInput } from '../validation.js';
import type { StaffSessionStore } from './staff-sessions-store.js';
import { STAFF_ROLES, type StaffChanges, type StaffRecord, type StaffRole, type StaffStore } from './staff-store.js';
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
export function recordStaffChange(audit: Audit, action: AuditAction, staff: StaffRecord, by: ChangedBy, more: Record<string, unknown> = {}) {
  audit.record({ action, actor: by.actor, origin: by.origin, detail: JSON.stringify({ staffId: staff.id, email: staff.email, ...more }) });
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
  db: Database;
  staffStore: StaffStore;
  sessionStore: StaffSessionStore;
  passwords: Passwords;
  audit: Audit;
  clock: Clock;
  /** OIDC_ISSUER, when single sign-on is configured: an admin links members to its subjects. */
  oidcIssuer: string | null;
}

export function createStaff(deps: StaffDeps) {
  const { db, staffStore, sessionStore, passwords, audit, clock } = deps;

  const recordChange = (action: AuditAction, staff: StaffRecord, by: ChangedBy, more?: Record<string, unknown>) =>
    recordStaffChange(audit, action, staff, by, more);

  /** Applies changes to a member inside the caller's transaction and returns the row as it now is. */
  function change(staff: StaffRecord, changes: StaffChanges, now: number): StaffRecord {
    staffStore.update(staff.id, changes, now);
    return staffStore.get(staff.id)!;
  }

  function insertStaff(data: z.output<typeof newStaffSchema>, passwordHash: string | null, by: ChangedBy): StaffView {
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
        tokensValidAfter: 0,
        createdAt: now,
        updatedAt: now,
      };
      staffStore.insert(record);
      recordChange('staff.added', record, by, { role: record.role, hasPassword: passwordHash !== null });
      return staffView(record);
    });
  }

  /** Adds a member; a password is hashed on this thread (the CLI, where nothing else waits). */
  function addStaff(input: unknown, by: ChangedBy): StaffView {
    const data = parseInput(newStaffSchema, input, 'staff');
    return insertStaff(data, data.password ? hashPassword(data.password) : null, by);
  }

  /** Adds a member from the admin API; the password is hashed off the event loop. */
  async function addStaffMember(input: unknown, by: ChangedBy): Promise<StaffView> {
    const data = parseInput(newStaffSchema, input);
    return insertStaff(data, data.password ? await passwords.hash(data.password) : null, by);
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
   * Disables a member, revokes their bearer tokens and ends their console sessions in one
   * transaction. An admin acting in the console may not disable themself.
   */
  function disableStaffMember(id: string, by: ChangedBy): StaffView {
    const found = requireStaff(id);
    if (by.actor.type === 'staff' && by.actor.id === found.id) throw new Conflict('cannot_disable_self', 'You cannot disable yourself; ask another admin.');
    return writeTransaction(db, () => {
      let staff = staffStore.get(found.id)!;
      const now = clock.now();
      if (staff.disabledAt === null) {
        keepLastAdmin(staff);
        staff = change(staff, { disabledAt: now, tokensValidAfter: revocationAt(staff, now) }, now);
        recordChange('staff.disabled', staff, by);
      }
      sessionStore.endAllForStaff(staff.id, 'staff_disabled', now);
      return staffView(staff);
    });
  }

  const disableStaff = (email: string, by: ChangedBy) => disableStaffMember(findStaffByEmail(email).id, by);

  /** Enables a member again; tokens issued before (or while disabled) stay revoked. */
  function enableStaffMember(id: string, by: ChangedBy): StaffView {
    const found = requireStaff(id);
    return writeTransaction(db, () => {
      let staff = staffStore.get(found.id)!;
      if (staff.disabledAt !== null) {
        const now = clock.now();
        staff = change(staff, { disabledAt: null, tokensValidAfter: revocationAt(staff, now) }, now);
        recordChange('staff.enabled', staff, by);
      }
      return staffView(staff);
    });
  }

  const enableStaff = (email: string, by: ChangedBy) => enableStaffMember(findStaffByEmail(email).id, by);

  /** Changes a member's role or display name; the role applies to their next request. */
  function updateStaffMember(id: string, input: unknown, by: ChangedBy): StaffView {
    const changes = parseInput(staffChangesSchema, input);
    const found = requireStaff(id);
    return writeTransaction(db, () => {
      let staff = staffStore.get(found.id)!;
      if (changes.role !== undefined && changes.role !== staff.role) keepLastAdmin(staff);
      const changed = Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && v !== staff[k as keyof typeof changes]));
      if (Object.keys(changed).length) {
        const before = staff;
        staff = change(staff, changed, clock.now());
        // The name is people's text: the row says that it changed, not what to.
        recordChange('staff.changed', staff, by, {
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
    const found = requireStaff(id);
    const hash = await passwords.hash(data.password);
    return writeTransaction(db, () => {
      const now = clock.now();
      const staff = change(found, { passwordHash: hash, tokensValidAfter: revocationAt(staffStore.get(found.id)!, now) }, now);
      sessionStore.endAllForStaff(staff.id, 'password_changed', now);
      recordChange('staff.password_set', staff, by);
      return staffView(staff);
    });
  }

  /** Revokes every bearer token issued to a member so far and ends their console sessions: signed out everywhere. */
  function revokeStaffTokens(id: string, by: ChangedBy): StaffView {
    const found = requireStaff(id);
    return writeTransaction(db, () => {
      const now = clock.now();
      const staff = change(found, { tokensValidAfter: revocationAt(staffStore.get(found.id)!, now) }, now);
      sessionStore.endAllForStaff(staff.id, 'tokens_revoked', now);
      recordChange('staff.tokens_revoked', staff, by);
      return staffView(staff);
    });
  }

  /**
   * An admin links a member to a subject at the configured provider (DESIGN "SSO linking"): the
   * only way an account with a password or the admin role signs in with single sign-on.
   */
  function linkStaffSso(id: string, input: unknown, by: ChangedBy): StaffView {
    const { sub } = parseInput(ssoLinkSchema, input);
    const issuer = deps.oidcIssuer;
    if (!issuer) throw new BadRequest('oidc_not_configured', 'Single sign-on is not configured (OIDC_ISSUER); there is nothing to link to.');
    const found = requireStaff(id);
    const oidcSubject = oidcSubjectOf(issuer, sub);
    return writeTransaction(db, () => {
      const holder = staffStore.getByOidcSubject(oidcSubject);
      if (holder && holder.id !== found.id) throw new Conflict('sso_subject_taken', `That single sign-on subject is already linked to ${holder.email}.`);
      let staff = staffStore.get(found.id)!;
      if (staff.oidcSubject !== oidcSubject) {
        const relinked = staff.oidcSubject !== null;
        staff = change(staff, { oidcSubject }, clock.now());
        recordChange('staff.sso_linked', staff, by, { issuer, sub, relinked });
      }
      return staffView(staff);
    });
  }

  const linkStaffSsoByEmail = (email: string, sub: string, by: ChangedBy) => linkStaffSso(findStaffByEmail(email).id, { sub }, by);

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
    listStaff: () => staffStore.list().map(staffView),
  };
}

export type Staff = ReturnType<typeof createStaff>;
