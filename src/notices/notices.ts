import type { Clock } from '../clock.js';
import { KeyringError, type Keyring } from '../crypto/keyring.js';
import type { Language } from '../languages/languages.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { receiptTokenContext } from '../receipts/receipt-tokens.js';
import type { Storage, Stores } from '../storage/storage.js';
import { PermanentMailError, type MailTransport } from './mail-transports.js';
import { destructionNoticeMail, revealNoticeMail, submissionNoticeMail, type NoticeMail } from './notice-messages.js';
import type { PendingNotice } from './notice-outbox-store.js';
import { onePassAtATime } from '../passes.js';

export interface NoticeDeps {
  storage: Storage;
  keyring: Keyring;
  transport: MailTransport;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  publicUrl: string;
  vendorName: string;
  /** The customer's e-mails are in the language kept with their receipt, or this one. */
  defaultLanguage: Language;
  /** Outbox rows per pass. */
  batchSize?: number;
}

export interface NoticePass {
  sent: number;
  retried: number;
  failed: number;
  notSent: number;
}

// The outbox's timing, shared with the portal's mails (src/portal/portal-mails.ts).
/** While a pass sends a claimed row, no other pass (or process) picks it up; a crash frees it after this. */
export const LEASE_MS = 5 * 60_000;
export const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 60 * 60_000;
/** About a day of retries (30 s doubling to hourly) before a notice is given up. */
export const MAX_ATTEMPTS = 30;
export const KEEP_DELIVERED_MS = 24 * 3600_000;
export const KEEP_FAILED_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 60_000;

export const retryDelay = (attempt: number) => Math.min(RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 1), RETRY_MAX_MS);

const clip = (message: string) => message.replace(/\s+/g, ' ').slice(0, 300);

