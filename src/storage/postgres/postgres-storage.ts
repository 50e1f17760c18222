import pg from 'pg';
import { StorageUnavailable, type StorageFaultKind } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { createGroupCommit } from '../group-commit.js';
import type { Storage, Stores } from '../storage.js';
import { ChainBusy } from './advisory-locks.js';
import { createAppendTurns, createChainAccess, createPgAuditStore, type ChainAccess } from './audit-store.js';
import { createPgTransactionClient, type PgClient, type PgTransactionClient } from './client.js';
import { createPgAttachmentStore } from './attachments-store.js';
import { createPgCredentialStore } from './credentials-store.js';
import { createPgIntakeLinkStore } from './intake-links-store.js';
import { createPgLoginThrottleStore } from './login-throttles-store.js';
import { migratePostgres, type MigrationResult } from './migrations.js';
import { createPgNoticeOutboxStore } from './notice-outbox-store.js';
import { createPgOutgoingWebhookStore } from './outgoing-webhooks-store.js';
import { createPgPortalMailStore } from './portal-mails-store.js';
import { createPgPortalStore } from './portal-store.js';
import { createPgReceiptStore } from './receipts-store.js';
import { createPgRevealApprovalStore } from './reveal-approvals-store.js';
import { createPgSecondFactorStore, createPgVaultSettingStore } from './second-factors-store.js';
import { createPgStaffSessionStore } from './staff-sessions-store.js';
import { createPgStaffStore } from './staff-store.js';
import { createPgTicketStore } from './tickets-store.js';
import { createPgVaultKeyStore } from './vault-keys-store.js';
import { createPgWebhookEventStore } from './webhook-events-store.js';

/** Runs of a transaction's `fn` at most: the first and up to three retries. */
export const MAX_ATTEMPTS = 4;
/** How long readiness waits for `SELECT 1`. */
export const PING_TIMEOUT_MS = 2000;
/** Grouped transactions of one instance under way at once: one holding the audit chain, one queued for it. */
export const GROUPS_IN_FLIGHT = 2;

export interface PostgresStorage extends Storage {
  readonly backend: 'postgres';
  readonly pool: pg.Pool;
  /** What this start applied (one instance at a time applies them). */
  readonly migrations: MigrationResult;
}

/** The stores bound to one connection; `chain`: inside a write transaction (the audit store then appends under the chain's lock). */
export function createPgStores(client: PgClient, chain?: ChainAccess) {
  return {
    tickets: createPgTicketStore(client),
    intakeLinks: createPgIntakeLinkStore(client),
    receipts: createPgReceiptStore(client),
    credentials: createPgCredentialStore(client),
    attachments: createPgAttachmentStore(client),
    staff: createPgStaffStore(client),
    staffSessions: createPgStaffSessionStore(client),
    loginThrottles: createPgLoginThrottleStore(client),
    secondFactors: createPgSecondFactorStore(client),
    vaultSettings: createPgVaultSettingStore(client),
    audit: createPgAuditStore(client, chain),
    noticeOutbox: createPgNoticeOutboxStore(client),
    webhookEvents: createPgWebhookEventStore(client),
    outgoingWebhooks: createPgOutgoingWebhookStore(client),
    vaultKeys: createPgVaultKeyStore(client),
    portal: createPgPortalStore(client),
    portalMails: createPgPortalMailStore(client),
    revealApprovals: createPgRevealApprovalStore(client),
  };
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Which storage fault an error from pg is, if any: the server unreachable or shutting down
 * (08*, 57P*, a socket error), out of disk (53100) or other resources (53*, 58*), read-only (25006),
 * too many connections (53300) or a statement timeout (57014). Anything else is the caller's.
 */
export function pgFaultOf(error: unknown): StorageFaultKind | undefined {
  // Not `instanceof Error`: a socket error may come from another realm (a test runner's VM context).
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || code.startsWith('08') || code.startsWith('57P')) return 'cannot_open';
    if (code === '53100') return 'full';
    if (code === '25006') return 'read_only';
    if (code === '53300' || code === '57014' || code === '55P03') return 'locked';
    if (code.startsWith('53') || code.startsWith('58')) return 'io_error';
    return undefined;
  }
  // pg's own connection errors carry no code.
  if (typeof message === 'string' && /^Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/i.test(message)) return 'cannot_open';
  return undefined;
}

/**
 * Worth running the whole transaction again: a serialization failure or deadlock (40001, 40P01),
 * or a unique violation (23505), which is two instances racing a check-then-insert (a webhook
 * event id, a ticket's external ref): run again, the check sees the other's row.
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const isRetryable = (error: unknown) => RETRYABLE.has((error as { code?: string } | null)?.code ?? '');

/** BIGINT (oid 20) as a JavaScript number: every BIGINT the vault stores is an epoch ms, a seq or a count. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The PostgreSQL backend (DESIGN "Storage backends and several instances"): a pool, migrations
 * applied at start by one instance at a time, `read` on a REPEATABLE READ READ ONLY snapshot,
 * `write` and `grouped` in READ COMMITTED transactions where row locks, SKIP LOCKED claims and the
 * audit chain's advisory lock serialize what must be across instances.
 */
