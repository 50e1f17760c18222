import type { TicketRecord } from '../tickets/tickets-store.js';
import type { IntakeLinkRecord } from './intake-links-store.js';

export type IntakeLinkState = 'active' | 'expired' | 'revoked' | 'used_up';

export interface IntakeLinkView {
  id: string;
  ticketId: string;
  status: IntakeLinkState;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  revokedAt: string | null;
}

export function intakeLinkState(link: IntakeLinkRecord, ticket: TicketRecord, now: number): IntakeLinkState {
  if (link.revokedAt !== null) return 'revoked';
  if (ticket.status === 'closed' || now >= link.expiresAt || now >= ticket.supportUntil) return 'expired';
  if (link.maxUses !== null && link.uses >= link.maxUses) return 'used_up';
  return 'active';
}

export function intakeLinkView(link: IntakeLinkRecord, ticket: TicketRecord, now: number): IntakeLinkView {
  return {
    id: link.id,
    ticketId: link.ticketId,
    status: intakeLinkState(link, ticket, now),
    createdAt: new Date(link.createdAt).toISOString(),
    createdBy: link.createdBy,
    expiresAt: new Date(link.expiresAt).toISOString(),
    maxUses: link.maxUses,
    uses: link.uses,
    revokedAt: link.revokedAt === null ? null : new Date(link.revokedAt).toISOString(),
  };
}
