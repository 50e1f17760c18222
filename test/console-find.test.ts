import { jest } from '@jest/globals';
import { signIn } from './harness/staff-sessions.js';
import { createTestVault, DAY, openTicketWithLink, staffActorOf, submitCredential, type TestVault } from './harness/test-vault.js';

// Issue 15 items 5 and 7 on the console's server-rendered pages: finding a ticket by its helpdesk
// reference (an exact search opens it, /console/tickets/by-ref/<ref>, closed matches are hinted,
// credential labels are searched, the list has a total and orders) and expiry awareness.

jest.setTimeout(60_000);

describe('console: finding a ticket and expiry awareness', () => {
  let tv: TestVault;
  let cookie: string;
  beforeEach(async () => {
    tv = await createTestVault();
    cookie = await signIn(tv, 'engineer');
  });
  afterEach(() => tv.close());

  const page = (url: string, status = 200) => tv.http.get(url).set('Cookie', cookie).expect(status);

  describe('GET /console/tickets/by-ref/:ref', () => {
    it('redirects to the ticket with that reference, open or closed', async () => {
      const open = await openTicketWithLink(tv, { externalRef: 'ZD-4711' });
      const closed = await openTicketWithLink(tv, { externalRef: 'HD/77 a.b' });
      await tv.vault.tickets.closeTicket(closed.ticketId, staffActorOf(tv));
      expect((await page('/console/tickets/by-ref/ZD-4711', 303)).headers.location).toBe(`/console/tickets/${open.ticketId}`);
      expect((await page(`/console/tickets/by-ref/${encodeURIComponent('HD/77 a.b')}`, 303)).headers.location).toBe(`/console/tickets/${closed.ticketId}`);
    });

    it('answers an unknown reference with a 404 page that names it, lists what mentions it and offers to create it', async () => {
      await openTicketWithLink(tv, { externalRef: 'ZD-47110', subject: 'Mentions ZD-4711' });
      const res = await page('/console/tickets/by-ref/ZD-4711', 404);
      expect(res.text).toContain('No ticket has the reference “ZD-4711”');
      expect(res.text).toContain('>ZD-47110</a>');
      expect(res.text).toContain('href="/console/tickets/new?externalRef=ZD-4711"');
      const form = await page('/console/tickets/new?externalRef=ZD-4711');
      expect(form.text).toMatch(/id="nt-externalRef"[^>]*value="ZD-4711"/);
      const none = await page('/console/tickets/by-ref/NOPE-1', 404);
      expect(none.text).toContain('No ticket mentions it either.');
    });

    it('sends a helpdesk link without a session to the sign-in page and back to the reference', async () => {
      const res = await tv.http.get('/console/tickets/by-ref/ZD-4711').expect(303);
      expect(res.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Ftickets%2Fby-ref%2FZD-4711');
    });

    it('is for engineers: an auditor gets the friendly 403', async () => {
      const auditor = await signIn(tv, 'auditor');
      await tv.http.get('/console/tickets/by-ref/ZD-4711').set('Cookie', auditor).expect(403);
    });
  });

  describe('the ticket list', () => {
    it('opens the ticket a search names exactly, closed too; the ticket page offers the search back as a list', async () => {
      const a = await openTicketWithLink(tv, { externalRef: 'ZD-12' });
      await openTicketWithLink(tv, { externalRef: 'ZD-123' });
      await tv.vault.tickets.closeTicket(a.ticketId, staffActorOf(tv));
      const res = await page('/console/tickets?q=ZD-12', 303);
      expect(res.headers.location).toBe(`/console/tickets/${a.ticketId}?from=ZD-12`);
      const ticket = await page(res.headers.location!);
      expect(ticket.text).toContain('href="/console/tickets?q=ZD-12&amp;status=all&amp;list=1">Tickets matching “ZD-12”</a>');
      const list = await page('/console/tickets?q=ZD-12&status=all&list=1');
      expect(list.text).toContain('>ZD-123</a>');
      expect(list.text).toContain('>ZD-12</a>');
      expect(list.text).toContain('2 tickets match “ZD-12”');
    });

    it('says how many closed tickets a search of open ones leaves out, with a link that shows them', async () => {
      const closed = await openTicketWithLink(tv, { externalRef: 'ZD-900', subject: 'Printer jam' });
      await openTicketWithLink(tv, { externalRef: 'ZD-901', subject: 'Printer offline' });
      await tv.vault.tickets.closeTicket(closed.ticketId, staffActorOf(tv));
      const res = await page('/console/tickets?q=printer');
      expect(res.text).toContain('1 open ticket matches “printer”');
      expect(res.text).toContain('1 closed ticket matches too. <a href="/console/tickets?status=all&amp;q=printer&amp;list=1">Show them</a>');
      const onlyClosed = await page('/console/tickets?q=jam');
      expect(onlyClosed.text).toContain('No open ticket matches.');
      expect(onlyClosed.text).toContain('1 closed ticket matches too.');
      const all = await page('/console/tickets?status=all&q=jam');
      expect(all.text).toContain('>ZD-900</a>');
      expect(all.text).not.toContain('closed ticket matches');
    });

    it('finds a ticket by the label of a credential on it', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-555', subject: 'Nightly job' });
      await openTicketWithLink(tv, { externalRef: 'ZD-556', subject: 'Other' });
      await submitCredential(tv, linkToken, { kind: 'other', label: 'Warehouse NAS admin', fields: { notes: 'x-1' } });
      for (const q of ['warehouse nas', 'NAS', 'ehouse']) {
        const res = await page(`/console/tickets?q=${encodeURIComponent(q)}`);
        expect(res.text).toContain('>ZD-555</a>');
        expect(res.text).not.toContain('>ZD-556</a>');
      }
    });

    it('shows the total, the orders, and each ticket’s live credentials with the soonest expiry', async () => {
      const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-1' });
      await submitCredential(tv, linkToken);
      tv.clock.advance(1000);
      await openTicketWithLink(tv, { externalRef: 'ZD-2' });
      const id = (await tv.query('SELECT id FROM credentials'))[0]!.id as string;
      await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', tv.clock.now() + 3 * DAY + 3600_000, id);
      const res = await page('/console/tickets');
      expect(res.text).toContain('2 open tickets');
      expect(res.text).toMatch(/<td class="live" data-label="Live credentials" data-live="1"><strong>1<\/strong><span class="cell-note" data-soonest="[^"]+" title="[^"]+">first expires in 3 days<\/span><\/td>/);
      expect(res.text).toContain('data-live="0"><span class="muted">None</span>');
      expect(res.text).toMatch(/<option value="expiry">Soonest expiry<\/option>/);
      const byExpiry = await page('/console/tickets?sort=expiry');
      expect(byExpiry.text).toContain('>ZD-1</a>');
      expect(byExpiry.text).not.toContain('>ZD-2</a>');
      expect(byExpiry.text).toContain('1 open ticket');
      const byRef = await page('/console/tickets?sort=ref');
      expect(byRef.text.indexOf('>ZD-1</a>')).toBeLessThan(byRef.text.indexOf('>ZD-2</a>'));
      const newest = await page('/console/tickets');
      expect(newest.text.indexOf('>ZD-2</a>')).toBeLessThan(newest.text.indexOf('>ZD-1</a>'));
    });
  });

  describe('the ticket page', () => {
    it('says when each credential expires, in words, and marks one due within two days', async () => {
      const { ticketId, linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-31' });
      const soon = await submitCredential(tv, linkToken, { kind: 'other', label: 'Soon', fields: { notes: 'a' } });
      await submitCredential(tv, linkToken, { kind: 'other', label: 'Later', fields: { notes: 'b' } });
      await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', tv.clock.now() + 5 * 3600_000 + 60_000, soon.credentialId);
      const res = await page(`/console/tickets/${ticketId}`);
      expect(res.text).toContain('<span class="cell-note cell-note--soon" data-expires-in>expires in 5 hours</span>');
      expect(res.text).toMatch(/<span class="cell-note" data-expires-in>expires in \d+ days<\/span>/);
    });

    it('past its support period says so where "Create link" was, and offers no link form', async () => {
      const { ticketId } = await openTicketWithLink(tv, { externalRef: 'ZD-32', supportUntil: new Date(tv.clock.now() + 2 * DAY).toISOString() });
      expect((await page(`/console/tickets/${ticketId}`)).text).toContain('id="new-link-form"');
      tv.clock.advance(3 * DAY);
      cookie = await signIn(tv, 'engineer');
      const res = await page(`/console/tickets/${ticketId}`);
      expect(res.text).not.toContain('id="new-link-form"');
      expect(res.text).toContain('The customer’s support period has ended, so the ticket takes no new links.');
      // Its link ended with the support period: it does not read "works until" beside "Expired".
      const row = /<tr data-link-id="[^"]+">[\s\S]*?<\/tr>/.exec(res.text)![0];
      expect(row).toContain('<span class="cell-note">Ended</span>');
      expect(row).toContain('>Expired</span>');
      expect(row).not.toMatch(/ends in|Works until/);
      const list = await page('/console/tickets');
      expect(list.text).toContain('<span class="cell-note cell-note--soon">Support ended</span>');
    });

    it('words each link row by how it ends: ends in …, ended at its time, revoked, stopped with the ticket', async () => {
      const { ticketId } = await openTicketWithLink(tv, { externalRef: 'ZD-33' }, { ttlSeconds: 86400 });
      const working = await page(`/console/tickets/${ticketId}`);
      expect(/<tr data-link-id="[^"]+">[\s\S]*?<\/tr>/.exec(working.text)![0]).toContain('ends in 1 day');
      tv.clock.advance(2 * DAY);
      cookie = await signIn(tv, 'engineer');
      const ended = /<tr data-link-id="[^"]+">[\s\S]*?<\/tr>/.exec((await page(`/console/tickets/${ticketId}`)).text)![0];
      expect(ended).toContain('<span class="cell-note">Ended</span>');
      expect(ended).toContain('>Expired</span>');
      const second = await tv.http.post(`/api/v1/tickets/${ticketId}/intake-links`).set(tv.auth()).send({}).expect(201);
      await tv.http.delete(`/api/v1/intake-links/${second.body.id}`).set(tv.auth()).expect(204);
      const third = await tv.http.post(`/api/v1/tickets/${ticketId}/intake-links`).set(tv.auth()).send({}).expect(201);
      await tv.vault.tickets.closeTicket(ticketId, staffActorOf(tv));
      const html = (await page(`/console/tickets/${ticketId}`)).text;
      expect(new RegExp(`<tr data-link-id="${second.body.id}">[\\s\\S]*?</tr>`).exec(html)![0]).toContain('<span class="cell-note">Revoked</span>');
      expect(new RegExp(`<tr data-link-id="${third.body.id}">[\\s\\S]*?</tr>`).exec(html)![0]).toContain('Stopped when the ticket closed');
    });
  });
});
