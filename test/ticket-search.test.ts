import { randomUUID } from 'node:crypto';
import { createTestVault, DAY, expectProblem, sqliteOnly, staffActorOf, type TestVault } from './harness/test-vault.js';

// GET /tickets?q= reads candidates from a trigram index (migration 016) when they are few, and
// scans in list order when they are many. Either way the answer must be exactly a full scan's:
// these tests compare every search with a plain filter over all tickets in JavaScript.

type Ticket = { id: string; externalRef: string; subject: string; customerEmail: string; customerName: string | null; status: string };

describe('ticket search', () => {
  let tv: TestVault;
  let all: Ticket[];
  beforeAll(async () => {
    tv = await createTestVault();
    const supportUntil = new Date(tv.clock.now() + 365 * DAY).toISOString();
    const subjects = ['Upload to shop fails', 'Checkout broken', 'Müller GmbH: SFTP login', '100% CPU on import_job', 'Quote "this" please', 'back\\slash path'];
    const actor = staffActorOf(tv);
    // 1 200 tickets: "Upload" is on 200 of them, "shop" on more than the index's cap of 1 000.
    {
      for (let i = 0; i < 1200; i++) {
        await tv.vault.tickets.createTicket(
          {
            externalRef: `ZD-${i}`,
            subject: subjects[i % subjects.length],
            customerEmail: i % 7 === 0 ? `owner${i}@bakery.test` : `customer${i}@shop.test`,
            ...(i % 5 === 0 ? {} : { customerName: `Casey Quartermaine ${i}` }),
            supportUntil,
          },
          actor,
        );
        tv.clock.advance(1000);
      }
    }
    all = await listAll({});
    // 1 200 tickets one by one: a few seconds on SQLite, longer on PostgreSQL (a round trip each).
  }, 120_000);
  afterAll(() => tv.close());

  /** Every page of GET /tickets for `query`, in order. */
  async function listAll(query: Record<string, string>): Promise<Ticket[]> {
    const items: Ticket[] = [];
    let cursor: string | undefined;
    do {
      const page = await tv.vault.tickets.listTickets({ ...query, limit: '100', ...(cursor ? { cursor } : {}) });
      items.push(...(page.items as Ticket[]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  /** What SQLite's LIKE '%q%' over the four columns selects: ASCII case-insensitive, other letters exact. */
  const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const scan = (q: string, status?: string) =>
    all
      .filter((t) => [t.externalRef, t.subject, t.customerEmail, t.customerName ?? ''].some((v) => asciiLower(v).includes(asciiLower(q))))
      .filter((t) => !status || t.status === status)
      .map((t) => t.id);

  it.each([
    ['a reference (selective)', 'ZD-1199'],
    ['a reference prefix', 'ZD-11'],
    ['a word on some tickets', 'upload'],
    ['a word on more tickets than the cap', 'shop'],
    ['an e-mail domain', 'bakery.test'],
    ['upper case', 'QUARTERMAINE 12'],
    ['two characters (no trigram)', 'GM'],
    ['one character', 'q'],
    ['a percent sign', '100%'],
    ['an underscore', 'import_job'],
    ['double quotes', '"this"'],
    ['a backslash', 'back\\slash'],
    ['non-ASCII, same case', 'Müller'],
    ['non-ASCII, other case (LIKE is exact there)', 'MÜLLER'],
    ['FTS syntax', 'upload OR checkout'],
    ['a wildcard-looking star', 'shop*'],
    ['nothing', 'no-such-ticket-anywhere'],
  ])('%s gives exactly the tickets a full scan would, in list order', async (_name, q) => {
    const found = (await listAll({ q })).map((t) => t.id);
    expect(found).toEqual(scan(q));
  });

  it('refuses a term with a NUL character with 400 validation_failed (it would cut the LIKE short and is no full-text query)', async () => {
    for (const q of ['ZD-1\u0000', '\u0000\u0000\u0000', 'a\u0000bc']) {
      expectProblem(await tv.http.get('/api/v1/tickets').query({ q }).set(tv.auth()), 400, 'validation_failed');
    }
  });

  it('combines with the status filter and pages without gaps or repeats', async () => {
    const some = scan('upload').slice(0, 30);
    for (const id of some) await tv.vault.tickets.closeTicket(id, staffActorOf(tv));
    all = await listAll({});
    expect((await listAll({ q: 'upload', status: 'closed' })).map((t) => t.id)).toEqual(scan('upload', 'closed'));
    expect((await listAll({ q: 'upload', status: 'open' })).map((t) => t.id)).toEqual(scan('upload', 'open'));
    expect(scan('upload', 'closed')).toHaveLength(30);
  });

  it('finds a ticket by its new subject after an update, and no longer by the old one', async () => {
    const target = all.find((t) => t.externalRef === 'ZD-17')!;
    const fresh = `Renamed ${randomUUID()}`;
    await tv.vault.tickets.updateTicket(target.id, { subject: fresh }, staffActorOf(tv));
    all = await listAll({});
    expect((await listAll({ q: fresh.slice(8) })).map((t) => t.id)).toEqual([target.id]);
    expect((await listAll({ q: target.subject })).map((t) => t.id)).toEqual(scan(target.subject));
    expect(scan(target.subject)).not.toContain(target.id);
  });

  // SQLite's FTS5 shadow table and its integrity-check; PostgreSQL's trigram index is a plain GIN index over the tickets table.
  sqliteOnly.it('keeps the index in step with the tickets table', () => {
    const check = tv.db.prepare("INSERT INTO tickets_search (tickets_search, rank) VALUES ('integrity-check', 1)");
    expect(() => check.run()).not.toThrow();
  });
});
