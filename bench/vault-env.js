// What bench/run.js and the probes share: the environment of a benchmarked `ticketvault serve`
// and the reveal scenario's requests.
import crypto from 'node:crypto';
import path from 'node:path';

/** A production-mode vault on SQLite in `work`, listening on loopback at `port`. */
export function benchVaultEnv(work, port) {
  return {
    NODE_ENV: 'production',
    MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    DATABASE_PATH: path.join(work, 'vault.db'),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'info',
    PURGE_INTERVAL_SECONDS: '1',
    CREDENTIAL_MAX_AGE_SECONDS: String(90 * 86400),
    VENDOR_NAME: 'Bench Software',
    METRICS_TOKEN: crypto.randomBytes(32).toString('hex'),
    // The load comes from one address, far over any per-address budget.
    CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
    // These scenarios are SQLite's, whatever the caller's environment says.
    DATABASE_URL: '',
  };
}

const reason = { reason: 'Customer asked us to fix the nightly upload (ZD-1042)' };

/** Reveals of the seeded live credentials (bench/seed.js fixtures), the engineers' tokens taken in turn. */
export function revealPoolFor(fx) {
  return fx.liveCredentials.map((id, i) => ({
    method: 'POST',
    path: `/api/v1/credentials/${id}/reveal`,
    headers: { authorization: `Bearer ${fx.tokens[i % fx.tokens.length]}` },
    body: reason,
  }));
}
