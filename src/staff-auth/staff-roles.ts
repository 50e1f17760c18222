/** A leaf of the staff-auth domain: the store interfaces import it, so it imports nothing. */
export type StaffRole = 'engineer' | 'admin' | 'auditor';
export const STAFF_ROLES: readonly StaffRole[] = ['engineer', 'admin', 'auditor'];
