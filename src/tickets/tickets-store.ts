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

export interface TicketListQuery {
  status?: TicketStatus;
  q?: string;
  limit: number;
  after?: { createdAt: number; id: string };
}

export interface TicketListRow extends TicketRecord {
  liveCredentials: number;
}

export interface TicketStore {
  insert(ticket: TicketRecord): Promise<void>;
  get(id: string): Promise<TicketRecord | undefined>;
  getByExternalRef(externalRef: string): Promise<TicketRecord | undefined>;
  list(query: TicketListQuery): Promise<TicketListRow[]>;
  setStatus(id: string, status: TicketStatus, at: number): Promise<void>;
  update(id: string, changes: TicketChanges, at: number): Promise<void>;
}
