import type { StaffSessionRecord, StaffSessionStore } from '../../staff-auth/staff-sessions-store.js';
import { bytes, changedRows, oneRow, type PgClient, type PgStore } from './client.js';

interface Raw {
  id: string;
  token_hash: Buffer;
  staff_id: string;
  method: StaffSessionRecord['method'];
  created_at: number;
  authenticated_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  ended_because: StaffSessionRecord['endedBecause'];
}

const fromRaw = (r: Raw): StaffSessionRecord => ({
  id: r.id,
  tokenHash: r.token_hash,
  staffId: r.staff_id,
  method: r.method,
  createdAt: r.created_at,
  authenticatedAt: r.authenticated_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endedBecause: r.ended_because,
});

export function createPgStaffSessionStore(client: PgClient): PgStore<StaffSessionStore> {
  return {
    insert: async (s) => {
      await client.query(
        `INSERT INTO staff_sessions (id, token_hash, staff_id, method, created_at, authenticated_at, last_seen_at, expires_at, ended_at, ended_because)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [s.id, bytes(s.tokenHash), s.staffId, s.method, s.createdAt, s.authenticatedAt, s.lastSeenAt, s.expiresAt, s.endedAt, s.endedBecause],
      );
    },
    getByTokenHash: async (hash) => {
      const r = await oneRow<Raw>(client, 'SELECT * FROM staff_sessions WHERE token_hash = $1', [bytes(hash)]);
      return r && fromRaw(r);
    },
    renew: async (id, lastSeenAt, expiresAt) =>
      (await changedRows(client, 'UPDATE staff_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1 AND ended_at IS NULL', [id, lastSeenAt, expiresAt])) === 1,
    end: async (id, because, at) =>
      (await changedRows(client, 'UPDATE staff_sessions SET ended_at = $3, ended_because = $2 WHERE id = $1 AND ended_at IS NULL', [id, because, at])) === 1,
    endAllForStaff: async (staffId, because, at) =>
      changedRows(client, 'UPDATE staff_sessions SET ended_at = $3, ended_because = $2 WHERE staff_id = $1 AND ended_at IS NULL', [staffId, because, at]),
    deleteStale: async (before) => changedRows(client, 'DELETE FROM staff_sessions WHERE expires_at < $1 OR ended_at < $1', [before]),
  };
}
