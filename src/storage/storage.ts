import type { AttachmentStore } from '../attachments/attachments-store.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { CredentialStore } from '../credentials/credentials-store.js';
import type { WebhookEventStore } from '../hooks/webhook-events-store.js';
import type { IntakeLinkStore } from '../intake-links/intake-links-store.js';
import type { VaultKeyStore } from '../keys/vault-keys-store.js';
import type { NoticeOutboxStore } from '../notices/notice-outbox-store.js';
import type { OutgoingWebhookStore } from '../outgoing-webhooks/outgoing-webhooks-store.js';
import type { PortalMailStore } from '../portal/portal-mails-store.js';
import type { PortalStore } from '../portal/portal-store.js';
import type { ReceiptStore } from '../receipts/receipts-store.js';
import type { RevealApprovalStore } from '../reveal/reveal-approvals-store.js';
import type { LoginThrottleStore } from '../staff-auth/login-throttles-store.js';
import type { SecondFactorStore, VaultSettingStore } from '../staff-auth/second-factors-store.js';
import type { StaffSessionStore } from '../staff-auth/staff-sessions-store.js';
import type { StaffStore } from '../staff-auth/staff-store.js';
import type { TicketStore } from '../tickets/tickets-store.js';

/** A store interface with every method answering a promise (idempotent on async interfaces). */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => [R] extends [Promise<unknown>] ? R : Promise<R> : T[K];
};

/** The per-noun stores, bound to one transaction (or, outside one, to the backend's reader). */
export interface Stores {
  tickets: TicketStore;
  intakeLinks: IntakeLinkStore;
  receipts: ReceiptStore;
  credentials: CredentialStore;
  attachments: AttachmentStore;
  staff: StaffStore;
  staffSessions: StaffSessionStore;
  loginThrottles: LoginThrottleStore;
  secondFactors: SecondFactorStore;
  vaultSettings: VaultSettingStore;
  audit: AuditStore;
  noticeOutbox: NoticeOutboxStore;
  webhookEvents: WebhookEventStore;
  outgoingWebhooks: OutgoingWebhookStore;
  vaultKeys: VaultKeyStore;
  portal: PortalStore;
  portalMails: PortalMailStore;
  revealApprovals: RevealApprovalStore;
}

export type StorageBackend = 'sqlite' | 'postgres';

/**
 * The one storage port (DESIGN "Storage backends and several instances"). Domain code reaches the
 * database only through it: `read` and `write` run `fn` with stores bound to one transaction, which
 * commits when `fn` resolves and rolls back when it throws. A storage fault (disk full, read-only,
 * locked past the busy timeout, database down) is thrown as StorageUnavailable, a 503.
 */
export interface Storage {
  readonly backend: StorageBackend;
  /** A consistent read: one snapshot for everything `fn` reads. */
  read<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** A write transaction; on SQLite writes are serialized, on PostgreSQL row locks and advisory locks serialize what must be. */
  write<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /**
   * A write that may share its transaction and durable commit with others arriving together (reveal
   * audit rows, intake submissions). `fn` must be plain database work that can be run again from
   * the start: when another unit of the group fails, the survivors are run again one by one.
   * SQLite runs a group's units one after another; PostgreSQL runs them concurrently in one
   * transaction (their statements pipelined on its connection, their audit appends taking turns),
   * so a unit must not rely on another unit's writes of the same group being visible yet.
   */
  grouped<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** After ciphertext was destroyed: make sure no copy outlives it where the backend can (WAL truncation, VACUUM). */
  afterDestroy(): Promise<void>;
  /** After a purge pass (destroyed: how many credentials it destroyed). */
  afterPurgePass(destroyed: number): Promise<void>;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a synchronous implementation of a store interface looks like (the SQLite stores, wrapped by the SQLite storage). */
export type Sync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => [R] extends [AsyncIterable<infer X>] ? IterableIterator<X> : Awaited<R>
    : T[K];
};
