import fs from 'node:fs';
import { sealUpload } from '../src/crypto/file-cipher.js';
import {
  canary,
  createTestVault,
  openTicketWithLink,
  placesHolding,
  readDatabaseFiles,
  revealBody,
  submitCredential,
  type Submitted,
  type TestVault,
} from './harness/test-vault.js';

interface SecretColumns {
  wrapped_dek: Buffer;
  ciphertext: Buffer;
}

const secretColumns = (tv: TestVault, credentialId: string) =>
  tv.db.prepare('SELECT wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?').get(credentialId) as
    | SecretColumns
    | undefined;

const walSize = (tv: TestVault) => {
  const wal = `${tv.vault.config.databasePath}-wal`;
  return fs.existsSync(wal) ? fs.statSync(wal).size : 0;
};

describe('the database file', () => {
  it('runs with WAL, synchronous=FULL, secure_delete and foreign keys, and is readable by its owner only', async () => {
    const tv = await createTestVault();
    try {
      const pragma = (name: string) => tv.vaultDb.pragma(name, { simple: true });
      expect(pragma('journal_mode')).toBe('wal');
      expect(pragma('synchronous')).toBe(2);
      expect(pragma('secure_delete')).toBe(1);
      expect(pragma('foreign_keys')).toBe(1);
      expect(fs.statSync(tv.vault.config.databasePath).mode & 0o777).toBe(0o600);
    } finally {
      await tv.close();
    }
  });
});

