import type { Database } from './database.js';
import type { SessionMethod, SessionEndReason } from '../../staff-auth/staff-session-states.js';
import type { StaffSessionRecord, StaffSessionStore } from '../../staff-auth/staff-sessions-store.js';
import type { Sync } from '../storage.js';
import { staffSessionOf as fromRaw, type StaffSessionRow as Raw } from '../rows.js';

export function createStaffSessionStore(db: Database): Sync<StaffSessionStore> {
  const insert = db.prepare(
    `INSERT INTO staff_sessions (id, token_hash, staff_id, method, created_at, authenticated_at, last_seen_at, expires_at, ended_at, ended_because, enrolment_due)
     VALUES (@id, @tokenHash, @staffId, @method, @createdAt, @authenticatedAt, @lastSeenAt, @expiresAt, @endedAt, @endedBecause, @enrolmentDue)`,
  );
  const reauthenticate = db.prepare('UPDATE staff_sessions SET authenticated_at = ? WHERE id = ? AND ended_at IS NULL');
  const clearEnrolmentDue = db.prepare('UPDATE staff_sessions SET enrolment_due = 0 WHERE staff_id = ? AND enrolment_due = 1');
  const byTokenHash = db.prepare<[Buffer], Raw>('SELECT * FROM staff_sessions WHERE token_hash = ?');
  const renew = db.prepare('UPDATE staff_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND ended_at IS NULL');
  const end = db.prepare('UPDATE staff_sessions SET ended_at = ?, ended_because = ? WHERE id = ? AND ended_at IS NULL');
  const endAll = db.prepare('UPDATE staff_sessions SET ended_at = ?, ended_because = ? WHERE staff_id = ? AND ended_at IS NULL');
  const deleteStale = db.prepare('DELETE FROM staff_sessions WHERE expires_at < ? OR ended_at < ?');
  return {
    insert: (s) => {
      insert.run({ ...s, enrolmentDue: s.enrolmentDue ? 1 : 0 });
    },
    getByTokenHash: (hash) => {
      const r = byTokenHash.get(hash);
      return r && fromRaw(r);
    },
    renew: (id, lastSeenAt, expiresAt) => renew.run(lastSeenAt, expiresAt, id).changes === 1,
    end: (id, because, at) => end.run(at, because, id).changes === 1,
    reauthenticate: (id, at) => reauthenticate.run(at, id).changes === 1,
    clearEnrolmentDue: (staffId) => {
      clearEnrolmentDue.run(staffId);
    },
    endAllForStaff: (staffId, because, at) => endAll.run(at, because, staffId).changes,
    deleteStale: (before) => deleteStale.run(before, before).changes,
  };
}
