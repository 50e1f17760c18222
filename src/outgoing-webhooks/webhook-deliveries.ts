import type { Clock } from '../clock.js';
import { KeyringError, type Keyring } from '../crypto/keyring.js';
import { signWebhook } from '../crypto/webhook-signing.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Storage, Stores } from '../storage/storage.js';
import { webhookBody } from './outgoing-webhook-events.js';
import { webhookSecretContext } from './outgoing-webhooks.js';
import type { DueDelivery } from './outgoing-webhooks-store.js';
import { onePassAtATime } from '../passes.js';

export interface WebhookSenderDeps {
  storage: Storage;
  keyring: Keyring;
  clock: Clock;
  log: Logger;
  metrics?: Pick<Metrics, 'outgoingWebhooks'>;
  /** Deliveries claimed per pass. */
  batchSize?: number;
  /** Each attempt's whole time (connect, send, answer's head). */
  timeoutMs?: number;
}

export interface WebhookPass {
  delivered: number;
  retried: number;
  failed: number;
}

/** While a pass sends a claimed row, no other pass (or instance) picks it up; a crash frees it after this. */
const LEASE_MS = 60_000;
/** After the first attempt fails (Standard Webhooks' suggested schedule); the last step repeats. */
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000];
/** Each event is tried until a 2xx or this long after it happened. */
export const DELIVERY_WINDOW_MS = 24 * 3600_000;
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000;
const KEEP_FAILED_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 60_000;

/** When to try again after `attempt` failed attempts; null once the window has closed. */
export function nextAttemptAt(createdAt: number, attempt: number, now: number): number | null {
  const end = createdAt + DELIVERY_WINDOW_MS;
  if (now >= end) return null;
  const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]!;
  return Math.min(now + delay, end);
}

const clip = (message: string) => message.replace(/\s+/g, ' ').slice(0, 200);

/** A network failure in words, never a body: fetch's cause names the socket error (ECONNRESET, timeout). */
function errorText(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return clip(cause.code);
  return clip(error instanceof Error ? error.message : String(error));
}

/**
 * The outbox sender: claims due deliveries under a lease, POSTs each signed per Standard
 * Webhooks, and records the outcome (status and error text, never a body). At-least-once: a crash
 * between the answer and the record sends again after the lease, with the same webhook-id.
 */
export function createWebhookSender(deps: WebhookSenderDeps) {
  const { storage, keyring, clock, log } = deps;
  const batchSize = deps.batchSize ?? 20;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  let lastPrune = -Infinity;

  const record = <T>(fn: (store: Stores['outgoingWebhooks']) => Promise<T>) => storage.write((s) => fn(s.outgoingWebhooks));

  /** One attempt: the status, or the error that kept an answer from coming; null when the vault stopped first. */
  async function post(d: DueDelivery, stopping: AbortSignal): Promise<{ status: number | null; error: string | null } | null> {
    let secret: Uint8Array;
    try {
      secret = keyring.unwrap(d.kekId, d.secretWrapped, webhookSecretContext(d.endpointId));
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      return { status: null, error: 'secret does not unwrap under the configured master keys' };
    }
    const body = webhookBody(d.payload, d.externalRef);
    const timestamp = Math.floor(clock.now() / 1000);
    const signature = signWebhook(secret, d.eventId, timestamp, body);
    secret.fill(0);
    try {
      const response = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ticketvault-webhooks',
          'webhook-id': d.eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        // A redirect is an answer like any other non-2xx: the signed body never goes elsewhere.
        redirect: 'manual',
        signal: AbortSignal.any([stopping, AbortSignal.timeout(timeoutMs)]),
      });
      // The body is never read or kept: only the status tells.
      await response.body?.cancel().catch(() => {});
      return response.status >= 200 && response.status < 300 ? { status: response.status, error: null } : { status: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      if (stopping.aborted) return null;
      return { status: null, error: errorText(error) };
    }
  }

  async function deliver(d: DueDelivery, pass: WebhookPass, stopping: AbortSignal): Promise<void> {
    const outcome = await post(d, stopping);
    const at = clock.now();
    const attempt = d.attempts + 1;
    if (outcome === null) {
      // Not an attempt that failed: the lease is lifted so the next pass (any instance) sends it again, same webhook-id.
      await record((store) => store.postpone([d.id], at));
      log.info({ delivery: d.id, webhookId: d.eventId, endpoint: d.endpointId, type: d.type, attempt }, 'webhook attempt cut short by shutdown; sent again at the next pass');
      return;
    }
    const logged = { delivery: d.id, webhookId: d.eventId, endpoint: d.endpointId, type: d.type, attempt, status: outcome.status };
    if (outcome.error === null) {
      await record((store) => store.markDelivered(d.id, { at, status: outcome.status, error: null }));
      deps.metrics?.outgoingWebhooks.inc({ result: 'delivered' });
      log.info(logged, 'webhook delivered');
      pass.delivered++;
      return;
    }
    const next = nextAttemptAt(d.createdAt, attempt, at);
    if (next === null) {
      await record((store) => store.markFailed(d.id, { at, ...outcome }));
      deps.metrics?.outgoingWebhooks.inc({ result: 'failed' });
      log.error({ ...logged, error: outcome.error }, 'webhook given up after 24 hours');
      pass.failed++;
      return;
    }
    await record((store) => store.scheduleRetry(d.id, next, { at, ...outcome }));
    deps.metrics?.outgoingWebhooks.inc({ result: 'retry' });
    log.warn({ ...logged, error: outcome.error, retryInMs: next - at }, 'webhook not delivered; will retry');
    pass.retried++;
  }

  async function runPass(stopping: AbortSignal): Promise<WebhookPass> {
    const pass: WebhookPass = { delivered: 0, retried: 0, failed: 0 };
    if (stopping.aborted) return pass;
    // Claimed under a lease in one transaction: no other pass or instance sends these rows meanwhile.
    const claimed = await storage.write(async (s) => {
      const now = clock.now();
      const rows = await s.outgoingWebhooks.listDue(now, batchSize);
      await s.outgoingWebhooks.postpone(rows.map((r) => r.id), now + LEASE_MS);
      return rows;
    });
    // Each row is the first pending event of its ticket for its endpoint: they may go out together.
    await Promise.all(claimed.map((d) => deliver(d, pass, stopping)));
    await prune();
    return pass;
  }

  async function prune(): Promise<void> {
    const now = clock.now();
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    const pruned = await record((store) => store.prune(now - KEEP_DELIVERED_MS, now - KEEP_FAILED_MS));
    if (pruned) log.debug({ pruned }, 'old webhook deliveries pruned');
  }

  /**
   * One pass over the due deliveries (overlapping calls share the pass under way); at shutdown,
   * stopSending cuts short the attempts under way (their rows go back to the outbox) and waits for
   * the pass to record that.
   */
  const { run: sendDueWebhooks, stop: stopSending } = onePassAtATime(runPass);

  return { sendDueWebhooks, stopSending };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
