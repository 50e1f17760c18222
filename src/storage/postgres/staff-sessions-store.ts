import type { StaffSessionStore } from '../../staff-auth/staff-sessions-store.js';
import { staffSessionOf, type StaffSessionRow } from '../rows.js';
import { bytes, changedRows, oneRow, type PgClient } from './client.js';

export function createPgStaffSessionStore(client: PgClient): StaffSessionStore {
  return {
    insert: async (s) => {
      await client.query(
        `INSERT INTO staff_sessions (id, token_hash, staff_id, method, created_at, authenticated_at, last_seen_at, expires_at, ended_at, ended_because, enrolment_due)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [s.id, bytes(s.tokenHash), s.staffId, s.method, s.createdAt, s.authenticatedAt, s.lastSeenAt, s.expiresAt, s.endedAt, s.endedBecause, s.enrolmentDue ? 1 : 0],
      );
    },
    getByTokenHash: async (hash) => {
      const r = await oneRow<StaffSessionRow>(client, 'SELECT * FROM staff_sessions WHERE token_hash = $1', [bytes(hash)]);
      return r && staffSessionOf(r);
    },
    renew: async (id, lastSeenAt, expiresAt) =>
      (await changedRows(client, 'UPDATE staff_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1 AND ended_at IS NULL', [id, lastSeenAt, expiresAt])) === 1,
    end: async (id, because, at) =>
      (await changedRows(client, 'UPDATE staff_sessions SET ended_at = $3, ended_because = $2 WHERE id = $1 AND ended_at IS NULL', [id, because, at])) === 1,
    reauthenticate: async (id, at) =>
      (await changedRows(client, 'UPDATE staff_sessions SET authenticated_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, at])) === 1,
    clearEnrolmentDue: async (staffId) => {
      await client.query('UPDATE staff_sessions SET enrolment_due = 0 WHERE staff_id = $1 AND enrolment_due = 1', [staffId]);
    },
    endAllForStaff: async (staffId, because, at) =>
      changedRows(client, 'UPDATE staff_sessions SET ended_at = $3, ended_because = $2 WHERE staff_id = $1 AND ended_at IS NULL', [staffId, because, at]),
    deleteStale: async (before) => changedRows(client, 'DELETE FROM staff_sessions WHERE expires_at < $1 OR ended_at < $1', [before]),
  };
}