export async function createPostgresStorage(options: { url: string; log?: Logger; max?: number }): Promise<PostgresStorage> {
  const { log } = options;
  // Pipelined connections: a statement sent without waiting for the one before (BEGIN, the chain's
  // lock, an audit insert) travels with the next one, in one round trip.
  const pool = new pg.Pool({ connectionString: options.url, types, max: options.max ?? 10, connectionTimeoutMillis: 5000, pipeline: true });
  // An idle connection the server dropped: the pool discards it; the next query meets the fault.
  pool.on('error', (error) => log?.warn({ code: (error as { code?: string }).code }, 'postgres: idle connection lost'));

  const unavailable = (error: unknown) => {
    const fault = pgFaultOf(error);
    return fault ? new StorageUnavailable(fault, { cause: error }) : undefined;
  };

  let migrations: MigrationResult;
  try {
    const result = await migratePostgres(pool);
    migrations = result;
    if (result.applied.length) log?.info({ applied: result.applied, version: result.current }, 'postgres: migrations applied');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw unavailable(error) ?? error;
  }

  /**
   * One transaction around `work`, run again whole on a serialization failure or deadlock. A read is
   * REPEATABLE READ READ ONLY. A write takes the audit chain's lock at its first append (waiting
   * only if it cannot hold a row lock yet); a grouped write, and a write that found the chain taken
   * while it may have held row locks (ChainBusy), take it with BEGIN, before any row lock. So no
   * transaction ever waits for the chain while holding a row lock (docs/decisions/020).
   */
  async function transaction<T>(kind: 'read' | 'write' | 'grouped', work: (client: PgTransactionClient, chain?: ChainAccess) => Promise<T>): Promise<T> {
    let chainFirst = kind === 'grouped';
    for (let attempt = 1; ; ) {
      let connection: pg.PoolClient;
      try {
        connection = await pool.connect();
      } catch (error) {
        throw unavailable(error) ?? error;
      }
      let broken = false;
      // A connection lost while checked out emits 'error' besides failing its query: unheard, it would crash the process.
      const lost = () => {
        broken = true;
      };
      connection.on('error', lost);
      const release = () => {
        connection.off('error', lost);
        connection.release(broken);
      };
      let released = false;
      const tx = createPgTransactionClient(connection);
      try {
        // BEGIN (and the chain's lock and head) go out with the first statement of `work`.
        tx.begin(kind === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const value = await work(tx.client, kind === 'read' ? undefined : createChainAccess(tx.client, chainFirst));
        if (kind === 'read') {
          // Nothing to wait for: the answer is the snapshot's. The connection goes back once COMMIT is through.
          released = true;
          connection.query('COMMIT').then(release, () => {
            broken = true;
            release();
          });
          return value;
        }
        await tx.commit();
        return value;
      } catch (thrown) {
        const error = await tx.causeOf(thrown);
        try {
          await connection.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (error instanceof ChainBusy && !chainFirst) {
          log?.debug('postgres: the audit chain was taken while rows may have been locked; run again with the chain first');
          chainFirst = true;
          continue;
        }
        const fault = unavailable(error);
        if (fault) {
          broken = true;
          throw fault;
        }
        if (!isRetryable(error)) throw error;
        // Still contended after every retry (a deadlock or serialization failure each time): the
        // storage is busy, a 503 with Retry-After like a SQLite lock, never a 500.
        if (attempt >= MAX_ATTEMPTS) {
          const code = (error as { code?: string }).code;
          throw code === '23505' ? error : new StorageUnavailable('locked', { cause: error });
        }
        log?.debug({ code: (error as { code?: string }).code, attempt }, 'postgres: transaction run again');
        attempt++;
      } finally {
        if (!released) release();
      }
    }
  }

  /**
   * A group's units at once in one transaction: their statements pipeline on the connection (every
   * unit's first read in one round trip, every audit row and notice in another) and their appends
   * take turns on the chain, so the chain is held a few round trips per group, not a few per unit.
   * Every unit settles before the transaction ends; a unit's failure (not the 25P02 the others then
   * meet) fails the group, which group-commit then runs unit by unit.
   */
  async function runTogether(client: PgTransactionClient, chain: ChainAccess, fns: ReadonlyArray<(stores: Stores) => Promise<unknown>>) {
    const turns = createAppendTurns(chain);
    const settled = await Promise.allSettled(
      fns.map(async (fn) => {
        const unit = turns.unit();
        const own: PgClient = {
          query: (text, values) => {
            unit.release();
            return client.query(text, values);
          },
        };
        try {
          return await fn(createPgStores(own, unit.chain));
        } finally {
          unit.release();
        }
      }),
    );
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length) throw failures.find((e) => (e as { code?: string } | null)?.code !== '25P02') ?? failures[0];
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  }

  const vacuumSecrets = async () => {
    try {
      await pool.query('VACUUM credential_secrets, credential_files, staged_files');
    } catch (error) {
      log?.warn({ code: (error as { code?: string }).code }, 'postgres: VACUUM credential_secrets after a purge failed');
    }
  };

  return {
    backend: 'postgres',
    pool,
    migrations,
    read: (fn) => transaction('read', (client) => fn(createPgStores(client))),
    write: (fn) => transaction('write', (client, chain) => fn(createPgStores(client, chain))),
    // Reveals and submissions arriving together share one transaction: one WAL flush, one hold of
    // the chain's lock, taken with BEGIN before the units lock any row (a link's use).
    grouped: createGroupCommit((fn) => transaction('grouped', (client, chain) => fn(createPgStores(client, chain))), {
      maxInFlight: GROUPS_IN_FLIGHT,
      runUnits: (fns) => transaction('grouped', (client, chain) => runTogether(client, chain!, fns)),
    }),
    afterDestroy: vacuumSecrets,
    afterPurgePass: async (destroyed) => {
      if (destroyed > 0) await vacuumSecrets();
    },
    ping: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          pool.query('SELECT 1').then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS))),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => pool.end(),
  };
}
