import {
  createTestVault,
  DAY,
  openTicketWithLink,
  staffActorOf,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// GET /tickets pages by keyset (createdAt DESC, id DESC, the cursor holding the last item's pair).
// Each filter shape takes its own path through the store (status index, trigram candidates, a
// scan in list order for a broad or short term), so each is walked page by page here while
// tickets are added between pages, and checked against the tickets table read directly.

type Item = { id: string; externalRef: string; subject: string; customerEmail: string; customerName: string | null; status: string; createdAt: string; liveCredentials: number };
type Row = { id: string; external_ref: string; subject: string; customer_email: string; customer_name: string | null; status: string; created_at: number };

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Whether a row passes the filter as the API defines it (LIKE '%q%' over four columns, ASCII case-insensitive). */
function matches(row: Row, filter: { status?: string; q?: string }): boolean {
  if (filter.status && row.status !== filter.status) return false;
  if (filter.q === undefined) return true;
  const q = asciiLower(filter.q);
  return [row.external_ref, row.subject, row.customer_email, row.customer_name ?? ''].some((v) => asciiLower(v).includes(q));
}

/** Newest first, ties by id: the list's order. */
const before = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);

/** The UUID just below `id` in the list's tie order. */
const idBelow = (id: string) => {
  const hex = (BigInt(`0x${id.replace(/-/g, '')}`) - 1n).toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

describe('GET /tickets pages', () => {
  let tv: TestVault;
  /** Ids written by insertTicket, over every walk (a tie made for one walk is there for the next). */
  const inserted = new Set<string>();
  beforeAll(async () => {
    tv = await createTestVault();
    const actor = staffActorOf(tv);
    const supportUntil = new Date(tv.clock.now() + 365 * DAY).toISOString();
    // 1 100 tickets, four to a creation time (so page ends fall inside ties); every one has "shop"
    // (more than the trigram index's cap of 1 000: the scan path), "ZD-10" is on 111 (the index path).
    for (let i = 0; i < 1100; i++) {
      if (i % 4 === 0) tv.clock.advance(1000);
      const ticket = await tv.vault.tickets.createTicket(
        { externalRef: `ZD-${i}`, subject: i % 3 ? 'Upload to shop fails' : 'Müller GmbH: SFTP login', customerEmail: `customer${i}@shop.test`, supportUntil },
        actor,
      );
      if (i % 9 < 2) await tv.vault.tickets.closeTicket(ticket.id, actor);
    }
  }, 120_000);
  afterAll(() => tv.close());

  const rows = async () => (await tv.query('SELECT id, external_ref, subject, customer_email, customer_name, status, created_at FROM tickets')) as Row[];

  /** A ticket created at `createdAt` with the id given, written through the store (the API picks neither); its row. */
  async function insertTicket(id: string, createdAt: number, n: number): Promise<Row> {
    const ticket = {
      id,
      externalRef: `ZD-10-late-${n}`,
      subject: 'Upload via the GmbH portal',
      customerEmail: `late${n}@shop.test`,
      customerName: null,
      supportUntil: tv.clock.now() + 365 * DAY,
      supportUntilDate: new Date(tv.clock.now() + 365 * DAY).toISOString().slice(0, 10),
      status: 'open' as const,
      createdBy: null,
      createdAt,
      updatedAt: createdAt,
      closedAt: null,
    };
    await tv.vault.storage.write((s) => s.tickets.insert(ticket));
    return { id, external_ref: ticket.externalRef, subject: ticket.subject, customer_email: ticket.customerEmail, customer_name: null, status: 'open', created_at: createdAt };
  }

  it.each([
    ['no filter', {}],
    ['status=open', { status: 'open' }],
    ['status=closed', { status: 'closed' }],
    ['a selective term (trigram candidates)', { q: 'ZD-10' }],
    ['a broad term (scan in list order)', { q: 'shop' }],
    ['a two-character term (no trigram)', { q: 'gm' }],
    ['a term with a status', { q: 'upload', status: 'open' }],
  ])('%s: every ticket there when the walk began comes exactly once, in order, while tickets are added between pages', async (_name, filter: { status?: string; q?: string }) => {
    const atStart = (await rows()).filter((r) => matches(r, filter)).map((r) => r.id);
    expect(atStart.length).toBeGreaterThan(20);
    const walked: { id: string; createdAt: number }[] = [];
    const behindCursor = new Set<string>();
    const aheadOfCursor = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      const res = await tv.vault.tickets.listTickets({ ...filter, limit: '37', ...(cursor ? { cursor } : {}) });
      const items = res.items as Item[];
      walked.push(...items.map((t) => ({ id: t.id, createdAt: Date.parse(t.createdAt) })));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
      // Added meanwhile: one newer than everything, one tied with the page's last item that sorts
      // before it (a larger id) and one tied that sorts after it (a smaller id). Only the last is
      // still ahead of the walk.
      const last = items.at(-1)!;
      const lastAt = Date.parse(last.createdAt);
      tv.clock.advance(1000);
      const newer = await tv.vault.tickets.createTicket(
        { externalRef: `ZD-10-new-${page}-${Math.random()}`, subject: 'Upload via the GmbH portal', customerEmail: 'new@shop.test', supportUntil: new Date(tv.clock.now() + DAY).toISOString() },
        staffActorOf(tv),
      );
      aheadOfCursor.add(newer.id);
      const tiedBefore = `${last.id.slice(0, 24)}ffffffffffff`;
      if (tiedBefore > last.id && !inserted.has(tiedBefore)) {
        inserted.add(tiedBefore);
        await insertTicket(tiedBefore, lastAt, inserted.size);
        aheadOfCursor.add(tiedBefore);
      }
      const tiedAfter = idBelow(last.id);
      if (!inserted.has(tiedAfter)) {
        inserted.add(tiedAfter);
        if (matches(await insertTicket(tiedAfter, lastAt, inserted.size), filter)) behindCursor.add(tiedAfter);
      }
    }
    const ids = walked.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < walked.length; i++) expect(before(walked[i - 1]!, walked[i]!)).toBe(true);
    expect(ids.filter((id) => !behindCursor.has(id)).sort()).toEqual([...atStart].sort());
    // The added tickets are open: every shape but status=closed has some behind the cursor.
    expect(behindCursor.size > 0).toBe(filter.status !== 'closed');
    for (const id of behindCursor) expect(ids).toContain(id);
    for (const id of aheadOfCursor) expect(ids).not.toContain(id);
  }, 60_000);

  it('counts only live (active and restricted) credentials on each item, also after the purge', async () => {
    const a = await openTicketWithLink(tv, { externalRef: 'LIVE-A' });
    const aCreds = [];
    for (let i = 0; i < 3; i++) aCreds.push(await submitCredential(tv, a.linkToken));
    await tv.http.delete(`/api/v1/credentials/${aCreds[0]!.credentialId}`).set(tv.auth()).expect(204);
    const b = await openTicketWithLink(tv, { externalRef: 'LIVE-B' });
    const bCred = await submitCredential(tv, b.linkToken);
    await submitCredential(tv, b.linkToken);
    await tv.http.post(`/api/v1/receipts/${bCred.receiptToken}/credentials/${bCred.credentialId}/restrict`).expect(200);
    const c = await openTicketWithLink(tv, { externalRef: 'LIVE-C' });
    await submitCredential(tv, c.linkToken);
    await tv.vault.tickets.closeTicket(c.ticketId, staffActorOf(tv));

    const counts = async () => {
      const items = (await tv.vault.tickets.listTickets({ q: 'LIVE-', limit: '10' })).items as Item[];
      return Object.fromEntries(items.map((t) => [t.externalRef, t.liveCredentials]));
    };
    expect(await counts()).toEqual({ 'LIVE-A': 2, 'LIVE-B': 2, 'LIVE-C': 0 });
    await tv.vault.purge.runPurge();
    expect(await counts()).toEqual({ 'LIVE-A': 2, 'LIVE-B': 2, 'LIVE-C': 0 });
  });
});
