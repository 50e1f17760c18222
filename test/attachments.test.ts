import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Response } from 'supertest';
import { decryptFile, encryptSecret } from '../src/crypto/credential-cipher.js';
import { sealUpload } from '../src/crypto/file-cipher.js';
import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import { migratePostgres, POSTGRES_MIGRATIONS_DIR } from '../src/storage/postgres/migrations.js';
import { openDatabase } from '../src/storage/sqlite/database.js';
import { migrateDatabase, MIGRATIONS_DIR } from '../src/storage/sqlite/migrations.js';
import { createTestDatabase } from './harness/postgres.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  expectProblem,
  FTP_FIELDS,
  makeTempDir,
  onPostgres,
  openTicketWithLink,
  revealAs,
  tokenOf,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "Attachments": files encrypted in the browser, staged by their own upload, carried by
// a credential under its data key, listed by a reveal, each download its own audited reveal, and
// destroyed with the credential.

/** The body as bytes, or a problem body as JSON. */
const binary = (res: Response, done: (err: Error | null, body: unknown) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const bytes = Buffer.concat(chunks);
    done(null, /json/.test(String(res.headers['content-type'])) ? JSON.parse(bytes.toString('utf8')) : bytes);
  });
};

describe('attachments', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const publicKeyOf = async (linkToken: string) => new Uint8Array(Buffer.from((await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body.publicKey, 'base64url'));
  const envelope = async (linkToken: string, name: string, bytes: Uint8Array, type = 'application/octet-stream') =>
    Buffer.from(sealUpload({ name, type, bytes }, await publicKeyOf(linkToken)));
  const postUpload = (path: string, body: Buffer) => tv.http.post(path).set('Content-Type', 'application/octet-stream').send(body);
  const upload = async (linkToken: string, name: string, bytes: Uint8Array, type?: string) =>
    (await postUpload(`/api/v1/intake/${linkToken}/files`, await envelope(linkToken, name, bytes, type)).expect(201)).body as { id: string; size: number; expiresAt: string };
  const submit = (linkToken: string, body: Record<string, unknown>) => tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(body);
  const download = (credentialId: string, fileId: string, reason = 'Install the customer key on the staging box') =>
    tv.http.post(`/api/v1/credentials/${credentialId}/files/${fileId}/download`).set(tv.auth()).send({ reason }).buffer(true).parse(binary);
  const count = async (table: string) => Number((await tv.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  const PPK = Buffer.from('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: CANARY-ppk-4d1e\nPrivate-Lines: 1\nAAAA\n');

  async function submittedWithFiles(kind = 'file') {
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const big = randomBytes(300 * 1024 + 17);
    const a = await upload(linkToken, 'server key.ppk', PPK, 'application/x-putty-private-key');
    const b = await upload(linkToken, 'Zertifikat – Büro.pem', big);
    const body = kind === 'file' ? { kind, label: 'Keys', fields: { notes: 'the usual' }, files: [a.id, b.id] } : { kind, label: 'Shop FTP', fields: FTP_FIELDS, files: [a.id, b.id] };
    const res = await submit(linkToken, body).expect(201);
    return { linkToken, ticketId, credentialId: res.body.credentialId as string, receiptToken: tokenOf(res.body.receiptUrl), big, uploads: [a, b] };
  }

  describe('upload, submit, reveal, download', () => {
    it.each(['file', 'ftp'])('a %s credential carries its files: the reveal lists them, each download gives the same bytes and is audited with the file name', async (kind) => {
      const { credentialId, big, uploads } = await submittedWithFiles(kind);
      expect(uploads.map((u) => u.size)).toEqual([PPK.length, big.length]);
      expect(await count('staged_files')).toBe(0);

      const revealed = await revealAs(tv, credentialId).expect(200);
      expect(revealed.body.files).toEqual([
        { id: expect.any(String), name: 'server key.ppk', type: 'application/x-putty-private-key', size: PPK.length },
        { id: expect.any(String), name: 'Zertifikat – Büro.pem', type: 'application/octet-stream', size: big.length },
      ]);
      const [ppk, pem] = revealed.body.files as Array<{ id: string }>;

      const first = await download(credentialId, ppk!.id).expect(200);
      expect(Buffer.compare(first.body as Buffer, PPK)).toBe(0);
      expect(first.headers['content-type']).toBe('application/octet-stream');
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.headers['content-disposition']).toBe(`attachment; filename="server key.ppk"; filename*=UTF-8''server%20key.ppk`);
      const second = await download(credentialId, pem!.id).expect(200);
      expect(Buffer.compare(second.body as Buffer, big)).toBe(0);
      expect(second.headers['content-disposition']).toBe(`attachment; filename="Zertifikat _ B_ro.pem"; filename*=UTF-8''Zertifikat%20%E2%80%93%20B%C3%BCro.pem`);

      const reveals = await auditEvents(tv, { credentialId, action: 'credential.revealed' });
      expect(reveals.map((e) => e.detail)).toEqual(['file: Zertifikat – Büro.pem', 'file: server key.ppk', null]);
      expect(reveals[0]).toMatchObject({ reason: 'Install the customer key on the staging box', actor: { type: 'staff' } });
    });

    it('after keys rotate the files still list and download (only the data key is rewrapped)', async () => {
      const { credentialId, big } = await submittedWithFiles();
      await tv.vault.rotateKeys();
      await advanceClock(tv, 0); // new bearer tokens: the rotation replaced the signing key
      const files = (await revealAs(tv, credentialId).expect(200)).body.files as Array<{ id: string; name: string }>;
      expect(files.map((f) => f.name)).toEqual(['server key.ppk', 'Zertifikat – Büro.pem']);
      expect(Buffer.compare((await download(credentialId, files[1]!.id).expect(200)).body as Buffer, big)).toBe(0);
    });

    it('a credential without files reveals an empty list', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await submit(linkToken, { kind: 'ftp', fields: FTP_FIELDS }).expect(201);
      expect((await revealAs(tv, res.body.credentialId).expect(200)).body.files).toEqual([]);
    });

    it('sealed fields and files together, as the intake page sends them', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const file = await upload(linkToken, 'id_ed25519', PPK);
      const sealed = sealForPublicKey(JSON.stringify({ notes: 'key for prod' }), await publicKeyOf(linkToken));
      const res = await submit(linkToken, { kind: 'file', sealed, files: [file.id] }).expect(201);
      const revealed = (await revealAs(tv, res.body.credentialId).expect(200)).body;
      expect(revealed).toMatchObject({ kind: 'file', label: 'Files', fields: { notes: 'key for prod' }, files: [{ name: 'id_ed25519', size: PPK.length }] });
    });

    it('an empty file and one of exactly one chunk make the round trip', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const chunk = randomBytes(64 * 1024);
      const ids = [(await upload(linkToken, 'empty.txt', new Uint8Array(0))).id, (await upload(linkToken, 'chunk.bin', chunk)).id];
      const res = await submit(linkToken, { kind: 'file', fields: {}, files: ids }).expect(201);
      const files = (await revealAs(tv, res.body.credentialId).expect(200)).body.files as Array<{ id: string }>;
      expect((await download(res.body.credentialId, files[0]!.id).expect(200)).body).toHaveLength(0);
      expect(Buffer.compare((await download(res.body.credentialId, files[1]!.id).expect(200)).body as Buffer, chunk)).toBe(0);
    });
  });

  describe('refusals change nothing', () => {
    it('kind file without files is 400 files_required; more than 5 files is 400 too_many_files', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      expectProblem(await submit(linkToken, { kind: 'file', fields: { notes: 'x' } }), 400, 'files_required');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await upload(linkToken, `k${i}.pem`, PPK)).id);
      expectProblem(await submit(linkToken, { kind: 'file', fields: {}, files: ids }), 400, 'too_many_files');
      expect(await count('credentials')).toBe(0);
      expect(await count('staged_files')).toBe(6);
    });

    it('a file over ATTACHMENT_MAX_BYTES is 413 attachment_too_large and nothing is staged', async () => {
      await tv.close();
      tv = await createTestVault({ ATTACHMENT_MAX_BYTES: '100000' });
      const { linkToken } = await openTicketWithLink(tv);
      await upload(linkToken, 'fits.bin', randomBytes(100000));
      expectProblem(await postUpload(`/api/v1/intake/${linkToken}/files`, await envelope(linkToken, 'big.bin', randomBytes(100001))), 413, 'attachment_too_large');
      expect(await count('staged_files')).toBe(1);
    });

    it('a body far over the limit is refused by its Content-Length before it is read', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await postUpload(`/api/v1/intake/${linkToken}/files`, Buffer.alloc(6 * 1024 * 1024)).catch((e: { response?: Response }) => e.response!);
      expectProblem(res, 413, 'attachment_too_large');
      expect(await count('staged_files')).toBe(0);
    });

    it.each([
      ['a flipped byte in a chunk', (b: Buffer) => (b[b.length - 5]! ^= 1, b)],
      ['the final chunk cut off', (b: Buffer) => b.subarray(0, b.length - 100)],
      ['a chunk appended', (b: Buffer) => Buffer.concat([b, b.subarray(b.length - 40)])],
      ['garbage', () => randomBytes(5000)],
      ['too short', () => Buffer.from([0, 0])],
    ])('%s is 400 upload_invalid and nothing is kept', async (_name, damage) => {
      const { linkToken } = await openTicketWithLink(tv);
      const body = damage(await envelope(linkToken, 'key.pem', randomBytes(70 * 1024)));
      expectProblem(await postUpload(`/api/v1/intake/${linkToken}/files`, body), 400, 'upload_invalid');
      expect(await count('staged_files')).toBe(0);
    });

    it('a file sealed to another key is 400 upload_invalid', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const other = new Uint8Array(randomBytes(32));
      const body = Buffer.from(sealUpload({ name: 'x', type: 'text/plain', bytes: PPK }, other));
      expectProblem(await postUpload(`/api/v1/intake/${linkToken}/files`, body), 400, 'upload_invalid');
    });

    it('JSON or no body is 415; an unknown link 404; a revoked link 410', async () => {
      const { linkToken, ticketId } = await openTicketWithLink(tv);
      const body = await envelope(linkToken, 'k', PPK);
      expectProblem(await tv.http.post(`/api/v1/intake/${linkToken}/files`).send({ a: 1 }), 415, 'unsupported_media_type');
      expectProblem(await tv.http.post(`/api/v1/intake/${linkToken}/files`), 415, 'unsupported_media_type');
      expectProblem(await postUpload(`/api/v1/intake/${'A'.repeat(43)}/files`, body), 404, 'intake_link_not_found');
      const links = (await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200)).body.intakeLinks as Array<{ id: string }>;
      await tv.http.delete(`/api/v1/intake-links/${links[0]!.id}`).set(tv.auth()).expect(204);
      expectProblem(await postUpload(`/api/v1/intake/${linkToken}/files`, body), 410, 'intake_link_revoked');
      expect(await count('staged_files')).toBe(0);
    });

    it("another link's upload, or one already claimed, is 400 upload_unknown", async () => {
      const first = await openTicketWithLink(tv);
      const second = await openTicketWithLink(tv);
      const file = await upload(first.linkToken, 'k.pem', PPK);
      expectProblem(await submit(second.linkToken, { kind: 'file', fields: {}, files: [file.id] }), 400, 'upload_unknown');
      await submit(first.linkToken, { kind: 'file', fields: {}, files: [file.id] }).expect(201);
      expectProblem(await submit(first.linkToken, { kind: 'file', fields: {}, files: [file.id] }), 400, 'upload_unknown');
      expect(await count('credentials')).toBe(1);
    });

    it('uploads count against the customer rate limit like every customer route', async () => {
      await tv.close();
      tv = await createTestVault({ CUSTOMER_RATE_LIMIT_PER_MINUTE: '2' });
      const { linkToken } = await openTicketWithLink(tv);
      const body = await envelope(linkToken, 'k.pem', PPK); // the first request: the link's public key
      await postUpload(`/api/v1/intake/${linkToken}/files`, body).expect(201);
      const limited = await postUpload(`/api/v1/intake/${linkToken}/files`, body);
      expectProblem(limited, 429, 'rate_limited');
      expect(await count('staged_files')).toBe(1);
    });

    it('a link may have 10 uploads waiting; the 11th is 409 too_many_uploads', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      for (let i = 0; i < 10; i++) await upload(linkToken, `k${i}`, PPK);
      expectProblem(await postUpload(`/api/v1/intake/${linkToken}/files`, await envelope(linkToken, 'k', PPK)), 409, 'too_many_uploads');
    });

    it('an upload no submission claims is destroyed by the first purge pass after an hour', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const file = await upload(linkToken, 'k.pem', PPK);
      await tv.vault.purge.runPurge();
      expect(await count('staged_files')).toBe(1);
      await advanceClock(tv, 60 * 60 * 1000 + 1);
      await tv.vault.purge.runPurge();
      expect(await count('staged_files')).toBe(0);
      expectProblem(await submit(linkToken, { kind: 'file', fields: {}, files: [file.id] }), 400, 'upload_unknown');
    });
  });

  describe('downloads are refused as reveals are, and audited', () => {
    it('without a reason 400; an unknown file 404 file_not_found (audited as a denied reveal)', async () => {
      const { credentialId } = await submittedWithFiles();
      expectProblem(await tv.http.post(`/api/v1/credentials/${credentialId}/files/${credentialId}/download`).set(tv.auth()).send({}), 400, 'reason_required');
      expectProblem(await download(credentialId, credentialId), 404, 'file_not_found');
      expect((await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' }))[0]).toMatchObject({ detail: 'file_not_found' });
    });

    it('a restricted credential is 423; an auditor is 403', async () => {
      const { credentialId, receiptToken } = await submittedWithFiles();
      const files = (await revealAs(tv, credentialId).expect(200)).body.files as Array<{ id: string }>;
      expect((await tv.http.post(`/api/v1/credentials/${credentialId}/files/${files[0]!.id}/download`).set(tv.auth('auditor')).send({ reason: 'x' })).status).toBe(403);
      await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
      expectProblem(await download(credentialId, files[0]!.id), 423, 'credential_restricted');
      expect((await auditEvents(tv, { credentialId, action: 'credential.reveal_denied' }))[0]).toMatchObject({ detail: 'credential_restricted' });
    });
  });

  describe('files are destroyed with the credential', () => {
    it('withdraw destroys the files at once; a download is then 410 credential_withdrawn', async () => {
      const { credentialId, receiptToken } = await submittedWithFiles();
      const files = (await revealAs(tv, credentialId).expect(200)).body.files as Array<{ id: string }>;
      expect(await count('credential_files')).toBe(2);
      await tv.http.delete(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
      expect(await count('credential_files')).toBe(0);
      expect(await count('credential_secrets')).toBe(0);
      expectProblem(await download(credentialId, files[0]!.id), 410, 'credential_withdrawn');
    });

    it('revoke, then the purge pass destroys the files', async () => {
      const { credentialId } = await submittedWithFiles();
      await tv.http.delete(`/api/v1/credentials/${credentialId}`).set(tv.auth()).expect(204);
      expect(await count('credential_files')).toBe(2);
      await tv.vault.purge.runPurge();
      expect(await count('credential_files')).toBe(0);
    });

    it('expiry and purge in one step destroy the files', async () => {
      const { credentialId } = await submittedWithFiles();
      await advanceClock(tv, 31 * 24 * 3600 * 1000);
      await tv.vault.purge.runPurge();
      expect(await count('credential_files')).toBe(0);
      expectProblem(await revealAs(tv, credentialId), 410, 'credential_expired');
    });

    it('rectify with new files replaces them (the old ones are destroyed); without files it leaves none', async () => {
      const { credentialId, receiptToken } = await submittedWithFiles('ftp');
      const old = (await revealAs(tv, credentialId).expect(200)).body.files as Array<{ id: string }>;
      const pk = await publicKeyOf((await openTicketWithLink(tv)).linkToken);
      const staged = (await postUpload(`/api/v1/receipts/${receiptToken}/files`, Buffer.from(sealUpload({ name: 'new.pem', type: 'text/plain', bytes: Buffer.from('new key') }, pk))).expect(201)).body;
      await tv.http.put(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields: FTP_FIELDS, files: [staged.id] }).expect(200);
      const now = (await revealAs(tv, credentialId).expect(200)).body.files as Array<{ id: string; name: string }>;
      expect(now.map((f) => f.name)).toEqual(['new.pem']);
      expect(await count('credential_files')).toBe(1);
      expectProblem(await download(credentialId, old[0]!.id), 404, 'file_not_found');
      expect(((await download(credentialId, now[0]!.id).expect(200)).body as Buffer).toString()).toBe('new key');

      await tv.http.put(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields: FTP_FIELDS }).expect(200);
      expect((await revealAs(tv, credentialId).expect(200)).body.files).toEqual([]);
      expect(await count('credential_files')).toBe(0);
    });

    it('a kind file credential cannot be rectified to no files (400 files_required)', async () => {
      const { credentialId, receiptToken } = await submittedWithFiles();
      expectProblem(await tv.http.put(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields: {} }), 400, 'files_required');
      expect(await count('credential_files')).toBe(2);
    });
  });

  it('a file ciphertext moved to another credential or file id does not decrypt', () => {
    const keyring = tv.vault.keys.keyring;
    const binding = { credentialId: 'c1', ticketId: 't1', kind: 'file' };
    const secret = encryptSecret(keyring, binding, Buffer.from('{}'), [{ id: 'f1', name: 'a', type: 'text/plain', bytes: Buffer.from('hello') }]);
    const file = secret.files![0]!;
    expect(Buffer.from(decryptFile(keyring, binding, secret, file)).toString()).toBe('hello');
    expect(() => decryptFile(keyring, binding, secret, { id: 'f2', ciphertext: file.ciphertext })).toThrow('file does not decrypt');
    expect(() => decryptFile(keyring, { ...binding, credentialId: 'c2' }, secret, file)).toThrow();
  });

  describe('migration 027 on a database holding credentials', () => {
    const ROWS = `
      INSERT INTO tickets (id, external_ref, subject, customer_email, support_until, support_until_date, status, created_at, updated_at) VALUES ('t-1', 'ZD-1', 's', 'c@shop.test', 9000000000000, '2255-03-14', 'open', 1, 1);
      INSERT INTO receipts (id, ticket_id, token_hash, token_kek_id, token_wrapped, created_at) VALUES ('r-1', 't-1', 'h', 'k', 'w', 1);
      INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-1', 't-1', 'r-1', 'ftp', 'Shop FTP', 'active', 1, 9000000000000, 1);
      INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-2', 't-1', 'r-1', 'api', 'Payments API', 'purged', 1, 9000000000000, 1);
      INSERT INTO credential_secrets (credential_id, kek_id, wrapped_dek, ciphertext) VALUES ('c-1', 'k', 'dek', 'ciphertext');`;

    (onPostgres ? it.skip : it)('SQLite: the rebuilt credentials keep every row, the secrets their key to it, the label search its index; kind file is taken', () => {
      const dir = makeTempDir();
      const before = path.join(dir, 'migrations-before-027');
      fs.mkdirSync(before);
      for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '027')) fs.copyFileSync(path.join(MIGRATIONS_DIR, file), path.join(before, file));
      const db = openDatabase(path.join(dir, 'old.db'));
      try {
        migrateDatabase(db, before);
        db.exec(ROWS);
        expect(() => db.prepare("INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-3', 't-1', 'r-1', 'file', 'x', 'active', 1, 1, 1)").run()).toThrow(/CHECK/);
        migrateDatabase(db);
        expect(db.prepare('SELECT id, kind, label, status FROM credentials ORDER BY id').all()).toEqual([
          { id: 'c-1', kind: 'ftp', label: 'Shop FTP', status: 'active' },
          { id: 'c-2', kind: 'api', label: 'Payments API', status: 'purged' },
        ]);
        expect(db.prepare('SELECT credential_id, files_manifest FROM credential_secrets').all()).toEqual([{ credential_id: 'c-1', files_manifest: null }]);
        expect(db.pragma('foreign_key_check')).toEqual([]);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect((db.prepare("SELECT sql FROM sqlite_master WHERE name = 'credential_secrets'").get() as { sql: string }).sql).toMatch(/REFERENCES "?credentials"? \(id\)/);
        expect(db.prepare("SELECT rowid FROM credentials_label_search WHERE label MATCH 'Payments'").all()).toHaveLength(1);
        expect(() => db.prepare("INSERT INTO credential_secrets (credential_id, kek_id, wrapped_dek, ciphertext) VALUES ('nope', 'k', 'd', 'c')").run()).toThrow(/FOREIGN KEY/);
        db.prepare("INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-3', 't-1', 'r-1', 'file', 'Keys', 'active', 1, 1, 1)").run();
        expect(db.prepare("SELECT rowid FROM credentials_label_search WHERE label MATCH 'Keys'").all()).toHaveLength(1);
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    (onPostgres ? it : it.skip)('PostgreSQL: the kind constraint takes file, the rows stay', async () => {
      const dir = makeTempDir();
      for (const file of fs.readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => f < '027')) fs.copyFileSync(path.join(POSTGRES_MIGRATIONS_DIR, file), path.join(dir, file));
      const database = await createTestDatabase({ empty: true });
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      try {
        await migratePostgres(pool, dir);
        await pool.query(ROWS.replace(/'h', 'k', 'w'/, "'\\x01', 'k', '\\x02'").replace(/'dek', 'ciphertext'/, "'\\x03', '\\x04'"));
        await migratePostgres(pool);
        expect((await pool.query('SELECT id, kind FROM credentials ORDER BY id')).rows).toEqual([
          { id: 'c-1', kind: 'ftp' },
          { id: 'c-2', kind: 'api' },
        ]);
        await pool.query("INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-3', 't-1', 'r-1', 'file', 'Keys', 'active', 1, 1, 1)");
        await expect(pool.query("INSERT INTO credentials (id, ticket_id, receipt_id, kind, label, status, submitted_at, expires_at, updated_at) VALUES ('c-4', 't-1', 'r-1', 'zip', 'x', 'active', 1, 1, 1)")).rejects.toThrow(/credentials_kind_check/);
      } finally {
        await pool.end();
        await database.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
