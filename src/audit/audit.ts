import type { Clock } from '../clock.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { canonicalJson, checkStoredRange, combineRanges, GENESIS, rowHash, type VerifyResult } from './audit-chain.js';
import type { Storage, Stores } from '../storage/storage.js';
import type { AuditRow } from './audit-store.js';

export type { VerifyResult } from './audit-chain.js';

export const AUDIT_ACTIONS = [
  'ticket.created',
  'ticket.closed',
  'ticket.reopened',
  'ticket.changed',
  'intake_link.created',
  'intake_link.revoked',
  'credential.submitted',
  'credential.revealed',
  'credential.reveal_denied',
  'credential.reveal_requested',
  'credential.reveal_approved',
  'credential.reveal_refused',
  'credential.revoked',
  'credential.withdrawn',
  'credential.restricted',
  'credential.unrestricted',
  'credential.rectified',
  'credential.expired',
  'credential.purged',
  'staff.login',
  'staff.login_failed',
  'staff.added',
  'staff.changed',
  'staff.disabled',
  'staff.enabled',
  'staff.password_set',
  'staff.mfa_changed',
  'staff.tokens_revoked',
  'staff.sso_linked',
  'keys.rotated',
  'receipt.exported',
  'webhook.added',
  'webhook.removed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type ActorType = 'staff' | 'customer' | 'system' | 'helpdesk';

export interface Actor {
  type: ActorType;
  id: string | null;
  name: string | null;
}

/** Where a request came from; recorded with the event, never a body or a token. */
export interface Origin {
  ip?: string | null;
  userAgent?: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'ticketvault' };

export interface AuditEntry {
  action: AuditAction;
  actor: Actor;
  origin?: Origin;
  ticketId?: string | null;
  credentialId?: string | null;
  reason?: string | null;
  /** A machine-made note (a denial code, counts); never user text that could hold a secret. */
  detail?: string | null;
  /** Not stored in the row: facts only outgoing webhooks tell (the link a submission used; a purge that also expired). */
  outgoing?: { intakeLinkId?: string; expiredToo?: boolean };
}

/** The stores an audit append needs: the chain's, and the outbox that follows it in the same transaction. */
export type AuditStores = Pick<Stores, 'audit' | 'outgoingWebhooks'>;

/**
 * Told of every append, inside its transaction, after the rows were written (outgoing webhooks
 * queue their deliveries here): the caller's commit commits both, a rollback drops both.
 */
export type AuditFollower = (stores: AuditStores, entries: readonly AuditEntry[], rows: readonly AuditRow[]) => Promise<void>;

export interface AuditEvent {
  seq: number;
  at: string;
  action: AuditAction;
  actor: Actor;
  ticketId: string | null;
  credentialId: string | null;
  reason: string | null;
  detail: string | null;
  ip: string | null;
  userAgent: string | null;
  prevHash: string;
  hash: string;
}

/** One reveal of a credential as the people around it may see it: who, when, why. */
export interface RevealRecord {
  at: string;
  by: string | null;
  byId: string | null;
  reason: string | null;
}

/** What events name, in words: each ticket's helpdesk reference, each credential's label and kind. */
export interface AuditSubjects {
  tickets: Map<string, string>;
  credentials: Map<string, { label: string; kind: string; ticketId: string }>;
}

export interface AuditFilter {
  ticketId?: string;
  credentialId?: string;
  action?: AuditAction;
  actorId?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}


const MAX_TEXT = 1000;

// Clipped, and made well-formed: a lone surrogate would be stored as U+FFFD but hashed as \udXXX.
const clip = (value: string | null | undefined) => (value == null ? null : value.slice(0, MAX_TEXT).toWellFormed());

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    action: row.action as AuditAction, // written only from the closed set; a forged row fails `audit verify`
    actor: { type: row.actor_type as ActorType, id: row.actor_id, name: row.actor_name },
    ticketId: row.ticket_id,
    credentialId: row.credential_id,
    reason: row.reason,
    detail: row.detail,
    ip: row.ip,
    userAgent: row.user_agent,
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}

export interface Audit {
  /** Appends one event to the chain with the caller's transaction's stores: the caller's commit is the audit's commit. */
  record(stores: AuditStores, entry: AuditEntry): Promise<AuditRow>;
  /** Appends several events in order (a purge batch, a group of reveals); same transaction rule as record. */
  recordMany(stores: AuditStores, entries: readonly AuditEntry[]): Promise<AuditRow[]>;
  listEvents(filter: AuditFilter): Promise<{ items: AuditEvent[]; nextCursor: string | null }>;
  /** Walks the whole chain in this process (the backends may walk faster: see composeVault's verifyAudit). */
  verifyChain(options?: { head?: string }): Promise<VerifyResult>;
  /** Every event in seq order (only those at or after `sinceAt` if given), handed to `sink` one at a time from one snapshot. */
  exportEvents(sink: (event: AuditEvent) => void | Promise<void>, sinceAt?: number): Promise<void>;
  /** Each credential's reveals, oldest first (credentials never revealed are absent). */
  listReveals(credentialIds: readonly string[]): Promise<Map<string, RevealRecord[]>>;
  /** The reference and label of the tickets and credentials events name; ids of rows that are gone are absent. */
  nameSubjects(ids: { ticketIds: Iterable<string>; credentialIds: Iterable<string> }): Promise<AuditSubjects>;
  /** The id of the ticket with exactly this helpdesk reference, or null: the audit filter takes either. */
  ticketIdOfRef(externalRef: string): Promise<string | null>;
}

