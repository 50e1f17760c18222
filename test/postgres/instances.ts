import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { killAndWait, lines, runCli, startServe, type CliResult, type ServingProcess } from '../harness/cli.js';
import { POSTGRES_SERVER_URL } from '../harness/postgres.js';

// DESIGN "Storage backends and several instances": real `ticketvault serve` processes on one
// PostgreSQL database, as a load balancer would run them, plus the CLI pointed at the same database.

/** One instance behind the (imagined) load balancer. */
export interface Instance {
  name: string;
  url: string;
  server: ServingProcess;
}

const running = new Set<ServingProcess>();
// An interrupted run must not leave servers holding connections to a database afterAll drops.
process.once('exit', () => {
  for (const server of running) server.child.kill('SIGKILL');
});

/**
 * The environment every instance and every CLI command shares: one database, one master key, one
 * PUBLIC_URL. Each instance listens on its own free loopback port (PORT=0 in startServe).
 */
export function sharedEnv(databaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    MASTER_KEY: randomBytes(32).toString('base64'),
    PUBLIC_URL: 'http://vault.lb.test',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** Starts `count` instances at once (they race the start-up migrations too) and resolves once all listen. */
export async function startInstances(count: number, env: Record<string, string>, prefix = ''): Promise<Instance[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startServe(env)));
  for (const s of started) if (s.status === 'fulfilled') running.add(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopInstances(started.flatMap((s) => (s.status === 'fulfilled' ? [{ name: '', url: '', server: s.value }] : [])));
    throw failed.reason;
  }
  return started.map((s, i) => ({ name: `${prefix}${String.fromCharCode(65 + i)}`, url: (s as PromiseFulfilledResult<ServingProcess>).value.url, server: (s as PromiseFulfilledResult<ServingProcess>).value }));
}

/** SIGTERM (the graceful stop closes the pool), SIGKILL if an instance is still there after 10 s. */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async ({ server }) => {
      const escalate = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await killAndWait(server.child, 'SIGTERM');
      clearTimeout(escalate);
      running.delete(server);
    }),
  );
}

/** A CLI command against the shared database; throws with its stderr when it fails. */
export async function cli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  const result = await runCli(args, env, { timeoutMs: 60_000 });
  if (result.code !== 0 && args[0] !== 'audit') throw new Error(`ticketvault ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

/** Adds a staff member with the CLI and returns a bearer token for them (the last line `staff token` prints). */
export async function addStaffWithToken(env: Record<string, string>, email: string, role: 'admin' | 'engineer' | 'auditor', name: string): Promise<string> {
  await cli(env, ['staff', 'add', email, '--role', role, '--name', name]);
  return lines((await cli(env, ['staff', 'token', email, '--ttl', '1h'])).stdout).at(-1)!;
}

/** Fails loudly, naming what to do, when the PostgreSQL the suite needs is not there: never a skip. */
export function unreachable(error: unknown): Error {
  return new Error(
    `PostgreSQL at ${POSTGRES_SERVER_URL} is not reachable (${(error as Error).message}); ` +
      'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`',
  );
}

/** A transaction holding `LOCK TABLE … IN EXCLUSIVE MODE`: plain reads go on, every writer and row locker waits. */
export interface HeldTable {
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Backends waiting for the table: each instance's purge and notice passes are one at a time, so 2 means both. */
  waiters(): Promise<number>;
  release(): Promise<void>;
}

/**
 * Holds `table` so that both instances' timer passes queue on it and start together on release:
 * the race the invariant is about happens every run, not only when two timers happen to coincide.
 */
export async function holdTable(databaseUrl: string, table: 'credentials' | 'notice_outbox'): Promise<HeldTable> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  let released = false;
  return {
    query: async (sql, params) => (await client.query(sql, params)).rows,
    waiters: async () =>
      (await client.query<{ n: number }>('SELECT count(DISTINCT pid)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted', [table])).rows[0]!.n,
    release: async () => {
      if (released) return;
      released = true;
      try {
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}
