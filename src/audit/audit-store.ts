import type { ChainRow } from './audit-chain.js';

export interface AuditRow {
  seq: number;
  at: number;
  action: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  ticket_id: string | null;
  credential_id: string | null;
  reason: string | null;
  detail: string | null;
  ip: string | null;
  user_agent: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface AuditQuery {
  ticketId?: string;
  credentialId?: string;
  action?: string;
  actorId?: string;
  since?: number;
  until?: number;
  beforeSeq?: number;
  limit: number;
}

export interface AuditStore {
  head(): Promise<{ seq: number; hash: Buffer } | undefined>;
  insert(row: AuditRow): Promise<void>;
  query(q: AuditQuery): Promise<AuditRow[]>;
  revealsOf(credentialIds: string[]): Promise<AuditRow[]>;
  countReveals(credentialIds: string[]): Promise<Map<string, number>>;
  /** Every row in seq order, streamed (audit verify over millions of rows); only rows at or after `sinceAt` if given. */
  iterate(sinceAt?: number): AsyncIterable<AuditRow>;
  /**
   * Rows fromSeq..toSeq in seq order for the chain check, each with its canonical JSON (the backend
   * may build it in SQL, the walk's main cost being the crossing into JavaScript).
   */
  iterateChain(fromSeq: number, toSeq: number): AsyncIterable<ChainRow>;
  /** One row's canonical JSON built in JavaScript (re-checks a row whose SQL-built JSON did not match). */
  canonicalOf(seq: number): Promise<string | undefined>;
  maxSeq(): Promise<number>;
}
