import { jest } from '@jest/globals';
import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  dateFromNow,
  DAY,
  endOfDay,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  reopenTestVault,
  revealAs,
  staffActorOf,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "Lifetime rule": expiresAt = min(submittedAt + max age, supportUntil), and a credential
// that has ended keeps why it ended. These are the orders of events that could break that.

// A fresh vault per test (a sealed-box worker thread, a database on PostgreSQL): seconds under a loaded machine.
jest.setTimeout(30_000);

describe('expiry when events cross', () => {
  let tv: TestVault;
  afterEach(() => tv.close());

  it('a submission whose ticket had its support period shortened while the box was being opened expires with the new period', async () => {
    tv = await createTestVault({}, { sealedBoxThreads: 1 });
    const { linkToken, ticketId } = await openTicketWithLink(tv, { supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() });
    const intake = await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    const sealed = sealForPublicKey(JSON.stringify(FTP_FIELDS), new Uint8Array(Buffer.from(intake.body.publicKey, 'base64url')));

    // The box is opened on a worker thread: the support period moves before the submission is stored.
    const submitting = tv.vault.credentials.submitCredential(linkToken, { kind: 'ftp', sealed });
    const lastDay = dateFromNow(tv, 2 * DAY);
    const shortened = endOfDay(lastDay);
    await tv.vault.tickets.updateTicket(ticketId, { supportUntil: lastDay }, staffActorOf(tv));
    const submitted = await submitting;

    expect(submitted.expiresAt).toBe(new Date(shortened).toISOString());
    expect((await tv.vault.storage.read((s) => s.credentials.get(submitted.credentialId)))!.expiresAt).toBe(shortened);
    await revealAs(tv, submitted.credentialId).expect(200);
    await advanceClock(tv, shortened - tv.clock.now());
    expectProblem(await revealAs(tv, submitted.credentialId), 410, 'credential_expired');
  });

  it('a credential stored with an expiresAt past its support period is still refused once the period is over', async () => {
    tv = await createTestVault();
    const { linkToken, ticketId } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 2 * DAY) });
    const { credentialId } = await submitCredential(tv, linkToken);
    // A writer that broke the rule (a bug, or an old row): the ticket's period still bounds the reveal.
    await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', tv.clock.now() + 30 * DAY, credentialId);
    await revealAs(tv, credentialId).expect(200);
    await advanceClock(tv, 3 * DAY);
    expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
    const detail = await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    expect(detail.body.credentials[0]).toMatchObject({ status: 'expired', endedBecause: 'expired' });
  });

  it('a stored expiresAt past the support period (written before the fix) is brought in line by migration 017, and purged when the period ends', async () => {
    tv = await createTestVault();
    const { linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 2 * DAY) });
    const { credentialId } = await submitCredential(tv, linkToken);
    const supportUntil = (await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.expiresAt;
    await tv.exec('UPDATE credentials SET expires_at = ? WHERE id = ?', supportUntil + 27 * DAY, credentialId);
    // As if the database predated migration 017: it runs at the next start.
    await tv.exec('DELETE FROM schema_migrations WHERE version = 17');
    tv = await reopenTestVault(tv);
    expect((await tv.vault.storage.read((s) => s.credentials.get(credentialId)))!.expiresAt).toBe(supportUntil);
    await advanceClock(tv, 3 * DAY);
    await tv.vault.purge.runPurge();
    expect(await tv.vault.storage.read((s) => s.credentials.get(credentialId))).toMatchObject({ status: 'purged', endedBecause: 'expired' });
    expect(await tv.vault.storage.read((s) => s.credentials.getSecret(credentialId))).toBeUndefined();
  });

  it('closing a ticket keeps "expired" as why a credential ended when it was already due and the purge job had not run', async () => {
    tv = await createTestVault({ CREDENTIAL_MAX_AGE_SECONDS: String(2 * 24 * 3600) });
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const due = await submitCredential(tv, linkToken);
    await advanceClock(tv, DAY);
    const live = await submitCredential(tv, linkToken);
    await advanceClock(tv, 1.5 * DAY);
    expectProblem(await revealAs(tv, due.credentialId), 410, 'credential_expired');

    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

    expectProblem(await revealAs(tv, due.credentialId), 410, 'credential_expired');
    expectProblem(await revealAs(tv, live.credentialId), 410, 'ticket_closed');
    const byId = new Map((await tv.vault.storage.read((s) => s.credentials.listByTicket(ticketId))).map((c) => [c.id, c]));
    expect(byId.get(due.credentialId)).toMatchObject({ status: 'expired', endedBecause: 'expired' });
    expect(byId.get(live.credentialId)).toMatchObject({ status: 'expired', endedBecause: 'ticket_closed' });
    const ended = async (credentialId: string) => (await auditEvents(tv, { credentialId, action: 'credential.expired' })).map((e) => e.detail);
    expect(await ended(due.credentialId)).toEqual(['expired']);
    expect(await ended(live.credentialId)).toEqual(['ticket_closed']);
  });
});
