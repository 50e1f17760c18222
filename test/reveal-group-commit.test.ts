import {
  auditEvents,
  createTestVault,
  FTP_FIELDS,
  onPostgres,
  openTicketWithLink,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

/**
 * A trigger that refuses to insert the audit rows matching `when` (a condition on NEW), as a
 * failing disk would: SQLite's RAISE(ABORT) or PostgreSQL's plpgsql RAISE.
 */
async function refuseAuditInserts(tv: TestVault, name: string, when: string, message: string): Promise<void> {
  if (onPostgres) {
    await tv.exec(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF ${when} THEN RAISE EXCEPTION '${message}'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
  } else {
    await tv.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON audit_events WHEN ${when} BEGIN SELECT RAISE(ABORT, '${message}'); END`);
  }
}

// Concurrent reveals share one durable commit; each must still be audited before its secret
// leaves, and a reveal whose audit row cannot be written must not take the others down with it.
describe('POST /credentials/:id/reveal › when many reveals arrive together', () => {
  let tv: TestVault;
  let ids: string[];
  let receipts: string[];
  beforeEach(async () => {
    tv = await createTestVault();
    const { linkToken } = await openTicketWithLink(tv);
    ids = [];
    receipts = [];
    for (let i = 0; i < 12; i++) {
      const submitted = await submitCredential(tv, linkToken);
      ids.push(submitted.credentialId);
      receipts.push(submitted.receiptToken);
    }
  });
  afterEach(() => tv.close());

  const revealAll = (reason: string) =>
    Promise.all(ids.map((id) => tv.vault.reveal.revealCredential(id, { reason }, { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' }).then(
      (r) => ({ ok: true as const, fields: r.fields }),
      (e: { status?: number; code?: string }) => ({ ok: false as const, status: e.status, code: e.code }),
    )));

  it('answers each with its exact fields and writes one audit row per reveal, in a chain that verifies', async () => {
    const results = await revealAll('group');
    expect(results).toEqual(ids.map(() => ({ ok: true, fields: { ...FTP_FIELDS, protocol: 'sftp' } })));
    for (const id of ids) expect(await auditEvents(tv, { credentialId: id, action: 'credential.revealed' })).toHaveLength(1);
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
  });

  it('refuses only the reveal whose audit row cannot be written, and answers the rest', async () => {
    const doomed = ids[5]!;
    await refuseAuditInserts(tv, 'refuse_one', `NEW.credential_id = '${doomed}' AND NEW.action = 'credential.revealed'`, 'audit storage failed');
    const results = await revealAll('one fails');
    results.forEach((r, i) => {
      if (ids[i] === doomed) expect(r).toEqual({ ok: false, status: 503, code: 'audit_unavailable' });
      else expect(r).toEqual({ ok: true, fields: { ...FTP_FIELDS, protocol: 'sftp' } });
    });
    expect(await auditEvents(tv, { credentialId: doomed, action: 'credential.revealed' })).toHaveLength(0);
    for (const id of ids.filter((x) => x !== doomed)) expect(await auditEvents(tv, { credentialId: id, action: 'credential.revealed' })).toHaveLength(1);
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
  });

  it('gives no secret to anyone when no audit row can be written at all', async () => {
    await refuseAuditInserts(tv, 'refuse_all', 'TRUE', 'disk full');
    const results = await revealAll('all fail');
    expect(results).toEqual(ids.map(() => ({ ok: false, status: 503, code: 'audit_unavailable' })));
  });

  it('keeps the denials of a mixed group: restricted and revoked answer their codes, the rest reveal', async () => {
    await tv.vault.credentials.revokeCredential(ids[0]!, { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' });
    await tv.http.post(`/api/v1/receipts/${receipts[1]}/credentials/${ids[1]}/restrict`).expect(200);
    const results = await revealAll('mixed');
    expect(results[0]).toEqual({ ok: false, status: 410, code: 'credential_revoked' });
    expect(results[1]).toEqual({ ok: false, status: 423, code: 'credential_restricted' });
    expect(results.slice(2)).toEqual(ids.slice(2).map(() => ({ ok: true, fields: { ...FTP_FIELDS, protocol: 'sftp' } })));
    const actor = { type: 'staff', id: tv.staffIds.engineer, name: 'Engineer Person' };
    expect(await auditEvents(tv, { credentialId: ids[0]!, action: 'credential.reveal_denied' })).toEqual([
      expect.objectContaining({ credentialId: ids[0], detail: 'credential_revoked', reason: 'mixed', actor }),
    ]);
    expect(await auditEvents(tv, { credentialId: ids[1]!, action: 'credential.reveal_denied' })).toEqual([
      expect.objectContaining({ credentialId: ids[1], detail: 'credential_restricted', reason: 'mixed', actor }),
    ]);
    for (const id of ids.slice(0, 2)) expect(await auditEvents(tv, { credentialId: id, action: 'credential.revealed' })).toHaveLength(0);
    for (const id of ids.slice(2)) expect(await auditEvents(tv, { credentialId: id, action: 'credential.revealed' })).toHaveLength(1);
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
  });
});

describe('POST /intake/:token/credentials › when submissions arrive together', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('stores exactly maxUses of them and answers the rest 410 intake_link_used_up', async () => {
    const { linkToken, ticketId } = await openTicketWithLink(tv, {}, { maxUses: 3 });
    const results = await Promise.all(
      Array.from({ length: 7 }, () =>
        tv.vault.credentials.submitCredential(linkToken, { kind: 'teamviewer', fields: { partnerId: '123456789', password: 'tv-pass' } }).then(
          () => 201,
          (e: { status: number; code: string }) => `${e.status} ${e.code}`,
        ),
      ),
    );
    expect(results.filter((r) => r === 201)).toHaveLength(3);
    expect(results.filter((r) => r === '410 intake_link_used_up')).toHaveLength(4);
    expect(await tv.vault.storage.read((s) => s.credentials.listByTicket(ticketId))).toHaveLength(3);
    expect(await auditEvents(tv, { ticketId, action: 'credential.submitted' })).toHaveLength(3);
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
  });
});
