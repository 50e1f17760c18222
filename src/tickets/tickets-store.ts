import type { TicketStatus } from './ticket-status.js';

export interface TicketRecord {
  id: string;
  externalRef: string;
  subject: string;
  customerEmail: string;
  customerName: string | null;
  /** The instant the support period ends: the end of supportUntilDate in SUPPORT_TIMEZONE. */
  supportUntil: number;
  /** The support period's last day, YYYY-MM-DD, as given. */
  supportUntilDate: string;
  status: TicketStatus;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export type TicketChanges = Partial<Pick<TicketRecord, 'subject' | 'customerEmail' | 'customerName' | 'supportUntil' | 'supportUntilDate'>>;

/**
 * The list's orders: newest created or updated first, reference A to Z, or soonest expiry of a
 * live credential first (only tickets that have one). Ties fall to the id, in the same direction.
 */
export const TICKET_SORTS = ['created', 'updated', 'ref', 'expiry'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

export interface TicketFilter {
  status?: TicketStatus;
  q?: string;
  /** Only tickets with a live credential (what the expiry order lists). */
  live?: boolean;
}

export interface TicketListQuery extends TicketFilter {
  sort: TicketSort;
  limit: number;
  /** The previous page's last item: its sort key (createdAt, updatedAt, externalRef or soonestExpiry) and id. */
  after?: { key: number | string; id: string };
}

export interface TicketListRow extends TicketRecord {
  liveCredentials: number;
  /** The soonest expiresAt of its live credentials, null when none is live. */
  soonestExpiry: number | null;
}

export interface TicketStore {
  insert(ticket: TicketRecord): Promise<void>;
  get(id: string): Promise<TicketRecord | undefined>;
  getByExternalRef(externalRef: string): Promise<TicketRecord | undefined>;
  list(query: TicketListQuery): Promise<TicketListRow[]>;
  /** How many tickets pass the filter, counting no further than `cap` (a count costs what it reads). */
  count(filter: TicketFilter, cap: number): Promise<number>;
  setStatus(id: string, status: TicketStatus, at: number): Promise<void>;
  update(id: string, changes: TicketChanges, at: number): Promise<void>;
}
