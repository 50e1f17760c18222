import type { TicketStatus } from './ticket-status.js';

export interface TicketRecord {
  id: string;
  externalRef: string;
  subject: string;
  customerEmail: string;
  customerName: string | null;
  supportUntil: number;
  status: TicketStatus;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

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
  update(id: string, changes: Partial<Pick<TicketRecord, 'subject' | 'customerEmail' | 'customerName' | 'supportUntil'>>, at: number): Promise<void>;
}
