import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { STAGED_UPLOAD_TTL_MS } from '../attachments/attachments.js';
import { SYSTEM_ACTOR, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { endCredential, isLive } from '../credentials/credential-lifecycle.js';
import type { EndReason } from '../credentials/credential-states.js';
import type { CredentialRef } from '../credentials/credentials-store.js';
import type { Logger } from '../logger.js';
import type { Storage, Stores } from '../storage/storage.js';

export interface PurgeDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  log: Logger;
  /** Whether destruction receipts are queued (in the purge's own transaction); a restore's catch-up sends none. */
  notify?: boolean;
  /** Credentials per statement: one step of expiry and destruction. */
  batchSize?: number;
  /**
   * How long one transaction may hold the write lock (on SQLite, the event loop), its commit
   * included: it takes another batch while the time so far and the recent commits' leave room.
   */
  transactionBudgetMs?: number;
}

/** About what a batch of 100 and its commit took when each batch had its own (docs/decisions/011, 021). */
const DEFAULT_TRANSACTION_BUDGET_MS = 8;

const destructionNotice = (c: CredentialRef, at: number) => ({ ticketId: c.ticketId, credentialId: c.id, receiptId: c.receiptId, at });

/** Outgoing webhooks tell this row as two events, `credential.expired` and `credential.purged`. */
const EXPIRED_TOO = { expiredToo: true };

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
  const { storage, audit, clock, log } = deps;
  const notify = deps.notify ?? true;
  const batchSize = deps.batchSize ?? 100;
  const transactionBudgetMs = deps.transactionBudgetMs ?? DEFAULT_TRANSACTION_BUDGET_MS;

  /** One batch of destruction: ended credentials lose ciphertext and data key. Inside a write transaction. */
  async function purgeBatch(s: Stores, now: number): Promise<number> {
    const purged = await s.credentials.purgeEnded(now, batchSize);
    await audit.recordMany(s, purged.map((c) => ({ action: 'credential.purged', actor: SYSTEM_ACTOR, ticketId: c.ticketId, credentialId: c.id, detail: c.endedBecause }) as const));
    if (notify) await s.noticeOutbox.queueDestructionNotices(purged.map((c) => destructionNotice(c, now)));
    return purged.length;
  }

  /**
   * Expiry and destruction of due credentials in one step: one write of each row, and one audit
   * row, `credential.purged` with the end reason `expired`, for both (docs/decisions/021).
   */
  async function expireAndPurgeBatch(s: Stores, now: number): Promise<number> {
    const done = await s.credentials.expireAndPurgeDue(now, batchSize);
    await audit.recordMany(s, done.map((c) => ({ action: 'credential.purged', actor: SYSTEM_ACTOR, ticketId: c.ticketId, credentialId: c.id, detail: 'expired', outgoing: EXPIRED_TOO }) as const));
    if (notify) await s.noticeOutbox.queueDestructionNotices(done.map((c) => destructionNotice(c, now)));
    return done.length;
  }

  /**
   * One transaction: batches of expiry and destruction until nothing is left or `workMs` is spent.
   * Counts are returned, not tallied here, as a backend may run the transaction again.
   */
  async function purgeWithin(s: Stores, workMs: number, first: boolean): Promise<{ expired: number; purged: number; staged: number; more: boolean; workEnded: number }> {
    const started = performance.now();
    // Uploads no submission claimed within their time (docs/decisions/026), in the pass's first transaction.
    const staged = first ? await s.attachments.destroyStagedBefore(clock.now() - STAGED_UPLOAD_TTL_MS) : 0;
    let expired = 0;
    let purged = 0;
    for (;;) {
      const now = clock.now();
      const e = await expireAndPurgeBatch(s, now);
      // While due credentials fill whole batches, the other ended ones wait for the batch that does not.
      const p = e === batchSize ? 0 : await purgeBatch(s, now);
      expired += e;
      purged += e + p;
      const more = e === batchSize || p === batchSize;
      const workEnded = performance.now();
      if (!more || workEnded - started >= workMs) return { expired, purged, staged, more, workEnded };
    }
  }

  let running: Promise<PurgeSummary> | null = null;

  /** One full pass. Overlapping calls in one process share the pass under way. */
  function runPurge(): Promise<PurgeSummary> {
    running ??= (async () => {
      const started = performance.now();
      try {
        // Due credentials are expired and destroyed in the same step; then whatever else ended
        // (closed tickets, revoked, withdrawn) is destroyed. Reveals run between transactions.
        let expired = 0;
        let purged = 0;
        // The commits' cost as the slowest recent one (halved each transaction): a disk that turns
        // slow shrinks the next transactions at once, and only a run of fast commits grows them.
        let commitMs = 0;
        let staged = 0;
        for (let first = true; ; first = false) {
          const done = await storage.write((s) => purgeWithin(s, transactionBudgetMs - commitMs, first));
          staged += done.staged;
          commitMs = Math.max(performance.now() - done.workEnded, commitMs / 2);
          expired += done.expired;
          purged += done.purged;
          if (!done.more) break;
          await yieldToEventLoop();
        }
        // A verified truncation when anything may have been destroyed (by this pass or another
        // process), so destroyed pages a reader kept in the WAL leave it once that reader lets go.
        await storage.afterPurgePass(expired + purged + staged);
        const summary = { expired, purged, durationMs: Math.round(performance.now() - started) };
        if (expired || purged || staged) log.info({ ...summary, staged }, 'purge pass');
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
  deps: { storage: Storage; audit: Audit; clock: Clock },
  ended: ReadonlyArray<{ id: string; endedBecause: EndReason | null }>,
): Promise<number> {
  const { audit } = deps;
  const now = deps.clock.now();
  return deps.storage.write(async (s) => {
    let count = 0;
    for (const { id, endedBecause } of ended) {
      const credential = await s.credentials.get(id);
      if (credential && isLive(credential.status) && (await endCredential({ stores: s, audit }, credential, endedBecause ?? 'expired', now, SYSTEM_ACTOR))) count++;
    }
    return count;
  });
}
