import type { Database } from './database.js';
import type { ThrottleWindow, LoginThrottleStore } from '../../staff-auth/login-throttles-store.js';
import type { Sync } from '../storage.js';

export function createLoginThrottleStore(db: Database): Sync<LoginThrottleStore> {
  // One statement, so two attempts racing each other are both counted.
  const hit = db.prepare<{ key: string; now: number; windowMs: number }, { attempts: number; window_started_at: number }>(
    `INSERT INTO login_throttles (key, attempts, window_started_at) VALUES (@key, 1, @now)
     ON CONFLICT (key) DO UPDATE SET
       attempts = CASE WHEN window_started_at <= @now - @windowMs THEN 1 ELSE attempts + 1 END,
       window_started_at = CASE WHEN window_started_at <= @now - @windowMs THEN @now ELSE window_started_at END
     RETURNING attempts, window_started_at`,
  );
  const release = db.prepare('UPDATE login_throttles SET attempts = MAX(attempts - 1, 0) WHERE key = ?');
  const clear = db.prepare('DELETE FROM login_throttles WHERE key = ?');
  const deleteStale = db.prepare('DELETE FROM login_throttles WHERE window_started_at < ?');
  return {
    hit: (key, now, windowMs) => {
      const row = hit.get({ key, now, windowMs })!;
      return { attempts: row.attempts, windowStartedAt: row.window_started_at };
    },
    release: (key) => {
      release.run(key);
    },
    clear: (key) => {
      clear.run(key);
    },
    deleteStale: (before) => {
      deleteStale.run(before);
    },
  };
}
