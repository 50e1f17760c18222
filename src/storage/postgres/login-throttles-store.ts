import type { LoginThrottleStore } from '../../staff-auth/login-throttles-store.js';
import { oneRow, type PgClient } from './client.js';

export function createPgLoginThrottleStore(client: PgClient): LoginThrottleStore {
  return {
    // One statement, so two attempts racing each other (on any instance) are both counted.
    hit: async (key, now, windowMs) => {
      const row = (await oneRow<{ attempts: number; window_started_at: number }>(
        client,
        `INSERT INTO login_throttles AS t (key, attempts, window_started_at) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
           attempts = CASE WHEN t.window_started_at <= $2 - $3 THEN 1 ELSE t.attempts + 1 END,
           window_started_at = CASE WHEN t.window_started_at <= $2 - $3 THEN $2 ELSE t.window_started_at END
         RETURNING attempts, window_started_at`,
        [key, now, windowMs],
      ))!;
      return { attempts: row.attempts, windowStartedAt: row.window_started_at };
    },
    release: async (key) => {
      await client.query('UPDATE login_throttles SET attempts = GREATEST(attempts - 1, 0) WHERE key = $1', [key]);
    },
    clear: async (key) => {
      await client.query('DELETE FROM login_throttles WHERE key = $1', [key]);
    },
    deleteStale: async (before) => {
      await client.query('DELETE FROM login_throttles WHERE window_started_at < $1', [before]);
    },
  };
}
