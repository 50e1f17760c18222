import type { StaffRole } from './staff-roles.js';

export interface StaffRecord {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  passwordHash: string | null;
  /** "<issuer> <sub>" of the OpenID Connect identity they sign in with, if linked. */
  oidcSubject: string | null;
  disabledAt: number | null;
  /** Bearer tokens issued at or before this instant (ms) are refused; 0 when never revoked. */
  tokensValidAfter: number;
  createdAt: number;
  updatedAt: number;
}

export type StaffChanges = Partial<Pick<StaffRecord, 'name' | 'role' | 'passwordHash' | 'oidcSubject' | 'disabledAt' | 'tokensValidAfter'>>;

export interface StaffStore {
  insert(staff: StaffRecord): Promise<void>;
  get(id: string): Promise<StaffRecord | undefined>;
  getByEmail(email: string): Promise<StaffRecord | undefined>;
  getByOidcSubject(subject: string): Promise<StaffRecord | undefined>;
  list(): Promise<StaffRecord[]>;
  /** Members who are admins and not disabled: the last one may not be demoted or disabled. */
  countActiveAdmins(): Promise<number>;
  update(id: string, changes: StaffChanges, at: number): Promise<void>;
}
