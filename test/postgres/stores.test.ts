import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalJson } from '../../src/audit/audit-chain.js';
import type { AuditRow } from '../../src/audit/audit-store.js';
import type { StaffRecord } from '../../src/staff-auth/staff-store.js';
import type { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { AUDIT_PAGE_ROWS } from '../../src/storage/postgres/audit-store.js';
import type { Stores } from '../../src/storage/storage.js';
import { openTestStorage } from '../harness/postgres.js';
import { arrangeCredentials, credentialRecord, DAY, linkRecord, receiptRecord, secretOf, T0, ticketRecord, type PgStores } from './records.js';

// Each PostgreSQL store against what its SQLite twin answers (src/<noun>/<noun>-store.ts).

const as = (stores: Stores) => stores as unknown as PgStores;

describe('PostgreSQL stores', () => {
  let opened: Awaited<ReturnType<typeof openTestStorage>>;
  let storage: PostgresStorage;
  const write = <T>(fn: (s: PgStores) => Promise<T>) => storage.write((s) => fn(as(s)));
  const read = <T>(fn: (s: PgStores) => Promise<T>) => storage.read((s) => fn(as(s)));
  beforeAll(async () => {
    opened = await openTestStorage();
    ({ storage } = opened);
  });
  afterAll(() => opened.close());

  describe('tickets', () => {
    it('stores and finds a ticket by id and by external ref, numbers as numbers', async () => {
      const ticket = ticketRecord({ customerName: null, createdBy: 'staff-1' });
      await write((s) => s.tickets.insert(ticket));
      expect(await read((s) => s.tickets.get(ticket.id))).toEqual(ticket);
      expect(await read((s) => s.tickets.getByExternalRef(ticket.externalRef))).toEqual(ticket);
      expect(await read((s) => s.tickets.get('nope'))).toBeUndefined();
      await expect(write((s) => s.tickets.insert({ ...ticketRecord(), externalRef: ticket.externalRef }))).rejects.toThrow(/unique/);
    });

    it('closes, reopens and updates only the given fields', async () => {
      const ticket = ticketRecord();
      await write((s) => s.tickets.insert(ticket));
      await write((s) => s.tickets.setStatus(ticket.id, 'closed', T0 + 5));
      expect(await read((s) => s.tickets.get(ticket.id))).toMatchObject({ status: 'closed', closedAt: T0 + 5, updatedAt: T0 + 5 });
      await write((s) => s.tickets.setStatus(ticket.id, 'open', T0 + 6));
      expect(await read((s) => s.tickets.get(ticket.id))).toMatchObject({ status: 'open', closedAt: null, updatedAt: T0 + 6 });
      await write((s) => s.tickets.update(ticket.id, { subject: 'New', customerName: null }, T0 + 7));
      expect(await read((s) => s.tickets.get(ticket.id))).toEqual({ ...ticket, subject: 'New', customerName: null, updatedAt: T0 + 7 });
    });

    it('lists newest first by (createdAt, id) in byte order, pages by cursor, filters and counts live credentials', async () => {
      const at = T0 + 100 * DAY;
      const ids = ['b-ticket', 'B-ticket', 'a-ticket'];
      for (const id of ids) await write((s) => s.tickets.insert(ticketRecord({ id, createdAt: at, status: id === 'a-ticket' ? 'closed' : 'open' })));
      await write(async (s) => {
        const receipt = receiptRecord('b-ticket');
        await s.receipts.insert(receipt);
        await s.credentials.insert(credentialRecord('b-ticket', receipt.id), secretOf());
        await s.credentials.insert(credentialRecord('b-ticket', receipt.id, { status: 'revoked' }), secretOf());
      });
      const first = await read((s) => s.tickets.list({ sort: 'created', limit: 2 }));
      expect(first.map((t) => t.id)).toEqual(['b-ticket', 'a-ticket']);
      expect(first[0]!.liveCredentials).toBe(1);
      const next = await read((s) => s.tickets.list({ sort: 'created', limit: 2, after: { key: at, id: 'a-ticket' } }));
      expect(next[0]!.id).toBe('B-ticket');
      expect((await read((s) => s.tickets.list({ sort: 'created', limit: 10, status: 'closed' }))).map((t) => t.id)).toEqual(['a-ticket']);
    });

    it('searches the four columns, case-insensitively for ASCII letters only (as SQLite LIKE), with % _ \\ taken literally', async () => {
      const at = T0 + 200 * DAY;
      const make = (subject: string, over = {}) => ({ ...ticketRecord({ subject, createdAt: at, customerEmail: 'x@y.test', customerName: null, ...over }) });
      const muller = make('Müller GmbH: SFTP login');
      const percent = make('100% CPU on import_job');
      const slash = make('back\\slash path');
      const named = make('Other', { customerName: 'Casey Quartermaine' });
      for (const t of [muller, percent, slash, named]) await write((s) => s.tickets.insert(t));
      const search = async (q: string) => (await read((s) => s.tickets.list({ sort: 'created', limit: 50, q }))).filter((t) => t.createdAt === at).map((t) => t.id).sort();
      expect(await search('sftp LOGIN')).toEqual([muller.id]);
      expect(await search('müller')).toEqual([muller.id]);
      expect(await search('MÜLLER')).toEqual([]);
      expect(await search('0%')).toEqual([percent.id]);
      expect(await search('t_j')).toEqual([percent.id]);
      expect(await search('_')).toEqual([percent.id]);
      expect(await search('k\\s')).toEqual([slash.id]);
      expect(await search('quarterMAINE')).toEqual([named.id]);
      expect(await search('x@Y.TEST')).toHaveLength(4);
    });
  });

  describe('intake links', () => {
    it('stores, finds by token hash, lists by ticket and revokes once', async () => {
      const ticket = ticketRecord();
      const a = linkRecord(ticket.id, { createdAt: T0 + 2, maxUses: null });
      const b = linkRecord(ticket.id, { createdAt: T0 + 1, createdBy: 'staff-1' });
      await write(async (s) => {
        await s.tickets.insert(ticket);
        await s.intakeLinks.insert(a);
        await s.intakeLinks.insert(b);
      });
      expect(await read((s) => s.intakeLinks.getByTokenHash(a.tokenHash))).toEqual(a);
      expect(await read((s) => s.intakeLinks.get(b.id))).toEqual(b);
      expect((await read((s) => s.intakeLinks.listByTicket(ticket.id))).map((l) => l.id)).toEqual([b.id, a.id]);
      expect(await write((s) => s.intakeLinks.revoke(a.id, T0 + 3))).toBe(true);
      expect(await write((s) => s.intakeLinks.revoke(a.id, T0 + 4))).toBe(false);
      expect((await read((s) => s.intakeLinks.get(a.id)))!.revokedAt).toBe(T0 + 3);
    });

    it('useIfUsable counts a use only while the link and its ticket can take a submission', async () => {
      const ticket = ticketRecord();
      const closed = ticketRecord({ status: 'closed' });
      const ended = ticketRecord({ supportUntil: T0 + 10 });
      const usable = linkRecord(ticket.id, { maxUses: 2 });
      const unlimited = linkRecord(ticket.id, { maxUses: null, uses: 500 });
      const revoked = linkRecord(ticket.id, { revokedAt: T0 });
      const expired = linkRecord(ticket.id, { expiresAt: T0 + 10 });
      const onClosed = linkRecord(closed.id);
      const onEnded = linkRecord(ended.id);
      await write(async (s) => {
        for (const t of [ticket, closed, ended]) await s.tickets.insert(t);
        for (const l of [usable, unlimited, revoked, expired, onClosed, onEnded]) await s.intakeLinks.insert(l);
      });
      const use = (id: string) => write((s) => s.intakeLinks.useIfUsable(id, T0 + 10));
      expect(await use(usable.id)).toBe(ticket.supportUntil);
      expect(await use(usable.id)).toBe(ticket.supportUntil);
      expect(await use(usable.id)).toBeNull();
      expect(await use(unlimited.id)).toBe(ticket.supportUntil);
      for (const l of [revoked, expired, onClosed, onEnded]) expect(await use(l.id)).toBeNull();
      expect(await use('nope')).toBeNull();
      expect((await read((s) => s.intakeLinks.get(usable.id)))!.uses).toBe(2);
      expect((await read((s) => s.intakeLinks.get(revoked.id)))!.uses).toBe(0);
    });
  });

  describe('receipts', () => {
    it('stores, finds, pages by id, switches reveal notices and rewraps the token', async () => {
      const ticket = ticketRecord();
      const receipts = ['r-b', 'r-a', 'r-c'].map((id) => receiptRecord(ticket.id, { id }));
      await write(async (s) => {
        await s.tickets.insert(ticket);
        for (const r of receipts) await s.receipts.insert(r);
      });
      expect(await read((s) => s.receipts.get('r-a'))).toEqual(receipts[1]);
      expect(await read((s) => s.receipts.getByTokenHash(receipts[2]!.tokenHash))).toEqual(receipts[2]);
      expect((await read((s) => s.receipts.listPage('r-a', 5))).map((r) => r.id)).toEqual(['r-b', 'r-c']);
      await write((s) => s.receipts.setNotifyOnReveal('r-a', false));
      expect((await read((s) => s.receipts.get('r-a')))!.notifyOnReveal).toBe(false);
      const wrapped = new Uint8Array([1, 2, 3]);
      await write((s) => s.receipts.rewrapToken('r-a', 'kek-2', wrapped));
      expect(await read((s) => s.receipts.get('r-a'))).toMatchObject({ tokenKekId: 'kek-2', tokenWrapped: wrapped });
    });
  });

  describe('credentials', () => {
    it('stores a credential with its secret and reads it for a reveal', async () => {
      const { ticket, receipt } = await write((s) => arrangeCredentials(s, 0));
      const credential = credentialRecord(ticket.id, receipt.id);
      const secret = secretOf();
      await write((s) => s.credentials.insert(credential, secret));
      expect(await read((s) => s.credentials.get(credential.id))).toEqual(credential);
      expect(await read((s) => s.credentials.getSecret(credential.id))).toEqual(secret);
      expect(await read((s) => s.credentials.getForReveal(credential.id))).toEqual({
        ...credential,
        ticket: { status: 'open', supportUntil: ticket.supportUntil },
        externalRef: ticket.externalRef,
        askFirst: false,
        // The reveal's one read brings the file list too (none here: DESIGN "Attachments").
        secret: { ...secret, filesManifest: null },
      });
      expect(await read((s) => s.credentials.getForReveal('nope'))).toBeUndefined();
    });

    it('lists by ticket, receipt and live, in submission order', async () => {
      const { ticket, receipt, credentials } = await write((s) => arrangeCredentials(s, 3));
      await write((s) => s.credentials.end(credentials[1]!.id, 'revoked', 'revoked', T0 + 1));
      expect((await read((s) => s.credentials.listByTicket(ticket.id))).map((c) => c.id)).toEqual(credentials.map((c) => c.id));
      expect((await read((s) => s.credentials.listByReceipt(receipt.id))).map((c) => c.id)).toEqual(credentials.map((c) => c.id));
      expect((await read((s) => s.credentials.listLiveByTicket(ticket.id))).map((c) => c.id)).toEqual([credentials[0]!.id, credentials[2]!.id]);
    });

    it('ends only a live credential; purges only an ended one, with its secret, once', async () => {
      const { credentials } = await write((s) => arrangeCredentials(s, 2));
      const [a, b] = credentials.map((c) => c.id) as [string, string];
      expect(await write((s) => s.credentials.purge(a, T0 + 1))).toBe(false);
      expect(await read((s) => s.credentials.getSecret(a))).toBeDefined();
      expect(await write((s) => s.credentials.end(a, 'withdrawn', 'withdrawn', T0 + 2))).toBe(true);
      expect(await write((s) => s.credentials.end(a, 'revoked', 'revoked', T0 + 3))).toBe(false);
      expect(await write((s) => s.credentials.purge(a, T0 + 4))).toBe(true);
      expect(await write((s) => s.credentials.purge(a, T0 + 5))).toBe(false);
      expect(await read((s) => s.credentials.get(a))).toMatchObject({ status: 'purged', endedBecause: 'withdrawn', endedAt: T0 + 2, purgedAt: T0 + 4 });
      expect(await read((s) => s.credentials.getSecret(a))).toBeUndefined();
      expect((await read((s) => s.credentials.getForReveal(a)))!.secret).toBeNull();
      const ended = await read((s) => s.credentials.listEnded());
      expect(ended).toContainEqual({ id: a, endedBecause: 'withdrawn' });
      expect(ended.map((e) => e.id)).not.toContain(b);
    });

    it('changes status, expiry, the secret (marking it rectified) and its wrapping', async () => {
      const { credentials } = await write((s) => arrangeCredentials(s, 1));
      const id = credentials[0]!.id;
      await write((s) => s.credentials.setStatus(id, 'restricted', T0 + 1));
      await write((s) => s.credentials.setExpiresAt(id, T0 + 2 * DAY, T0 + 2));
      const secret = secretOf();
      await write((s) => s.credentials.replaceSecret(id, secret, T0 + 3));
      expect(await read((s) => s.credentials.get(id))).toMatchObject({ status: 'restricted', expiresAt: T0 + 2 * DAY, rectifiedAt: T0 + 3, updatedAt: T0 + 3 });
      expect(await read((s) => s.credentials.getSecret(id))).toEqual(secret);
      const dek = new Uint8Array([9, 9]);
      await write((s) => s.credentials.rewrapSecret(id, 'kek-2', dek));
      expect(await read((s) => s.credentials.getSecret(id))).toEqual({ kekId: 'kek-2', wrappedDek: dek, ciphertext: secret.ciphertext });
    });

    it('expireAndPurgeDue ends and destroys only live credentials past their expiry, up to the limit', async () => {
      const far = T0 + 1000 * DAY;
      const { credentials } = await write((s) => arrangeCredentials(s, 4, { expiresAt: far }));
      const [due1, due2, due3, notYet] = credentials.map((c) => c.id) as [string, string, string, string];
      await write((s) => s.credentials.setExpiresAt(notYet, far + 10, T0));
      await write((s) => s.credentials.end(due3, 'revoked', 'revoked', T0));
      const first = await write((s) => s.credentials.expireAndPurgeDue(far, 1));
      const second = await write((s) => s.credentials.expireAndPurgeDue(far, 10));
      const mine = new Set(credentials.map((c) => c.id));
      expect([...first, ...second].map((c) => c.id).filter((id) => mine.has(id)).sort()).toEqual([due1, due2].sort());
      expect(first).toHaveLength(1);
      expect(second.find((c) => c.id === due2) ?? first[0]).toEqual({ id: due2, ticketId: credentials[0]!.ticketId, receiptId: credentials[0]!.receiptId });
      expect(await read((s) => s.credentials.get(due1))).toMatchObject({ status: 'purged', endedBecause: 'expired', endedAt: far, purgedAt: far });
      expect(await read((s) => s.credentials.getSecret(due1))).toBeUndefined();
      expect(await read((s) => s.credentials.getSecret(notYet))).toBeDefined();
      expect((await read((s) => s.credentials.get(due3)))!.status).toBe('revoked');
    });

    it('purgeEnded destroys ended credentials and reports why each ended', async () => {
      const { credentials } = await write((s) => arrangeCredentials(s, 2));
      await write((s) => s.credentials.end(credentials[0]!.id, 'revoked', 'revoked', T0));
      const purged = await write((s) => s.credentials.purgeEnded(T0 + 1, 100));
      expect(purged).toContainEqual({ id: credentials[0]!.id, ticketId: credentials[0]!.ticketId, receiptId: credentials[0]!.receiptId, endedBecause: 'revoked' });
      expect(purged.map((p) => p.id)).not.toContain(credentials[1]!.id);
      expect(await read((s) => s.credentials.getSecret(credentials[0]!.id))).toBeUndefined();
    });

    it('pages secrets by credential id', async () => {
      const { ticket, receipt } = await write((s) => arrangeCredentials(s, 0));
      for (const id of ['zz-2', 'zz-1', 'zz-3']) await write((s) => s.credentials.insert(credentialRecord(ticket.id, receipt.id, { id }), secretOf()));
      expect((await read((s) => s.credentials.listSecretsPage('zz-1', 5))).map((r) => r.id)).toEqual(['zz-2', 'zz-3']);
      expect((await read((s) => s.credentials.listSecretsPage('zz-0', 1)))[0]).toMatchObject({ id: 'zz-1', ticketId: ticket.id, kind: 'ssh', kekId: 'kek-1' });
    });
  });

  describe('staff, sessions and sign-in throttles', () => {
    const member = (over: Partial<StaffRecord> = {}): StaffRecord => ({
      id: randomUUID(),
      email: `${randomUUID()}@desk.test`,
      name: 'Sam',
      role: 'engineer',
      passwordHash: null,
      oidcSubject: null,
      disabledAt: null,
      tokensValidAfter: 0,
      createdAt: T0,
      updatedAt: T0,
      ...over,
    });

    it('finds a member by id, e-mail whatever its case, and OIDC subject; e-mail is unique whatever its case', async () => {
      const m = member({ email: 'Ada@Desk.test', oidcSubject: 'https://idp.test ada' });
      await write((s) => s.staff.insert(m));
      expect(await read((s) => s.staff.get(m.id))).toEqual(m);
      expect(await read((s) => s.staff.getByEmail('ada@desk.TEST'))).toEqual(m);
      expect(await read((s) => s.staff.getByOidcSubject('https://idp.test ada'))).toEqual(m);
      await expect(write((s) => s.staff.insert(member({ email: 'ADA@desk.test' })))).rejects.toThrow(/unique/);
    });

    it('counts active admins, lists by e-mail and applies changes at once (no cache)', async () => {
      const before = await read((s) => s.staff.countActiveAdmins());
      const admin = member({ role: 'admin', email: 'aaa-admin@desk.test' });
      await write((s) => s.staff.insert(admin));
      expect(await read((s) => s.staff.countActiveAdmins())).toBe(before + 1);
      expect(await read((s) => s.staff.get(admin.id))).toMatchObject({ role: 'admin' });
      await write((s) => s.staff.update(admin.id, { disabledAt: T0 + 1, tokensValidAfter: T0 + 1, role: 'auditor' }, T0 + 1));
      expect(await read((s) => s.staff.get(admin.id))).toMatchObject({ role: 'auditor', disabledAt: T0 + 1, tokensValidAfter: T0 + 1, updatedAt: T0 + 1 });
      expect(await read((s) => s.staff.countActiveAdmins())).toBe(before);
      const emails = (await read((s) => s.staff.list())).map((m) => m.email.toLowerCase());
      expect(emails).toEqual([...emails].sort());
    });

    it('sessions: renew while live, end once, end all of a member (tokens_revoked too), delete stale', async () => {
      const m = member();
      await write((s) => s.staff.insert(m));
      const session = (over = {}) => ({ id: randomUUID(), tokenHash: randomBytes(32), staffId: m.id, method: 'password' as const, createdAt: T0, authenticatedAt: T0, lastSeenAt: T0, expiresAt: T0 + DAY, endedAt: null, endedBecause: null, enrolmentDue: false, ...over });
      const [a, b, c] = [session(), session(), session({ expiresAt: T0 + 1 })];
      for (const x of [a, b, c]) await write((s) => s.staffSessions.insert(x));
      expect(await read((s) => s.staffSessions.getByTokenHash(a.tokenHash))).toEqual(a);
      expect(await write((s) => s.staffSessions.renew(a.id, T0 + 5, T0 + 2 * DAY))).toBe(true);
      expect(await write((s) => s.staffSessions.end(a.id, 'logout', T0 + 6))).toBe(true);
      expect(await write((s) => s.staffSessions.end(a.id, 'logout', T0 + 7))).toBe(false);
      expect(await write((s) => s.staffSessions.renew(a.id, T0 + 8, T0 + 3 * DAY))).toBe(false);
      expect(await read((s) => s.staffSessions.getByTokenHash(a.tokenHash))).toMatchObject({ lastSeenAt: T0 + 5, expiresAt: T0 + 2 * DAY, endedAt: T0 + 6, endedBecause: 'logout' });
      expect(await write((s) => s.staffSessions.endAllForStaff(m.id, 'tokens_revoked', T0 + 9))).toBe(2);
      expect(await write((s) => s.staffSessions.deleteStale(T0 + 7))).toBeGreaterThanOrEqual(2);
      expect(await read((s) => s.staffSessions.getByTokenHash(b.tokenHash))).toMatchObject({ endedBecause: 'tokens_revoked' });
      expect(await read((s) => s.staffSessions.getByTokenHash(c.tokenHash))).toBeUndefined();
    });

    it('sessions: a step-up moves authenticated_at of a live one; an enrolment releases every session of the member', async () => {
      const m = member();
      await write((s) => s.staff.insert(m));
      const a = { id: randomUUID(), tokenHash: randomBytes(32), staffId: m.id, method: 'password+totp' as const, createdAt: T0, authenticatedAt: T0, lastSeenAt: T0, expiresAt: T0 + DAY, endedAt: null, endedBecause: null, enrolmentDue: true };
      const b = { ...a, id: randomUUID(), tokenHash: randomBytes(32), method: 'password' as const };
      for (const x of [a, b]) await write((s) => s.staffSessions.insert(x));
      expect(await read((s) => s.staffSessions.getByTokenHash(a.tokenHash))).toEqual(a);
      expect(await write((s) => s.staffSessions.reauthenticate(a.id, T0 + 5))).toBe(true);
      await write((s) => s.staffSessions.clearEnrolmentDue(m.id));
      expect(await read((s) => s.staffSessions.getByTokenHash(a.tokenHash))).toMatchObject({ authenticatedAt: T0 + 5, enrolmentDue: false });
      expect(await read((s) => s.staffSessions.getByTokenHash(b.tokenHash))).toMatchObject({ authenticatedAt: T0, enrolmentDue: false });
      await write((s) => s.staffSessions.end(a.id, 'logout', T0 + 6));
      expect(await write((s) => s.staffSessions.reauthenticate(a.id, T0 + 7))).toBe(false);
    });

    it('second factors: a TOTP step is taken once and only forwards; recovery codes are spent once and replaced whole; settings are shared', async () => {
      const m = member();
      await write((s) => s.staff.insert(m));
      const factor = {
        id: randomUUID(),
        staffId: m.id,
        kind: 'totp' as const,
        name: 'Phone',
        kekId: 'kek_a',
        secretWrapped: randomBytes(60),
        lastStep: null,
        credentialId: null,
        publicKey: null,
        signCount: null,
        transports: null,
        confirmedAt: null,
        createdAt: T0,
        lastUsedAt: null,
      };
      await write((s) => s.secondFactors.insert(factor));
      expect(await read((s) => s.secondFactors.get(factor.id))).toEqual(factor);
      expect(await write((s) => s.secondFactors.useStep(factor.id, 10, T0))).toBe(false); // unconfirmed
      expect(await read((s) => s.secondFactors.countConfirmed([m.id]))).toEqual(new Map());
      expect(await write((s) => s.secondFactors.confirm(factor.id, 10, T0 + 1))).toBe(true);
      expect(await write((s) => s.secondFactors.confirm(factor.id, 11, T0 + 1))).toBe(false);
      expect(await read((s) => s.secondFactors.countConfirmed([m.id, randomUUID()]))).toEqual(new Map([[m.id, 1]]));
      expect(await write((s) => s.secondFactors.useStep(factor.id, 10, T0 + 2))).toBe(false);
      expect(await write((s) => s.secondFactors.useStep(factor.id, 12, T0 + 2))).toBe(true);
      expect(await write((s) => s.secondFactors.useStep(factor.id, 11, T0 + 3))).toBe(false);
      expect(await read((s) => s.secondFactors.listForStaff(m.id))).toEqual([{ ...factor, confirmedAt: T0 + 1, lastStep: 12, lastUsedAt: T0 + 2 }]);
      const wrapped = randomBytes(60);
      await write((s) => s.secondFactors.rewrap(factor.id, 'kek_b', wrapped));
      expect(await read((s) => s.secondFactors.listWrappedPage('', 1000))).toContainEqual(expect.objectContaining({ id: factor.id, kekId: 'kek_b', secretWrapped: wrapped }));

      const [one, two, three] = [randomBytes(32), randomBytes(32), randomBytes(32)];
      await write((s) => s.secondFactors.replaceRecoveryCodes(m.id, [one, two], T0));
      expect(await write((s) => s.secondFactors.useRecoveryCode(m.id, one, T0 + 1))).toBe(true);
      expect(await write((s) => s.secondFactors.useRecoveryCode(m.id, one, T0 + 2))).toBe(false);
      expect(await read((s) => s.secondFactors.countRecoveryCodesLeft(m.id))).toBe(1);
      await write((s) => s.secondFactors.replaceRecoveryCodes(m.id, [three], T0 + 3));
      expect(await write((s) => s.secondFactors.useRecoveryCode(m.id, two, T0 + 4))).toBe(false);
      expect(await write((s) => s.secondFactors.useRecoveryCode(m.id, three, T0 + 4))).toBe(true);
      expect(await write((s) => s.secondFactors.deleteAllForStaff(m.id))).toBe(1);
      expect(await write((s) => s.secondFactors.deleteRecoveryCodes(m.id))).toBe(1);

      // A passkey takes an answer only to a challenge issued after its last use.
      const passkey = { ...factor, id: randomUUID(), kind: 'passkey' as const, kekId: null, secretWrapped: null, credentialId: randomBytes(16), publicKey: randomBytes(77), signCount: 0, transports: '["internal"]', confirmedAt: T0 };
      await write((s) => s.secondFactors.insert(passkey));
      expect(await read((s) => s.secondFactors.getByCredentialId(passkey.credentialId))).toEqual(passkey);
      expect(await write((s) => s.secondFactors.usePasskey(passkey.id, 1, T0 + 10, T0 + 20))).toBe(true);
      expect(await write((s) => s.secondFactors.usePasskey(passkey.id, 2, T0 + 10, T0 + 30))).toBe(false);
      expect(await write((s) => s.secondFactors.usePasskey(passkey.id, 2, T0 + 20, T0 + 30))).toBe(false);
      expect(await write((s) => s.secondFactors.usePasskey(passkey.id, 2, T0 + 21, T0 + 30))).toBe(true);
      expect(await read((s) => s.secondFactors.get(passkey.id))).toMatchObject({ signCount: 2, lastUsedAt: T0 + 30 });
      expect(await write((s) => s.secondFactors.delete(passkey.id))).toBe(true);

      await write((s) => s.vaultSettings.set('mfa_required', 'true', T0));
      await write((s) => s.vaultSettings.set('mfa_required', 'false', T0 + 1));
      expect(await read((s) => s.vaultSettings.get('mfa_required'))).toBe('false');
      expect(await read((s) => s.vaultSettings.get('nothing'))).toBeUndefined();
    });

    it('throttles: counts hits in a window, starts a new one after it, releases down to 0, clears and prunes', async () => {
      const key = `ip:${randomUUID()}`;
      const hit = (now: number) => write((s) => s.loginThrottles.hit(key, now, 1000));
      expect(await hit(T0)).toEqual({ attempts: 1, windowStartedAt: T0 });
      expect(await hit(T0 + 999)).toEqual({ attempts: 2, windowStartedAt: T0 });
      expect(await hit(T0 + 1000)).toEqual({ attempts: 1, windowStartedAt: T0 + 1000 });
      await write((s) => s.loginThrottles.release(key));
      await write((s) => s.loginThrottles.release(key));
      expect(await hit(T0 + 1001)).toEqual({ attempts: 1, windowStartedAt: T0 + 1000 });
      await write((s) => s.loginThrottles.clear(key));
      expect(await hit(T0 + 1002)).toEqual({ attempts: 1, windowStartedAt: T0 + 1002 });
      await write((s) => s.loginThrottles.deleteStale(T0 + 1003));
      expect(await hit(T0 + 1004)).toEqual({ attempts: 1, windowStartedAt: T0 + 1004 });
    });
  });

  describe('audit', () => {
    const row = (seq: number, over: Partial<AuditRow> = {}): AuditRow => ({
      seq,
      at: T0 + seq,
      action: 'credential.revealed',
      actor_type: 'staff',
      actor_id: 'staff-1',
      actor_name: 'Sam "the" Admin',
      ticket_id: 't-1',
      credential_id: `c-${seq % 3}`,
      reason: 'needed ü',
      detail: null,
      ip: '10.0.0.1',
      user_agent: null,
      prev_hash: Buffer.alloc(32, seq - 1),
      hash: Buffer.alloc(32, seq),
      ...over,
    });

    it('appends, reads the head, queries newest first with filters and counts reveals', async () => {
      expect(await read((s) => s.audit.head())).toBeUndefined();
      expect(await read((s) => s.audit.maxSeq())).toBe(0);
      await write(async (s) => {
        for (let seq = 1; seq <= 9; seq++) await s.audit.insert(row(seq, seq === 5 ? { action: 'ticket.closed', credential_id: null } : {}));
      });
      expect(await read((s) => s.audit.head())).toEqual({ seq: 9, hash: Buffer.alloc(32, 9) });
      expect(await read((s) => s.audit.maxSeq())).toBe(9);
      const page = await read((s) => s.audit.query({ limit: 3, beforeSeq: 9 }));
      expect(page.map((r) => r.seq)).toEqual([8, 7, 6]);
      expect(page[0]).toEqual(row(8));
      expect((await read((s) => s.audit.query({ limit: 50, action: 'ticket.closed' }))).map((r) => r.seq)).toEqual([5]);
      expect((await read((s) => s.audit.query({ limit: 50, credentialId: 'c-1', since: T0 + 4, until: T0 + 7 }))).map((r) => r.seq)).toEqual([4]);
      expect((await read((s) => s.audit.query({ limit: 50, ticketId: 'none' })))).toEqual([]);
      expect((await read((s) => s.audit.revealsOf(['c-0', 'c-2']))).map((r) => r.seq)).toEqual([2, 3, 6, 8, 9]);
      expect(await read((s) => s.audit.revealsOf([]))).toEqual([]);
      expect(await read((s) => s.audit.countReveals(['c-0', 'c-1', 'c-9']))).toEqual(new Map([['c-0', 3], ['c-1', 3]]));
      expect(await read((s) => s.audit.canonicalOf(8))).toBe(canonicalJson([8, T0 + 8, 'credential.revealed', 'staff', 'staff-1', 'Sam "the" Admin', 't-1', 'c-2', 'needed ü', null, '10.0.0.1', null]));
      expect(await read((s) => s.audit.canonicalOf(99))).toBeUndefined();
    });

    it(`streams every row in seq order across pages of ${AUDIT_PAGE_ROWS}`, async () => {
      const from = (await read((s) => s.audit.maxSeq())) + 1;
      const count = AUDIT_PAGE_ROWS + 7;
      await storage.pool.query(
        `INSERT INTO audit_events (seq, at, action, actor_type, prev_hash, hash)
         SELECT g, $3::bigint + g, 'staff.login', 'staff', '\\x00', '\\x01' FROM generate_series($1::bigint, $2::bigint) g`,
        [from, from + count - 1, T0],
      );
      const seqs: number[] = [];
      await read(async (s) => {
        for await (const r of s.audit.iterate()) seqs.push(r.seq);
      });
      expect(seqs).toEqual(Array.from({ length: from + count - 1 }, (_, i) => i + 1));
      const since: number[] = [];
      await read(async (s) => {
        for await (const r of s.audit.iterate(T0 + from + count - 3)) since.push(r.seq);
      });
      expect(since).toEqual([from + count - 3, from + count - 2, from + count - 1]);
      const chain: number[] = [];
      await read(async (s) => {
        for await (const [seq, canonical] of s.audit.iterateChain(2, from + 1)) {
          chain.push(seq);
          if (seq === 2) expect(canonical).toBe(await s.audit.canonicalOf(2));
        }
      });
      expect(chain).toEqual(Array.from({ length: from }, (_, i) => i + 2));
    });
  });

  describe('notice outbox', () => {
    it('queues, lists due rows with the facts their e-mails tell, and records each outcome', async () => {
      const { ticket, receipt, credentials } = await write((s) => arrangeCredentials(s, 1));
      const c = credentials[0]!;
      const quiet = receiptRecord(ticket.id, { notifyOnReveal: false });
      await write((s) => s.receipts.insert(quiet));
      const seq = (await read((s) => s.audit.maxSeq())) + 1;
      await write(async (s) => {
        await s.audit.insert({ seq, at: T0 + 3, action: 'credential.revealed', actor_type: 'staff', actor_id: 's', actor_name: 'Sam', ticket_id: ticket.id, credential_id: c.id, reason: 'fix it', detail: null, ip: null, user_agent: null, prev_hash: Buffer.alloc(32), hash: Buffer.alloc(32, 1) });
        await s.noticeOutbox.queueRevealNotice({ ticketId: ticket.id, credentialId: c.id, receiptId: receipt.id, at: T0 + 3, auditSeq: seq });
        await s.noticeOutbox.queueRevealNotice({ ticketId: ticket.id, credentialId: c.id, receiptId: quiet.id, at: T0 + 3, auditSeq: seq });
        await s.noticeOutbox.queueSubmissionNotice({ ticketId: ticket.id, credentialId: c.id, receiptId: receipt.id, at: T0 + 1 });
        await s.noticeOutbox.queueDestructionNotice({ ticketId: ticket.id, credentialId: c.id, receiptId: receipt.id, at: T0 + 10 * DAY });
      });
      const due = await write((s) => s.noticeOutbox.listDue(T0 + 5, 10));
      expect(due.map((n) => n.kind)).toEqual(['submission', 'reveal']);
      expect(due[1]).toEqual({
        id: due[1]!.id,
        kind: 'reveal',
        attempts: 0,
        createdAt: T0 + 3,
        ticket: { id: ticket.id, externalRef: ticket.externalRef, subject: ticket.subject, customerEmail: ticket.customerEmail, customerName: ticket.customerName },
        credential: { id: c.id, kind: c.kind, label: c.label, status: 'active', endedBecause: null, submittedAt: c.submittedAt, endedAt: null, purgedAt: null },
        receipt: { id: receipt.id, tokenKekId: receipt.tokenKekId, tokenWrapped: receipt.tokenWrapped, language: null },
        reveal: { at: T0 + 3, by: 'Sam', reason: 'fix it' },
        engineer: null,
      });
      // The customer's language, kept with the receipt, reaches the e-mail.
      await write((s) => s.receipts.setLanguage(receipt.id, 'pl'));
      expect((await read((s) => s.receipts.get(receipt.id)))!.language).toBe('pl');
      expect((await write((s) => s.noticeOutbox.listDue(T0 + 5, 10)))[1]!.receipt.language).toBe('pl');
      const [submission, reveal] = due.map((n) => n.id) as [number, number];
      await write((s) => s.noticeOutbox.scheduleRetry([submission], T0 + 100, 'smtp 451'));
      await write((s) => s.noticeOutbox.markSent([reveal], T0 + 6));
      expect((await write((s) => s.noticeOutbox.listDue(T0 + 99, 10))).map((n) => n.id)).toEqual([]);
      const again = await write((s) => s.noticeOutbox.listDue(T0 + 100, 10));
      expect(again.map((n) => [n.id, n.attempts])).toEqual([[submission, 1]]);
      await write((s) => s.noticeOutbox.markFailed([submission], T0 + 101, 'gave up'));
      expect(await write((s) => s.noticeOutbox.discardDue(T0 + 11 * DAY, 'not sent: SMTP_URL is not set'))).toEqual([{ kind: 'destruction', count: 1 }]);
      expect(await write((s) => s.noticeOutbox.listDue(T0 + 12 * DAY, 10))).toEqual([]);
      expect(await write((s) => s.noticeOutbox.prune(T0 + 7, T0 + 102))).toBe(2);
    });

    it('names the engineer who made the link unless they are disabled', async () => {
      const engineer = { id: randomUUID(), email: `${randomUUID()}@desk.test`, name: 'Eve', role: 'engineer' as const, passwordHash: null, oidcSubject: null, disabledAt: null, tokensValidAfter: 0, createdAt: T0, updatedAt: T0 };
      const ticket = ticketRecord();
      const link = linkRecord(ticket.id, { createdBy: engineer.id });
      const receipt = receiptRecord(ticket.id, { intakeLinkId: link.id });
      const c = credentialRecord(ticket.id, receipt.id, { intakeLinkId: link.id });
      await write(async (s) => {
        await s.staff.insert(engineer);
        await s.tickets.insert(ticket);
        await s.intakeLinks.insert(link);
        await s.receipts.insert(receipt);
        await s.credentials.insert(c, secretOf());
        await s.noticeOutbox.queueSubmissionNotice({ ticketId: ticket.id, credentialId: c.id, receiptId: receipt.id, at: T0 + 20 * DAY });
      });
      const mine = async () => (await write((s) => s.noticeOutbox.listDue(T0 + 20 * DAY, 100))).find((n) => n.credential.id === c.id)!;
      expect((await mine()).engineer).toEqual({ email: engineer.email, name: 'Eve' });
      await write((s) => s.staff.update(engineer.id, { disabledAt: T0 }, T0));
      expect((await mine()).engineer).toBeNull();
    });
  });

  describe('webhook events and vault keys', () => {
    it('knows a stored event id; a second insert of it is refused', async () => {
      const record = { source: 'zendesk', eventId: 'e-42', event: 'ticket.closed', externalRef: 'ZD-1', result: 'ignored' as const, receivedAt: T0 };
      expect(await read((s) => s.webhookEvents.has('zendesk', 'e-42'))).toBe(false);
      await write((s) => s.webhookEvents.insert(record));
      expect(await read((s) => s.webhookEvents.has('zendesk', 'e-42'))).toBe(true);
      expect(await read((s) => s.webhookEvents.has('freshdesk', 'e-42'))).toBe(false);
      await expect(write((s) => s.webhookEvents.insert(record))).rejects.toThrow(/duplicate key/);
    });

    it('vault keys: current is the newest not retired, read fresh; retire, rewrap, delete retired', async () => {
      const key = (id: string, createdAt: number) => ({ id, purpose: 'signing' as const, kekId: 'kek-1', wrapped: new Uint8Array([1]), publicKey: id === 'k-1' ? new Uint8Array([2]) : null, createdAt, retiredAt: null });
      await write((s) => s.vaultKeys.insert(key('k-1', T0)));
      expect((await read((s) => s.vaultKeys.current('signing')))!.id).toBe('k-1');
      await write((s) => s.vaultKeys.insert(key('k-2', T0 + 1)));
      expect((await read((s) => s.vaultKeys.current('signing')))!.id).toBe('k-2');
      await write((s) => s.vaultKeys.retire('k-2', T0 + 2));
      expect(await read((s) => s.vaultKeys.current('signing'))).toEqual(key('k-1', T0));
      expect((await read((s) => s.vaultKeys.list('signing'))).map((k) => k.id)).toEqual(['k-1', 'k-2']);
      await write((s) => s.vaultKeys.rewrap('k-1', 'kek-2', new Uint8Array([3])));
      expect(await read((s) => s.vaultKeys.current('signing'))).toMatchObject({ kekId: 'kek-2', wrapped: new Uint8Array([3]) });
      expect(await write((s) => s.vaultKeys.deleteRetiredBefore('signing', T0 + 2))).toBe(0);
      expect(await write((s) => s.vaultKeys.deleteRetiredBefore('signing', T0 + 3))).toBe(1);
      expect((await read((s) => s.vaultKeys.listAll())).map((k) => k.id)).toEqual(['k-1']);
      expect(await read((s) => s.vaultKeys.current('intake'))).toBeUndefined();
    });
  });
});
