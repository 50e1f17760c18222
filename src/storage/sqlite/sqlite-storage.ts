import { createGroupCommit } from '../group-commit.js';
import type { Storage, Stores, Sync } from '../storage.js';
import { createAuditStore } from './audit-store.js';
import { createAttachmentStore } from './attachments-store.js';
import { createCredentialStore } from './credentials-store.js';
import { databaseAnswers, type Database } from './database.js';
import { createIntakeLinkStore } from './intake-links-store.js';
import { createLoginThrottleStore } from './login-throttles-store.js';
import { createNoticeOutboxStore } from './notice-outbox-store.js';
import { createOutgoingWebhookStore } from './outgoing-webhooks-store.js';
import { createPortalMailStore } from './portal-mails-store.js';
import { createPortalStore } from './portal-store.js';
import { createReceiptStore } from './receipts-store.js';
import { createRevealApprovalStore } from './reveal-approvals-store.js';
import { createSecondFactorStore, createVaultSettingStore } from './second-factors-store.js';
import { createStaffSessionStore } from './staff-sessions-store.js';
import { createStaffStore } from './staff-store.js';
import { noteStorageFault, noteStorageSuccess, storageFaultOf } from './storage-faults.js';
import { createTicketStore } from './tickets-store.js';
import { createVaultKeyStore } from './vault-keys-store.js';
import { checkpointWal, checkpointWalAfterPass, stopWalTruncation } from './wal-truncation.js';
import { createWebhookEventStore } from './webhook-events-store.js';

export interface SqliteStorage extends Storage {
  readonly backend: 'sqlite';
  /** The connection, for the SQLite-only commands composed beside the port (backup, restore, verify workers, metrics). */
  readonly db: Database;
}

/** The synchronous stores on one connection (the SQLite-only commands and the verify workers use them directly). */
export function createSqliteStores(db: Database): { [K in keyof Stores]: Sync<Stores[K]> } {
  return {
    tickets: createTicketStore(db),
    intakeLinks: createIntakeLinkStore(db),
    receipts: createReceiptStore(db),
    credentials: createCredentialStore(db),
    attachments: createAttachmentStore(db),
    staff: createStaffStore(db),
    staffSessions: createStaffSessionStore(db),
    loginThrottles: createLoginThrottleStore(db),
    secondFactors: createSecondFactorStore(db),
    vaultSettings: createVaultSettingStore(db),
    audit: createAuditStore(db),
    noticeOutbox: createNoticeOutboxStore(db),
    webhookEvents: createWebhookEventStore(db),
    outgoingWebhooks: createOutgoingWebhookStore(db),
    vaultKeys: createVaultKeyStore(db),
    portal: createPortalStore(db),
    portalMails: createPortalMailStore(db),
    revealApprovals: createRevealApprovalStore(db),
  };
}

const isIterator = (value: unknown): value is IterableIterator<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function' && Symbol.iterator in value;

async function* rowsOf<T>(iterator: IterableIterator<T>): AsyncGenerator<T> {
  yield* iterator;
}

/** A synchronous store behind the async interface: each call answers a settled promise, an iterator becomes an async one. */
function promised<T extends object>(store: Sync<T>): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function') continue;
    wrapped[name] = (...args: unknown[]) => {
      try {
        const result = (value as (...a: unknown[]) => unknown)(...args);
        return isIterator(result) ? rowsOf(result) : Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return wrapped as T;
}

interface Turn {
  busy: boolean;
  waiting: (() => void)[];
}

/**
 * One queue per database file in this process: every storage opened on the file (the server's,
 * a second vault a test or a restore opens) takes its turn. Two connections of one process must
 * not both be inside a transaction: while one waits on the other's lock (a synchronous busy wait
 * in better-sqlite3), the other could never run to release it.
 */
const turns = new Map<string, Turn>();

function turnFor(file: string) {
  let turn = turns.get(file);
  if (!turn) {
    turn = { busy: false, waiting: [] };
    turns.set(file, turn);
  }
  const current = turn;
  const acquire = (): Promise<void> | undefined => {
    if (!current.busy) {
      current.busy = true;
      return undefined;
    }
    return new Promise((resolve) => current.waiting.push(resolve));
  };
  const release = () => {
    const next = current.waiting.shift();
    if (next) next();
    else current.busy = false;
  };
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const wait = acquire();
    if (wait) await wait;
    try {
      return await fn();
    } finally {
      release();
    }
  };
  return { exclusive };
}

/**
 * The embedded backend: one connection, every transaction of this process in turn. SQLite
 * serializes writers anyway and better-sqlite3 answers synchronously, so a transaction whose work
 * awaits only these stores holds the connection for microseconds; the queue only keeps a
 * transaction that awaits something else from letting another one run inside it.
 */
export function createSqliteStorage(db: Database): SqliteStorage {
  const stores = Object.fromEntries(Object.entries(createSqliteStores(db)).map(([k, v]) => [k, promised(v as object)])) as unknown as Stores;

  const { exclusive } = turnFor(db.name);

  const faultOf = (error: unknown) => noteStorageFault(db, error) ?? error;

  /** BEGIN IMMEDIATE … COMMIT around `fn`; a throw rolls back; a storage fault becomes StorageUnavailable. */
  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw faultOf(error);
    }
    try {
      const value = await fn();
      db.exec('COMMIT');
      noteStorageSuccess(db);
      return value;
    } catch (error) {
      if (db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // the connection rolled back already (SQLITE_FULL and friends can end the transaction)
        }
      }
      throw faultOf(error);
    }
  }

  return {
    backend: 'sqlite',
    db,
    read: (fn) =>
      exclusive(async () => {
        try {
          return await fn(stores);
        } catch (error) {
          throw storageFaultOf(error) ?? error;
        }
      }),
    write: (fn) => exclusive(() => transaction(() => fn(stores))),
    grouped: createGroupCommit((fn) => exclusive(() => transaction(() => fn(stores)))),
    afterDestroy: async () => {
      checkpointWal(db);
    },
    afterPurgePass: async (destroyed) => {
      checkpointWalAfterPass(db, destroyed > 0);
    },
    ping: async () => databaseAnswers(db),
    close: async () => {
      stopWalTruncation(db);
      if (db.open) db.close();
    },
  };
}
