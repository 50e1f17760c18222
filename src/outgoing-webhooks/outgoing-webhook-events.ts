import type { Actor, AuditEntry } from '../audit/audit.js';
import type { AuditRow } from '../audit/audit-store.js';

/** The events an endpoint may follow (DESIGN "Outgoing webhooks"). */
export const OUTGOING_EVENT_TYPES = [
  'ticket.created',
  'ticket.closed',
  'ticket.reopened',
  'intake_link.used',
  'credential.submitted',
  'credential.revealed',
  'credential.expired',
  'credential.purged',
  'credential.withdrawn',
  'credential.restricted',
] as const;

export type OutgoingEventType = (typeof OUTGOING_EVENT_TYPES)[number];

/**
 * What an event tells, besides the ticket's reference (added when it is sent). Names and ids
 * only: never a field, a token, a key or a receipt link. A reveal's reason goes out (decision 029).
 */
export interface OutgoingEventData {
  ticketId: string;
  credentialId?: string;
  intakeLinkId?: string;
  /** The credential's kind (submitted). */
  kind?: string;
  /** Why the credential ended (expired, purged). */
  endedBecause?: string;
  actor: Actor;
  reason?: string;
}

export interface OutgoingEvent {
  type: OutgoingEventType;
  data: OutgoingEventData;
}

const credentialData = (entry: AuditEntry): OutgoingEventData => ({
  ticketId: entry.ticketId!,
  credentialId: entry.credentialId ?? undefined,
  actor: entry.actor,
});

/**
 * The webhook events one audit row stands for: the audit log records each of these actions, so
 * its one append is where they are emitted, in the same transaction as the change. A submission
 * through a link is also the link's use; the purge's combined row for a credential that expired
 * and was destroyed at once (decision 021) is both `credential.expired` and `credential.purged`.
 */
export function eventsOfAuditEntry(entry: AuditEntry, row: Pick<AuditRow, 'detail'>): OutgoingEvent[] {
  if (!entry.ticketId) return [];
  switch (entry.action) {
    case 'ticket.created':
    case 'ticket.closed':
    case 'ticket.reopened':
      return [{ type: entry.action, data: { ticketId: entry.ticketId, actor: entry.actor } }];
    case 'credential.submitted': {
      const intakeLinkId = entry.outgoing?.intakeLinkId;
      const submitted: OutgoingEvent = { type: 'credential.submitted', data: { ...credentialData(entry), intakeLinkId, kind: row.detail ?? undefined } };
      return intakeLinkId ? [submitted, { type: 'intake_link.used', data: { ...credentialData(entry), intakeLinkId } }] : [submitted];
    }
    case 'credential.revealed':
      return [{ type: 'credential.revealed', data: { ...credentialData(entry), reason: entry.reason ?? undefined } }];
    case 'credential.expired':
      return [{ type: 'credential.expired', data: { ...credentialData(entry), endedBecause: row.detail ?? undefined } }];
    case 'credential.purged': {
      const purged: OutgoingEvent = { type: 'credential.purged', data: { ...credentialData(entry), endedBecause: row.detail ?? undefined } };
      return entry.outgoing?.expiredToo ? [{ type: 'credential.expired', data: { ...credentialData(entry), endedBecause: 'expired' } }, purged] : [purged];
    }
    case 'credential.withdrawn':
    case 'credential.restricted':
      return [{ type: entry.action, data: credentialData(entry) }];
    default:
      return [];
  }
}

/** Actions that never become an event: emission returns before looking at endpoints. */
export const EMITTING_ACTIONS = new Set<string>([
  'ticket.created',
  'ticket.closed',
  'ticket.reopened',
  'credential.submitted',
  'credential.revealed',
  'credential.expired',
  'credential.purged',
  'credential.withdrawn',
  'credential.restricted',
]);

/** The body sent: Standard Webhooks' shape, the ticket's reference beside its id. */
export function webhookBody(payload: string, externalRef: string | null): string {
  const stored = JSON.parse(payload) as { type: string; timestamp: string; data: OutgoingEventData };
  const { ticketId, ...rest } = stored.data;
  return JSON.stringify({ type: stored.type, timestamp: stored.timestamp, data: { ticketId, externalRef, ...rest } });
}
