// What others can change on a ticket page while it is open (the customer sends or withdraws a
// credential, a colleague reveals or revokes one, a link is used): the page carries this mark as
// rendered, and its script polls GET /tickets/:id for the same mark (docs/decisions/023). Shared
// by the server and the page's script, so it imports nothing.

export interface MarkedTicket {
  credentials: ReadonlyArray<{ id: string; status: string; revealCount?: number; approval?: { state: string } }>;
  intakeLinks: ReadonlyArray<{ id: string; status: string; uses: number }>;
}

export function ticketChangeMark(ticket: MarkedTicket): string {
  return JSON.stringify([ticket.credentials.map((c) => [c.id, c.status, c.revealCount ?? 0, c.approval?.state ?? '']), ticket.intakeLinks.map((l) => [l.id, l.status, l.uses])]);
}
