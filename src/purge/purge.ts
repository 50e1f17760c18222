import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SYSTEM_ACTOR, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { endCredential, isLive } from '../credentials/credential-lifecycle.js';
import type { CredentialStore, EndReason } from '../credentials/credentials-store.js';
import type { Logger } from '../logger.js';
import type { NoticeQueue } from '../notices/notice-outbox-store.js';
import type { Database } from '../storage/database.js';
import { checkpointWalAfterPass, writeTransaction } from '../storage/database.js';

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
 * batches, then truncate the WAL so no destroyed byte stays on disk.
 */
export function createPurge(deps: PurgeDeps) {
  const { db, credentialStore, audit, clock, log, notices } = deps;
  const batchSize = deps.batchSize ?? 100;

  /** One batch of destruction: ended credentials lose ciphertext and data key. Inside a write transaction. */
  function purgeBatch(now: number): number {
    const purged = credentialStore.purgeEnded(now, batchSize);
    audit.recordMany(purged.map((c) => ({ action: 'credential.purged', actor: SYSTEM_ACTOR, ticketId: c.ticketId, credentialId: c.id, detail: c.endedBecause }) as const));
    for (const c of purged) notices?.queueDestructionNotice({ ticketId: c.ticketId, credentialId: c.id, receiptId: c.receiptId, at: now });
    return purged.length;
  }

  /** Expiry and destruction of due credentials in one step: both events audited, one write of each row. */
  function expireAndPurgeBatch(now: number): number {
    const done = credentialStore.expireAndPurgeDue(now, batchSize);
    audit.recordMany(
      done.flatMap((c) => [
        { action: 'credential.expired', actor: SYSTEM_ACTOR, ticketId: c.ticketId, credentialId: c.id, detail: 'expired' } as const,
        { action: 'credential.purged', actor: SYSTEM_ACTOR, ticketId: c.ticketId, credentialId: c.id, detail: 'expired' } as const,
      ]),
    );
    for (const c of done) notices?.queueDestructionNotice({ ticketId: c.ticketId, credentialId: c.id, receiptId: c.receiptId, at: now });
    return done.length;
  }

  /** Runs `step` a transaction at a time until it does less than a full batch, yielding to reveals in between. */
  async function inBatches(step: (now: number) => { done: number; full: boolean }): Promise<number> {
    let total = 0;
    for (;;) {
      const { done, full } = writeTransaction(db, () => step(clock.now()));
      total += done;
      if (!full) return total;
      await yieldToEventLoop();
    }
  }

  let running: Promise<PurgeSummary> | null = null;

  /** One full pass. Overlapping calls in one process share the pass under way. */
  function runPurge(): Promise<PurgeSummary> {
    running ??= (async () => {
      const started = performance.now();
      try {
        // Due credentials are expired and destroyed in the same step; then whatever else ended
        // (closed tickets, revoked, withdrawn) is destroyed.
        let expired = 0;
        const purged = await inBatches((now) => {
          const e = expireAndPurgeBatch(now);
          const p = purgeBatch(now);
          expired += e;
          return { done: e + p, full: e === batchSize || p === batchSize };
        });
        // A verified truncation when anything may have been destroyed (by this pass or another
        // process), so destroyed pages a reader kept in the WAL leave it once that reader lets go.
        checkpointWalAfterPass(db, expired + purged > 0);
        const summary = { expired, purged, durationMs: Math.round(performance.now() - started) };
        if (expired || purged) log.info(summary, 'purge pass');
        return summary;
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return { runPurge };
}

export type Purge = ReturnType<typeof createPurge>;

/**
 * A restore's catch-up: credentials that had ended in the database being replaced, and are live
 * in the restored copy, end again for the same reason (audited as the system's act), so the purge
 * pass that follows destroys them. Returns how many ended.
 */
export function endCredentialsAgain(
  deps: { db: Database; credentialStore: CredentialStore; audit: Audit; clock: Clock },
  ended: ReadonlyArray<{ id: string; endedBecause: EndReason | null }>,
): number {
  const { credentialStore, audit } = deps;
  const now = deps.clock.now();
  return writeTransaction(deps.db, () => {
    let count = 0;
    for (const { id, endedBecause } of ended) {
      const credential = credentialStore.get(id);
      if (credential && isLive(credential.status) && endCredential({ credentialStore, audit }, credential, endedBecause ?? 'expired', now, SYSTEM_ACTOR)) count++;
    }
    return count;
  });
}
