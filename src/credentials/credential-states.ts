import type { TicketStatus } from '../tickets/ticket-status.js';

// Domain types the store interfaces use: this file imports no store and no logic, so no cycle runs through it.

export type CredentialStatus = 'active' | 'restricted' | 'expired' | 'revoked' | 'withdrawn' | 'purged';
export type EndReason = 'ticket_closed' | 'expired' | 'revoked' | 'withdrawn';

/** What of its ticket decides whether a credential may still be revealed. */
export interface TicketState {
  status: TicketStatus;
  supportUntil: number;
}