/** Destruction notices of one receipt travel together: one destruction receipt per submission. */
function groupNotices(rows: PendingNotice[]): PendingNotice[][] {
  const groups = new Map<string, PendingNotice[]>();
  for (const row of rows) {
    const key = row.kind === 'destruction' ? `destruction:${row.receipt.id}` : `${row.kind}:${row.id}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()];
}

/**
 * The outbox sender: claims due rows, builds each e-mail from metadata, hands it to the
 * transport, and records the outcome. At-least-once: a crash between sending and recording
 * re-sends after the lease, with the same Message-ID.
 */
export function createNotices(deps: NoticeDeps) {
  const { storage, keyring, transport, clock, log, metrics } = deps;
  const batchSize = deps.batchSize ?? 50;
  let lastPrune = -Infinity;

  function receiptUrlOf(n: PendingNotice): string | null {
    try {
      const token = keyring.unwrap(n.receipt.tokenKekId, n.receipt.tokenWrapped, receiptTokenContext(n.receipt.id));
      return `${deps.publicUrl}/r/${Buffer.from(token).toString('utf8')}`;
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      log.warn({ notice: n.id, receiptId: n.receipt.id }, 'notice sent without its receipt link: the token does not unwrap under the configured master keys');
      return null;
    }
  }

  /** The e-mail for a group of rows, or null when nobody can be told (an engineer since disabled, a link made by a helpdesk). */
  function composeMail(group: PendingNotice[]): NoticeMail | null {
    const first = group[0]!;
    const withLink = first.kind !== 'submission' && transport.carriesReceiptLinks;
    const ctx = {
      vendorName: deps.vendorName,
      publicUrl: deps.publicUrl,
      receiptUrl: withLink ? receiptUrlOf(first) : null,
      language: first.receipt.language ?? deps.defaultLanguage,
    };
    if (first.kind === 'reveal') return revealNoticeMail(first, ctx);
    if (first.kind === 'destruction') return destructionNoticeMail(group, ctx);
    return first.engineer ? submissionNoticeMail(first, first.engineer, ctx) : null;
  }

  const record = <T>(fn: (outbox: Stores['noticeOutbox']) => Promise<T>) => storage.write((s) => fn(s.noticeOutbox));

  async function sendGroup(group: PendingNotice[], pass: NoticePass, stopping: AbortSignal): Promise<'ok' | 'transport_down' | 'stopped'> {
    const ids = group.map((n) => n.id);
    const kind = group[0]!.kind;
    const attempt = Math.max(...group.map((n) => n.attempts)) + 1;
    const mail = composeMail(group);
    const now = () => clock.now();
    if (!mail) {
      await record((outbox) => outbox.markFailed(ids, now(), 'no recipient'));
      log.info({ notices: ids, kind }, 'notice dropped: nobody to send it to');
      return 'ok';
    }
    if (stopping.aborted) return 'stopped';
    try {
      await transport.send(mail, stopping);
    } catch (error) {
      // Cut short by the vault's stop: not an attempt that failed.
      if (stopping.aborted) return 'stopped';
      const message = clip(error instanceof Error ? error.message : String(error));
      if (error instanceof PermanentMailError || attempt >= MAX_ATTEMPTS) {
        await record((outbox) => outbox.markFailed(ids, now(), message));
        metrics.noticesSent.inc({ kind, result: 'failed' });
        log.error({ notices: ids, kind, attempt, error: message }, 'notice given up');
        pass.failed++;
        return 'ok';
      }
      await record((outbox) => outbox.scheduleRetry(ids, now() + retryDelay(attempt), message));
      metrics.noticesSent.inc({ kind, result: 'retry' });
      log.warn({ notices: ids, kind, attempt, retryInMs: retryDelay(attempt), error: message }, 'notice not delivered; will retry');
      pass.retried++;
      // No SMTP reply at all means the server is unreachable: the rest of this pass would fail alike.
      return typeof (error as { responseCode?: unknown }).responseCode === 'number' ? 'ok' : 'transport_down';
    }
    await record((outbox) => outbox.markSent(ids, now()));
    metrics.noticesSent.inc({ kind, result: 'sent' });
    log.info({ notices: ids, kind, transport: transport.kind }, 'notice sent');
    pass.sent++;
    return 'ok';
  }

  /** Production without SMTP_URL: every due row is closed as not sent at once. */
  async function discardUnsendable(pass: NoticePass): Promise<void> {
    const counts = await record((outbox) => outbox.discardDue(clock.now(), 'not sent: SMTP_URL is not set'));
    for (const { kind, count } of counts) {
      metrics.noticesSent.inc({ kind, result: 'not_sent' }, count);
      pass.notSent += count;
    }
    if (pass.notSent) log.warn({ count: pass.notSent }, 'notices not sent: SMTP_URL is not set in production');
  }

  async function runPass(stopping: AbortSignal): Promise<NoticePass> {
    const pass: NoticePass = { sent: 0, retried: 0, failed: 0, notSent: 0 };
    if (stopping.aborted) return pass;
    if (transport.kind === 'none') {
      await discardUnsendable(pass);
      await prune();
      return pass;
    }
    // Claimed under a lease in one transaction: no other pass or instance sends these rows meanwhile.
    const claimed = await storage.write(async (s) => {
      const now = clock.now();
      const rows = await s.noticeOutbox.listDue(now, batchSize);
      await s.noticeOutbox.postpone(rows.map((r) => r.id), now + LEASE_MS);
      return rows;
    });
    const groups = groupNotices(claimed);
    for (let i = 0; i < groups.length; i++) {
      const outcome = await sendGroup(groups[i]!, pass, stopping);
      if (outcome === 'stopped') {
        // The vault is stopping: this group and the rest lose their lease, uncounted, so the next
        // pass (this vault restarted, or another instance) sends them at once, same Message-ID.
        const rest = groups.slice(i).flatMap((g) => g.map((n) => n.id));
        await record((outbox) => outbox.postpone(rest, clock.now()));
        log.info({ notices: rest.length }, 'notice sending cut short by shutdown; sent at the next pass');
        return pass;
      }
      if (outcome === 'transport_down') {
        const rest = groups.slice(i + 1).flatMap((g) => g.map((n) => n.id));
        // Tried again in 30 s, without counting an attempt against them: one connection attempt per pass while the server is down.
        if (rest.length) await record((outbox) => outbox.postpone(rest, clock.now() + RETRY_FIRST_MS));
        break;
      }
    }
    await prune();
    return pass;
  }

  async function prune(): Promise<void> {
    const now = clock.now();
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    const pruned = await record((outbox) => outbox.prune(now - KEEP_DELIVERED_MS, now - KEEP_FAILED_MS));
    if (pruned) log.debug({ pruned }, 'delivered notices pruned');
  }

  /**
   * One pass over the due outbox rows (overlapping calls share the pass under way); at shutdown,
   * stopSending cuts short the mail under way and waits for the pass to hand its rows back.
   */
  const { run: sendDueNotices, stop: stopSending } = onePassAtATime(runPass);

  return { sendDueNotices, stopSending, transport };
}

export type Notices = ReturnType<typeof createNotices>;
