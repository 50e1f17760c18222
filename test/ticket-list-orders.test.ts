import { createTestVault, DAY, expectProblem, openTicketWithLink, staffActorOf, submitCredential, type TestVault } from './harness/test-vault.js';

// GET /tickets?sort=created|updated|ref|expiry and the list's total (issue 15). Each order pages by
// its own keyset; every walk here goes page by page (three items a page, so page ends fall inside
// ties) and is checked against the tables read directly and sorted in JavaScript. `q` also
// matches the labels of a ticket's credentials.

type Item = { id: string; externalRef: string; liveCredentials: number; soonestExpiry: string | null };
type TicketRow = { id: string; external_ref: string; subject: string; customer_email: string; customer_name: string | null; status: string; created_at: number; updated_at: number };
type CredentialRow = { ticket_id: string; label: string; status: string; expires_at: number };

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
describe('GET /tickets orders and total', () => {
  let tv: TestVault;
  let now = 0;
  beforeAll(async () => {
    tv = await createTestVault();
    const actor = staffActorOf(tv);
    const supportUntil = new Date(tv.clock.now() + 365 * DAY).toISOString();
    // 45 tickets: references out of creation order (some with '.' and lower case), three to a
    // creation time, every fourth changed later, every fifth closed.
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) {
      if (i % 3 === 0) tv.clock.advance(1000);
      const ref = i % 7 === 0 ? `zd.${(i * 17) % 45}.x` : `ZD-${String((i * 29) % 45).padStart(3, '0')}`;
      const ticket = await tv.vault.tickets.createTicket(
        { externalRef: ref, subject: i % 2 ? 'Upload to shop fails' : 'Printer offline', customerEmail: `customer${i}@shop.test`, supportUntil },
        actor,
      );
      ids.push(ticket.id);
    }
    for (let i = 0; i < 45; i += 4) {
      tv.clock.advance(500);
      await tv.vault.tickets.updateTicket(ids[(i * 7) % 45]!, { subject: `Changed ${i} upload` }, actor);
    }
    // Credentials on open tickets, with expiries that tie across tickets and within one.
    for (let i = 1; i < 30; i += 2) {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: `CR-${i}`, subject: 'Credentials here' });
      for (let k = 0; k < 1 + (i % 3); k++) {
        await submitCredential(tv, linkToken, { kind: 'other', label: i === 7 ? 'Warehouse NAS' : `Box ${i}-${k}`, fields: { notes: `s-${i}-${k}` } });
      }
    }
    const creds = (await tv.query("SELECT c.id, c.ticket_id FROM credentials c ORDER BY c.id")) as { id: string; ticket_id: string }[];
    for (const [n, c] of creds.entries()) await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', tv.clock.now() + (1 + (n % 5)) * DAY, c.id);
    // One revoked credential: not live, so neither counted nor the soonest.
    await tv.http.delete(`/api/v1/credentials/${creds[0]!.id}`).set(tv.auth()).expect(204);
    for (let i = 0; i < 45; i += 5) await tv.vault.tickets.closeTicket(ids[i]!, actor);
    now = tv.clock.now();
  }, 120_000);
  afterAll(() => tv.close());

  /** What the tables say the list is, for this filter and order. */
  async function expected(filter: { status?: string; q?: string }, sort: string): Promise<{ id: string; soonest: number | null; live: number }[]> {
    const tickets = (await tv.query('SELECT id, external_ref, subject, customer_email, customer_name, status, created_at, updated_at FROM tickets')) as TicketRow[];
    const creds = (await tv.query('SELECT ticket_id, label, status, expires_at FROM credentials')) as CredentialRow[];
    const q = filter.q === undefined ? undefined : asciiLower(filter.q);
    const rows = tickets
      .filter((t) => !filter.status || t.status === filter.status)
      .filter(
        (t) =>
          q === undefined ||
          [t.external_ref, t.subject, t.customer_email, t.customer_name ?? '', ...creds.filter((c) => c.ticket_id === t.id).map((c) => c.label)].some((v) => asciiLower(v).includes(q)),
      )
      .map((t) => {
        const live = creds.filter((c) => c.ticket_id === t.id && (c.status === 'active' || c.status === 'restricted')).map((c) => Number(c.expires_at));
        return { ...t, created_at: Number(t.created_at), updated_at: Number(t.updated_at), live: live.length, soonest: live.length ? Math.min(...live) : null };
      });
    const idOrder = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const sorted =
      sort === 'created'
        ? rows.sort((a, b) => b.created_at - a.created_at || idOrder(b, a))
        : sort === 'updated'
          ? rows.sort((a, b) => b.updated_at - a.updated_at || idOrder(b, a))
          : sort === 'ref'
            ? rows.sort((a, b) => (a.external_ref < b.external_ref ? -1 : 1))
            : rows.filter((t) => t.soonest !== null).sort((a, b) => a.soonest! - b.soonest! || idOrder(a, b));
    return sorted.map((t) => ({ id: t.id, soonest: t.soonest, live: t.live }));
  }

  async function walk(query: Record<string, string>): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const res = await tv.http.get('/api/v1/tickets').query({ ...query, limit: '3', ...(cursor ? { cursor } : {}) }).set(tv.auth()).expect(200);
      items.push(...(res.body.items as Item[]));
      cursor = res.body.nextCursor ?? undefined;
      if (!cursor) return items;
    }
    throw new Error('the walk did not end');
  }

  const FILTERS: [string, { status?: string; q?: string }][] = [
    ['no filter', {}],
    ['status=open', { status: 'open' }],
    ['status=closed', { status: 'closed' }],
    ['a reference term', { q: 'zd-01' }],
    ['a word on many', { q: 'upload' }],
    ['a credential label', { q: 'warehouse' }],
    ['a label and a status', { q: 'box', status: 'open' }],
    ['two characters (a scan, labels too)', { q: 'NA' }],
    ['a dot in references', { q: '.x' }],
  ];

  describe.each(['created', 'updated', 'ref', 'expiry'])('sort=%s', (sort) => {
    it.each(FILTERS)('%s: every ticket once, in the order, with its live count and soonest expiry', async (_name, filter) => {
      const want = await expected(filter, sort);
      const got = await walk({ ...filter, sort });
      expect(got.map((t) => t.id)).toEqual(want.map((t) => t.id));
      expect(got.map((t) => [t.liveCredentials, t.soonestExpiry])).toEqual(want.map((t) => [t.live, t.soonest === null ? null : new Date(t.soonest).toISOString()]));
    });

    it.each(FILTERS)('%s: the total is the number the walk lists', async (_name, filter) => {
      const want = await expected(filter, sort);
      await expect(tv.vault.tickets.countTickets({ ...filter, sort })).resolves.toEqual({ total: want.length, more: false });
    });
  });

  it('checks its own expectations: the orders differ, ties and labels are there', async () => {
    const orders = await Promise.all(['created', 'updated', 'ref', 'expiry'].map(async (sort) => (await expected({}, sort)).map((t) => t.id).join()));
    expect(new Set(orders).size).toBe(4);
    expect((await expected({ q: 'warehouse' }, 'created')).length).toBe(1);
    const soonest = (await expected({}, 'expiry')).map((t) => t.soonest);
    expect(new Set(soonest).size).toBeLessThan(soonest.length);
    expect(now).toBeGreaterThan(0);
  });

  it('by reference: a ticket added behind the cursor comes, one added before it does not', async () => {
    const first = await tv.http.get('/api/v1/tickets').query({ sort: 'ref', limit: '5' }).set(tv.auth()).expect(200);
    const last = (first.body.items as Item[]).at(-1)!.externalRef;
    const before = await tv.vault.tickets.createTicket({ externalRef: `${last.slice(0, -1)}!`, subject: 'Before', customerEmail: 'a@shop.test', supportUntil: new Date(now + DAY).toISOString() }, staffActorOf(tv));
    const after = await tv.vault.tickets.createTicket({ externalRef: `${last}0`, subject: 'After', customerEmail: 'a@shop.test', supportUntil: new Date(now + DAY).toISOString() }, staffActorOf(tv));
    const rest: Item[] = [];
    let cursor = first.body.nextCursor as string | null;
    while (cursor) {
      const res = await tv.http.get('/api/v1/tickets').query({ sort: 'ref', limit: '5', cursor }).set(tv.auth()).expect(200);
      rest.push(...res.body.items);
      cursor = res.body.nextCursor;
    }
    const refs = rest.map((t) => t.externalRef);
    expect(refs).toContain(after.externalRef);
    expect(refs).not.toContain(before.externalRef);
    expect(refs[0]).toBe(after.externalRef);
    await tv.vault.tickets.closeTicket(before.id, staffActorOf(tv));
    await tv.vault.tickets.closeTicket(after.id, staffActorOf(tv));
  });

  it('refuses a cursor of another order (400 invalid_cursor) and an unknown order (400 validation_failed)', async () => {
    const created = await tv.http.get('/api/v1/tickets').query({ limit: '2' }).set(tv.auth()).expect(200);
    const byRef = await tv.http.get('/api/v1/tickets').query({ sort: 'ref', limit: '2' }).set(tv.auth()).expect(200);
    for (const [sort, cursor] of [
      ['ref', created.body.nextCursor],
      ['updated', byRef.body.nextCursor],
      ['created', byRef.body.nextCursor],
      ['expiry', created.body.nextCursor],
    ]) {
      expectProblem(await tv.http.get('/api/v1/tickets').query({ sort, cursor }).set(tv.auth()), 400, 'invalid_cursor');
    }
    expectProblem(await tv.http.get('/api/v1/tickets').query({ sort: 'subject' }).set(tv.auth()), 400, 'validation_failed');
  });
});