describe('a canary secret submitted through the API', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** Submits an ftp credential whose password is a fresh canary and whose label (clear text by design) is another. */
  async function submitCanary(): Promise<{ secret: string; label: string; ticketId: string; submitted: Submitted }> {
    const secret = canary('password');
    const label = canary('label');
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const submitted = await submitCredential(tv, linkToken, {
      kind: 'ftp',
      label,
      fields: { host: 'ftp.shop.test', username: 'vendor-support', password: secret, notes: `backup: ${secret}` },
    });
    return { secret, label, ticketId, submitted };
  }

  it('is absent from the database file, its WAL and the logs after submit (while the clear-text label is on disk)', async () => {
    const { secret, label } = await submitCanary();
    // The scan sees what was written: the label is stored in clear.
    expect(placesHolding(tv, label)).not.toEqual([]);
    expect(placesHolding(tv, secret)).toEqual([]);
  });

  it('is absent from the database file, its WAL and the logs after a reveal that returned it', async () => {
    const { secret, submitted } = await submitCanary();
    const res = await tv.http.post(`/api/v1/credentials/${submitted.credentialId}/reveal`).set(tv.auth()).send(revealBody()).expect(200);
    expect(res.body.fields.password).toBe(secret);
    expect(placesHolding(tv, secret)).toEqual([]);
  });

  it('never puts the link or receipt token into the logs', async () => {
    const { ticketId } = await submitCanary();
    const { linkToken } = await openTicketWithLink(tv, {}, {});
    await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    const { receiptToken, credentialId } = await submitCredential(tv, linkToken);
    await tv.http.get(`/api/v1/receipts/${receiptToken}`).expect(200);
    await tv.http.post(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}/restrict`).expect(200);
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    expect(tv.logs.length).toBeGreaterThan(0);
    expect(tv.logs.join('')).not.toContain(linkToken);
    expect(tv.logs.join('')).not.toContain(receiptToken);
  });

  describe('when the ticket closes and the purge job runs', () => {
    it('destroys the secret row, truncates the WAL, and leaves neither the canary nor the ciphertext or wrapped key on disk', async () => {
      const { secret, ticketId, submitted } = await submitCanary();
      await tv.http.post(`/api/v1/credentials/${submitted.credentialId}/reveal`).set(tv.auth()).send(revealBody()).expect(200);
      const stored = secretColumns(tv, submitted.credentialId)!;
      const onDisk = readDatabaseFiles(tv);
      expect(Buffer.concat([onDisk.db, onDisk.wal]).indexOf(stored.ciphertext)).not.toBe(-1); // the scan finds it before purge

      await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
      const summary = await tv.vault.purge.runPurge();

      expect(summary.purged).toBe(1);
      expect(secretColumns(tv, submitted.credentialId)).toBeUndefined();
      expect(walSize(tv)).toBe(0);
      expect(placesHolding(tv, stored.ciphertext)).toEqual([]);
      expect(placesHolding(tv, stored.wrapped_dek)).toEqual([]);
      expect(placesHolding(tv, secret)).toEqual([]);
      const meta = await tv.http.get(`/api/v1/credentials/${submitted.credentialId}`).set(tv.auth()).expect(200);
      expect(meta.body).toMatchObject({ status: 'purged', endedBecause: 'ticket_closed' });
    });
  });

  describe('when the customer withdraws it', () => {
    it('destroys the secret row at once, truncates the WAL and leaves no ciphertext on disk', async () => {
      const { secret, submitted } = await submitCanary();
      const stored = secretColumns(tv, submitted.credentialId)!;

      await tv.http.delete(`/api/v1/receipts/${submitted.receiptToken}/credentials/${submitted.credentialId}`).expect(204);

      expect(secretColumns(tv, submitted.credentialId)).toBeUndefined();
      expect(walSize(tv)).toBe(0);
      expect(placesHolding(tv, stored.ciphertext)).toEqual([]);
      expect(placesHolding(tv, stored.wrapped_dek)).toEqual([]);
      expect(placesHolding(tv, secret)).toEqual([]);
    });
  });

  describe('when the customer rectifies it (PUT /receipts/:token/credentials/:id)', () => {
    it('reveals only the new fields and overwrites the old ciphertext and wrapped key on disk', async () => {
      const { secret, submitted } = await submitCanary();
      const old = secretColumns(tv, submitted.credentialId)!;
      const replacement = canary('rectified');

      await tv.http
        .put(`/api/v1/receipts/${submitted.receiptToken}/credentials/${submitted.credentialId}`)
        .send({ fields: { host: 'sftp.shop.test', username: 'vendor-support', password: replacement } })
        .expect(200);

      const current = secretColumns(tv, submitted.credentialId)!;
      expect(current.ciphertext.equals(old.ciphertext)).toBe(false);
      expect(current.wrapped_dek.equals(old.wrapped_dek)).toBe(false);
      expect(tv.db.prepare('SELECT COUNT(*) AS n FROM credential_secrets WHERE credential_id = ?').get(submitted.credentialId)).toEqual({ n: 1 });
      expect(walSize(tv)).toBe(0);
      expect(placesHolding(tv, old.ciphertext)).toEqual([]);
      expect(placesHolding(tv, old.wrapped_dek)).toEqual([]);
      expect(placesHolding(tv, current.ciphertext)).not.toEqual([]);

      const res = await tv.http.post(`/api/v1/credentials/${submitted.credentialId}/reveal`).set(tv.auth()).send(revealBody()).expect(200);
      expect(res.body.fields).toEqual({ host: 'sftp.shop.test', username: 'vendor-support', password: replacement, protocol: 'sftp' });
      expect(res.text).not.toContain(secret);
      expect(placesHolding(tv, old.ciphertext)).toEqual([]);
      expect(placesHolding(tv, secret)).toEqual([]);
      expect(placesHolding(tv, replacement)).toEqual([]);
    });
  });

  describe('when a submission holding it is rejected', () => {
    it.each([
      ['an unknown field', (secret: string) => ({ host: 'ftp.shop.test', username: 'u', pin: secret })],
      ['a bad port', (secret: string) => ({ host: 'ftp.shop.test', username: 'u', port: secret })],
      ['a missing required field', (secret: string) => ({ host: 'ftp.shop.test', password: secret })],
    ])('with %s, neither the answer, the database nor the logs hold it', async (_case, makeFields) => {
      const secret = canary('rejected');
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: makeFields(secret) });
      expect(res.status).toBe(400);
      expect(res.text).not.toContain(secret);
      expect(placesHolding(tv, secret)).toEqual([]);
    });
  });
});

describe('a canary inside a file and in its name (DESIGN "Attachments")', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  /** 32-byte windows across a ciphertext: a large one spans overflow pages, so it is never on disk in one piece. */
  const windowsOf = (bytes: Buffer) => Array.from({ length: Math.floor((bytes.length - 32) / 4000) + 1 }, (_, i) => bytes.subarray(i * 4000, i * 4000 + 32));
  const windowsOnDisk = (bytes: Buffer) => {
    const { db, wal } = readDatabaseFiles(tv);
    const all = Buffer.concat([db, wal]);
    return windowsOf(bytes).filter((w) => all.indexOf(w) !== -1).length;
  };
  const fileRows = (credentialId: string) =>
    tv.db.prepare('SELECT ciphertext FROM credential_files WHERE credential_id = ?').all(credentialId) as Array<{ ciphertext: Buffer }>;

  async function submitFileCanary() {
    const inside = canary('file-bytes');
    const name = `${canary('file-name')}.ppk`;
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const publicKey = new Uint8Array(Buffer.from((await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body.publicKey, 'base64url'));
    // Big enough for several chunks, the canary in the middle of one.
    const bytes = Buffer.concat([Buffer.alloc(100_000, 'a'), Buffer.from(`PuTTY-User-Key-File-3: ${inside}`), Buffer.alloc(100_000, 'b')]);
    const envelope = Buffer.from(sealUpload({ name, type: 'application/octet-stream', bytes }, publicKey));
    const staged = await tv.http.post(`/api/v1/intake/${linkToken}/files`).set('Content-Type', 'application/octet-stream').send(envelope).expect(201);
    const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'file', fields: {}, files: [staged.body.id] }).expect(201);
    const receiptToken = res.body.receiptUrl.slice(res.body.receiptUrl.lastIndexOf('/') + 1) as string;
    return { inside, name, ticketId, linkToken, receiptToken, credentialId: res.body.credentialId as string, envelope, publicKey, bytes };
  }

  it('is absent from the database file, its WAL and the logs after upload, submit, reveal and download', async () => {
    const { inside, name, credentialId, bytes } = await submitFileCanary();
    const [stored] = fileRows(credentialId);
    // Positive control: the scan finds the windows of the file's ciphertext (all but one that may straddle a page boundary).
    expect(windowsOnDisk(stored!.ciphertext)).toBeGreaterThanOrEqual(windowsOf(stored!.ciphertext).length - 2);
    expect(placesHolding(tv, inside)).toEqual([]);
    expect(placesHolding(tv, name)).toEqual([]);

    const revealed = await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send(revealBody()).expect(200);
    expect(revealed.body.files[0].name).toBe(name);
    const download = await tv.http
      .post(`/api/v1/credentials/${credentialId}/files/${revealed.body.files[0].id}/download`)
      .set(tv.auth())
      .send(revealBody())
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(Buffer.compare(download.body as Buffer, bytes)).toBe(0);
    expect(placesHolding(tv, inside)).toEqual([]);
    // From here the name is on disk by design: the download's audit row names the file (DESIGN
    // "Attachments"; docs/decisions/026), as a label is; the file's bytes never are.
    const [audited] = (await tv.vault.audit.listEvents({ credentialId, action: 'credential.revealed', limit: 1 })).items;
    expect(audited!.detail).toBe(`file: ${name}`);
  });

  it.each([
    ['withdraw', async (c: Awaited<ReturnType<typeof submitFileCanary>>) => {
      await tv.http.delete(`/api/v1/receipts/${c.receiptToken}/credentials/${c.credentialId}`).expect(204);
    }],
    ['rectify without the file', async (c: Awaited<ReturnType<typeof submitFileCanary>>) => {
      await tv.http.put(`/api/v1/receipts/${c.receiptToken}/credentials/${c.credentialId}`).send({ fields: {}, files: [await restage(c)] }).expect(200);
    }],
    ['ticket close and purge', async (c: Awaited<ReturnType<typeof submitFileCanary>>) => {
      await tv.http.post(`/api/v1/tickets/${c.ticketId}/close`).set(tv.auth()).expect(200);
      await tv.vault.purge.runPurge();
    }],
  ])('after %s, the file ciphertext, the upload and the canaries are gone from the files', async (_name, end) => {
    const submitted = await submitFileCanary();
    const [stored] = fileRows(submitted.credentialId);
    expect(windowsOnDisk(stored!.ciphertext)).toBeGreaterThanOrEqual(windowsOf(stored!.ciphertext).length - 2);
    await end(submitted);
    expect(fileRows(submitted.credentialId).every((r) => !r.ciphertext.equals(stored!.ciphertext))).toBe(true);
    expect(walSize(tv)).toBe(0);
    expect(windowsOnDisk(stored!.ciphertext)).toBe(0);
    expect(windowsOnDisk(submitted.envelope)).toBe(0);
    expect(placesHolding(tv, submitted.inside)).toEqual([]);
    expect(placesHolding(tv, submitted.name)).toEqual([]);
  });

  /** A replacement file uploaded through the receipt (for a rectification). */
  async function restage(c: Awaited<ReturnType<typeof submitFileCanary>>): Promise<string> {
    const envelope = Buffer.from(sealUpload({ name: 'replacement.pem', type: 'text/plain', bytes: Buffer.from('new') }, c.publicKey));
    return (await tv.http.post(`/api/v1/receipts/${c.receiptToken}/files`).set('Content-Type', 'application/octet-stream').send(envelope).expect(201)).body.id;
  }
});
