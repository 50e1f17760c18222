/** A leaf of the tickets domain: the store interfaces import it, so it imports nothing. */
export type TicketStatus = 'open' | 'closed';
