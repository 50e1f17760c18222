import type { PgClient } from './client.js';

/** The customer endpoints' window (src/http/customer-rate-limit.ts): one minute per client address. */
export const CUSTOMER_WINDOW_MS = 60_000;

/**
 * The per-address minute windows shared by every instance (migration 020), so a client spreading
 * its requests over N instances still gets one budget. Same rule as the in-memory windows: a
 * window starts at an address's first request and ends a minute later.
 */
export function createPgCustomerRateLimits(client: PgClient) {
  return {
    /** Counts one request; the seconds to wait when it is over `perMinute`, else null. One statement, so racing requests all count. */
    take: async (key: string, now: number, perMinute: number): Promise<number | null> => {
      const { rows } = await client.query<{ count: number; window_started_at: number }>(
        `INSERT INTO customer_rate_limits AS w (key, count, window_started_at) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN w.window_started_at <= $2 - $3 THEN 1 ELSE w.count + 1 END,
           window_started_at = CASE WHEN w.window_started_at <= $2 - $3 THEN $2 ELSE w.window_started_at END
         RETURNING count, window_started_at`,
        [key, now, CUSTOMER_WINDOW_MS],
      );
      const window = rows[0]!;
      if (window.count <= perMinute) return null;
      return Math.max(1, Math.ceil((window.window_started_at + CUSTOMER_WINDOW_MS - now) / 1000));
    },
    /** Drops windows that have ended (run now and then: an ended window decides nothing). */
    prune: async (now: number): Promise<number> =>
      (await client.query('DELETE FROM customer_rate_limits WHERE window_started_at <= $1', [now - CUSTOMER_WINDOW_MS])).rowCount ?? 0,
  };
}
