import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SYSTEM_ACTOR, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { endCredential, purgeCredential, type LifecycleDeps } from '../credentials/credential-lifecycle.js';
import type { CredentialStore } from '../credentials/credentials-store.js';
import type { Logger } from '../logger.js';
import type { NoticeQueue } from '../notices/notice-outbox-store.js';
import type { Database } from '../storage/database.js';
import { checkpointWal, writeTransaction } from '../storage/database.js';

export interface PurgeDeps {
  db: Database;
  credentialStore: CredentialStore;
  audit: Audit;
  clock: Clock;
  log: Logger;
  /** Destruction receipts are queued in the purge's own transaction. */
  notices?: NoticeQueue;
  /** Credentials per transaction: small enough that reveals waiting on the write lock are not held long. */
  batchSize?: number;
}

export interface PurgeSummary {
  expired: number;
  purged: number;
  durationMs: number;
}

/**
 * The purge job, shared by the in-process timer and `ticketvault purge`: expire what is due,
 * then destroy the ciphertext and wrapped data key of every ended credential, in bounded
 * batches, then checkpoint the WAL so no destroyed byte stays on disk.
 */
export function createPurge(deps: PurgeDeps) {
  const { db, credentialStore, audit, clock, log } = deps;
  const batchSize = deps.batchSize ?? 500;
  const lifecycle: LifecycleDeps = { credentialStore, audit, notices: deps.notices };

  /** Marks live credentials past their expiresAt as expired. Returns how many. */
  async function expireDueCredentials(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = writeTransaction(db, () => {
        const now = clock.now();
        let n = 0;
        for (const credential of credentialStore.listDue(now, batchSize)) {
          if (endCredential(lifecycle, credential, 'expired', now, SYSTEM_ACTOR)) n++;
        }
        return n;
      });
      total += count;
      if (count < batchSize) return total;
      await yieldToEventLoop();
    }
  }

  /** Destroys the secrets of expired, revoked and withdrawn credentials. Returns how many. */
  async function purgeExpiredCredentials(): Promise<number> {
    let total = 0;
    for (;;) {
      const { seen, purged } = writeTransaction(db, () => {
        const now = clock.now();
        const batch = credentialStore.listEndedUnpurged(batchSize);
        let n = 0;
        for (const credential of batch) if (purgeCredential(lifecycle, credential, now, SYSTEM_ACTOR)) n++;
        return { seen: batch.length, purged: n };
      });
      total += purged;
      if (seen < batchSize) break;
      await yieldToEventLoop();
    }
    if (total > 0) checkpointWal(db);
    return total;
  }

  let running: Promise<PurgeSummary> | null = null;

  /** One full pass. Overlapping calls in one process share the pass under way. */
  function runPurge(): Promise<PurgeSummary> {
    running ??= (async () => {
      const started = performance.now();
      try {
        const expired = await expireDueCredentials();
        const purged = await purgeExpiredCredentials();
        const summary = { expired, purged, durationMs: Math.round(performance.now() - started) };
        if (expired || purged) log.info(summary, 'purge pass');
        return summary;
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return { expireDueCredentials, purgeExpiredCredentials, runPurge };
}

export type Purge = ReturnType<typeof createPurge>;