describe('ticket total', () => {
  let tv: TestVault;
  beforeAll(async () => {
    tv = await createTestVault();
  });
  afterAll(() => tv.close());

  it('counts up to 1 000 and says when there are more', async () => {
    const at = tv.clock.now();
    await tv.vault.storage.write(async (s) => {
      for (let i = 0; i < 1003; i++) {
        const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        await s.tickets.insert({
          id,
          externalRef: `BULK-${i}`,
          subject: i < 999 ? 'Bulk' : 'Bulk odd',
          customerEmail: 'bulk@shop.test',
          customerName: null,
          supportUntil: at + DAY,
          supportUntilDate: new Date(at + DAY).toISOString().slice(0, 10),
          status: 'open',
          createdBy: null,
          createdAt: at + i,
          updatedAt: at + i,
          closedAt: null,
        });
      }
    });
    await expect(tv.vault.tickets.countTickets({})).resolves.toEqual({ total: 1000, more: true });
    await expect(tv.vault.tickets.countTickets({ q: 'bulk odd' })).resolves.toEqual({ total: 4, more: false });
    await expect(tv.vault.tickets.countTickets({ status: 'closed' })).resolves.toEqual({ total: 0, more: false });
    await expect(tv.vault.tickets.countTickets({ sort: 'expiry' })).resolves.toEqual({ total: 0, more: false });
  });
});