export function createAudit(deps: { storage: Storage; auditKey: Uint8Array; clock: Clock; follower?: AuditFollower }): Audit {
  const { storage, auditKey, clock, follower } = deps;

  /** Appends entries in order after the current head: one head read however many rows. */
  const recordMany = async (stores: AuditStores, entries: readonly AuditEntry[]): Promise<AuditRow[]> => {
    const store = stores.audit;
    // Nothing to append: no head to read (on PostgreSQL that read waits for the chain's lock).
    if (entries.length === 0) return [];
    const head = await store.head();
    let seq = head?.seq ?? 0;
    let prev: Buffer = head ? Buffer.from(head.hash) : GENESIS;
    const at = clock.now();
    const rows: AuditRow[] = [];
    for (const entry of entries) {
      const row: Omit<AuditRow, 'hash'> = {
        seq: ++seq,
        at,
        action: entry.action,
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        actor_name: clip(entry.actor.name),
        ticket_id: entry.ticketId ?? null,
        credential_id: entry.credentialId ?? null,
        reason: clip(entry.reason),
        detail: clip(entry.detail),
        ip: clip(entry.origin?.ip),
        user_agent: clip(entry.origin?.userAgent),
        prev_hash: prev,
      };
      const canonical = canonicalJson([row.seq, row.at, row.action, row.actor_type, row.actor_id, row.actor_name, row.ticket_id, row.credential_id, row.reason, row.detail, row.ip, row.user_agent]);
      const full: AuditRow = { ...row, hash: rowHash(auditKey, prev, canonical) };
      await store.insert(full);
      prev = full.hash;
      rows.push(full);
    }
    if (follower) await follower(stores, entries, rows);
    return rows;
  };

  const record = async (stores: AuditStores, entry: AuditEntry): Promise<AuditRow> => (await recordMany(stores, [entry]))[0]!;

  const listEvents = async (filter: AuditFilter) => {
    const limit = filter.limit ?? 50;
    const beforeSeq = filter.cursor === undefined ? undefined : decodeSeqCursor(filter.cursor);
    const rows = await storage.read((s) => s.audit.query({ ...filter, beforeSeq, limit: limit + 1 }));
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(page[page.length - 1]!.seq) : null;
    return { items: page.map(toAuditEvent), nextCursor };
  };

  const verifyChain = async (options: { head?: string } = {}): Promise<VerifyResult> => {
    const head = options.head?.toLowerCase();
    const range = await storage.read((s) => checkStoredRange(s.audit, auditKey, 1, Number.MAX_SAFE_INTEGER, GENESIS, head));
    return combineRanges([range], head);
  };

  const exportEvents = (sink: (event: AuditEvent) => void | Promise<void>, sinceAt?: number) =>
    storage.read(async (s) => {
      for await (const row of s.audit.iterate(sinceAt)) await sink(toAuditEvent(row));
    });

  const listReveals = (credentialIds: readonly string[]) =>
    storage.read(async (s) => {
      const reveals = new Map<string, RevealRecord[]>();
      for (const row of await s.audit.revealsOf([...credentialIds])) {
        const list = reveals.get(row.credential_id!) ?? [];
        list.push({ at: new Date(row.at).toISOString(), by: row.actor_name, byId: row.actor_id, reason: row.reason });
        reveals.set(row.credential_id!, list);
      }
      return reveals;
    });

  const nameSubjects = (ids: { ticketIds: Iterable<string>; credentialIds: Iterable<string> }) =>
    storage.read(async (s): Promise<AuditSubjects> => {
      const credentials = new Map<string, { label: string; kind: string; ticketId: string }>();
      for (const id of new Set(ids.credentialIds)) {
        const credential = await s.credentials.get(id);
        if (credential) credentials.set(id, { label: credential.label, kind: credential.kind, ticketId: credential.ticketId });
      }
      // A credential's ticket is named too, so the label can say where it belongs.
      const tickets = new Map<string, string>();
      for (const id of new Set([...ids.ticketIds, ...[...credentials.values()].map((c) => c.ticketId)])) {
        const ticket = await s.tickets.get(id);
        if (ticket) tickets.set(id, ticket.externalRef);
      }
      return { tickets, credentials };
    });

  const ticketIdOfRef = (externalRef: string) => storage.read(async (s) => (await s.tickets.getByExternalRef(externalRef))?.id ?? null);

  return { record, recordMany, listEvents, verifyChain, exportEvents, listReveals, nameSubjects, ticketIdOfRef };
}

function decodeSeqCursor(cursor: string): number {
  return decodeCursor(cursor, ([at, ...rest]) => {
    const seq = Number(at);
    return Number.isSafeInteger(seq) && seq >= 1 && rest.length === 0 ? seq : undefined;
  });
}
