import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig, type Config } from '../src/config.js';
import { readSecretFields } from '../src/credentials/submitted-fields.js';
import { decryptSecret, DecryptionFailed, encryptSecret, type EncryptedSecret } from '../src/crypto/credential-cipher.js';
import type { RotationSummary } from '../src/keys/key-rotation.js';
import { kekIdOf } from '../src/crypto/keyring.js';
import { DEV_MASTER_KEY_FILE, loadMasterKeys } from '../src/keys/master-key.js';
import { generateBoxKeyPair, openSealedBox, sealForPublicKey } from '../src/crypto/sealed-box.js';
import { initSodium } from '../src/crypto/sodium.js';
import { receiptTokenContext } from '../src/receipts/receipt-tokens.js';
import {
  createTestVault,
  expectProblem,
  onPostgres,
  FTP_FIELDS,
  makeTempDir,
  openTicketWithLink,
  readDatabaseFiles,
  reopenTestVault,
  revealBody,
  snapshotVault,
  sqliteOnly,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

const OLD_KEY = Buffer.alloc(32, 0x11).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x22).toString('base64');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

interface SecretColumns {
  kek_id: string;
  wrapped_dek: Buffer;
  ciphertext: Buffer;
}

const secretColumns = async (tv: TestVault, credentialId: string) =>
  (await tv.query('SELECT kek_id, wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?', credentialId))[0] as
    | SecretColumns
    | undefined;

/** What the reveal path does, minus the audit: decrypt the stored secret under the row's own binding. */
async function decryptStored(tv: TestVault, credentialId: string): Promise<unknown> {
  const [credential, secret] = await tv.vault.storage.read(async (s) => [(await s.credentials.get(credentialId))!, (await s.credentials.getSecret(credentialId))!] as const);
  const plaintext = decryptSecret(tv.vault.keys.keyring, { credentialId, ticketId: credential.ticketId, kind: credential.kind }, secret);
  return JSON.parse(Buffer.from(plaintext).toString('utf8'));
}

const reveal = (tv: TestVault, credentialId: string) =>
  tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send(revealBody());

const flipByte = (bytes: Buffer, index: number) => {
  const copy = Buffer.from(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

const ftpFields = (password: string) => ({ ...FTP_FIELDS, password });

beforeAll(async () => {
  await initSodium();
});

describe('credential ciphertext binding', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('when a ciphertext and its wrapped key are moved to another credential of the same ticket and kind', () => {
    async function arrangeMoved() {
      const { linkToken } = await openTicketWithLink(tv);
      const source = await submitCredential(tv, linkToken, { kind: 'ftp', label: 'Source', fields: ftpFields('pw-source-91c2') });
      const target = await submitCredential(tv, linkToken, { kind: 'ftp', label: 'Target', fields: ftpFields('pw-target-5e07') });
      expect(await decryptStored(tv, target.credentialId)).toMatchObject({ password: 'pw-target-5e07' });
      await tv.exec(
        `UPDATE credential_secrets SET
           kek_id = (SELECT kek_id FROM credential_secrets WHERE credential_id = ?),
           wrapped_dek = (SELECT wrapped_dek FROM credential_secrets WHERE credential_id = ?),
           ciphertext = (SELECT ciphertext FROM credential_secrets WHERE credential_id = ?)
         WHERE credential_id = ?`,
        source.credentialId,
        source.credentialId,
        source.credentialId,
        target.credentialId,
      );
      return { source, target };
    }

    it('does not decrypt under the target row', async () => {
      const { source, target } = await arrangeMoved();
      await expect(decryptStored(tv, target.credentialId)).rejects.toThrow(DecryptionFailed);
      expect(await decryptStored(tv, source.credentialId)).toMatchObject({ password: 'pw-source-91c2' });
    });

    it('answers a reveal of the target with 500 internal_error and no secret', async () => {
      const { target } = await arrangeMoved();
      const res = await reveal(tv, target.credentialId);
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      expect(res.text).not.toContain('pw-source-91c2');
      expect(res.text).not.toContain('pw-target-5e07');
      expect(res.body.fields).toBeUndefined();
    });
  });

  describe('when a ciphertext is moved to a credential of another ticket', () => {
    it('does not decrypt', async () => {
      const first = await openTicketWithLink(tv);
      const second = await openTicketWithLink(tv);
      const source = await submitCredential(tv, first.linkToken, { kind: 'ftp', fields: ftpFields('pw-ticket-one') });
      const target = await submitCredential(tv, second.linkToken, { kind: 'ftp', fields: ftpFields('pw-ticket-two') });
      const moved = (await secretColumns(tv, source.credentialId))!;
      await tv.exec('UPDATE credential_secrets SET kek_id = ?, wrapped_dek = ?, ciphertext = ? WHERE credential_id = ?', moved.kek_id, moved.wrapped_dek, moved.ciphertext, target.credentialId);
      await expect(decryptStored(tv, target.credentialId)).rejects.toThrow(DecryptionFailed);
    });
  });

  describe("when a credential's metadata row is pointed at another ticket or kind", () => {
    it('does not decrypt once its ticket changes', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const other = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.exec('UPDATE credentials SET ticket_id = ? WHERE id = ?', other.ticketId, credentialId);
      await expect(decryptStored(tv, credentialId)).rejects.toThrow(DecryptionFailed);
    });

    it('does not decrypt once its kind changes', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.exec("UPDATE credentials SET kind = 'ssh' WHERE id = ?", credentialId);
      await expect(decryptStored(tv, credentialId)).rejects.toThrow(DecryptionFailed);
    });
  });

  describe('when one byte of the stored secret is flipped', () => {
    it.each([
      ['ciphertext', 'its nonce', 0],
      ['ciphertext', 'its encrypted body', 30],
      ['ciphertext', 'its authentication tag', -1],
      ['wrapped_dek', 'its nonce', 0],
      ['wrapped_dek', 'the wrapped key', 30],
      ['wrapped_dek', 'its authentication tag', -1],
    ] as const)('%s (%s) no longer decrypts, and a reveal answers 500 with no secret', async (column, _part, index) => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const stored = (await secretColumns(tv, credentialId))!;
      await tv.exec(`UPDATE credential_secrets SET ${column} = ? WHERE credential_id = ?`, flipByte(stored[column], index), credentialId);

      await expect(decryptStored(tv, credentialId)).rejects.toThrow(DecryptionFailed);
      const res = await reveal(tv, credentialId);
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      expect(res.text).not.toContain(FTP_FIELDS.password);
    });

    it('a kek_id naming a master key the vault does not hold does not decrypt', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      await tv.exec('UPDATE credential_secrets SET kek_id = ? WHERE credential_id = ?', kekIdOf(Buffer.alloc(32, 0x33)), credentialId);
      await expect(decryptStored(tv, credentialId)).rejects.toThrow(DecryptionFailed);
    });
  });

  describe('when the same plaintext is submitted twice', () => {
    it('stores different ciphertexts, nonces and wrapped data keys that both decrypt to it', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const body = { kind: 'ftp', label: 'Same', fields: FTP_FIELDS };
      const first = await submitCredential(tv, linkToken, body);
      const second = await submitCredential(tv, linkToken, body);
      const a = (await secretColumns(tv, first.credentialId))!;
      const b = (await secretColumns(tv, second.credentialId))!;

      expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
      expect(a.ciphertext.subarray(0, 24).equals(b.ciphertext.subarray(0, 24))).toBe(false);
      expect(a.wrapped_dek.equals(b.wrapped_dek)).toBe(false);
      expect(a.wrapped_dek.subarray(0, 24).equals(b.wrapped_dek.subarray(0, 24))).toBe(false);
      expect(await decryptStored(tv, first.credentialId)).toEqual(await decryptStored(tv, second.credentialId));
    });
  });

  describe('once the fields are encrypted', () => {
    it('zeroes the plaintext bytes it was handed, and the ciphertext still decrypts to them', () => {
      const fields = JSON.stringify(FTP_FIELDS);
      const plaintext = Buffer.from(fields, 'utf8');
      const binding = { credentialId: '00000000-0000-4000-8000-000000000001', ticketId: '00000000-0000-4000-8000-000000000002', kind: 'ftp' };

      const secret = encryptSecret(tv.vault.keys.keyring, binding, plaintext);

      expect(plaintext.every((byte) => byte === 0)).toBe(true);
      expect(Buffer.from(decryptSecret(tv.vault.keys.keyring, binding, secret)).toString('utf8')).toBe(fields);
    });
  });
});

describe('sealed submissions (crypto_box_seal to the intake key)', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  async function intakePublicKey(linkToken: string): Promise<Uint8Array> {
    const res = await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    expect(res.body.publicKey).toMatch(TOKEN_SHAPE);
    const key = new Uint8Array(Buffer.from(res.body.publicKey, 'base64url'));
    expect(key).toHaveLength(32);
    return key;
  }

  const rowCounts = async () =>
    (
      await tv.query(
        `SELECT (SELECT COUNT(*) FROM credentials) AS credentials, (SELECT COUNT(*) FROM credential_secrets) AS secrets,
                (SELECT COUNT(*) FROM receipts) AS receipts, (SELECT COUNT(*) FROM audit_events) AS audit,
                (SELECT SUM(uses) FROM intake_links) AS uses`,
      )
    )[0];

  it('accepts a sealed box and reveals exactly the sealed fields', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const fields = { partnerId: '123 456 789', password: 'pässwörd-🔑-"quoted"\nline2', notes: 'ask for Ana' };
    const sealed = sealForPublicKey(JSON.stringify(fields), await intakePublicKey(linkToken));
    const { credentialId } = await submitCredential(tv, linkToken, { kind: 'teamviewer', label: 'Office PC', sealed });

    const res = await reveal(tv, credentialId).expect(200);
    expect(res.body).toEqual({ id: credentialId, kind: 'teamviewer', label: 'Office PC', fields, files: [] });
  });

  it('rectifies with a sealed box, and reveals the new fields', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const publicKey = await intakePublicKey(linkToken);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    const fields = { host: 'sftp.new.test', username: 'new-user', password: 'rectified-sealed-4a1f' };
    await tv.http
      .put(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`)
      .send({ sealed: sealForPublicKey(JSON.stringify(fields), publicKey) })
      .expect(200);

    const res = await reveal(tv, credentialId).expect(200);
    expect(res.body.fields).toEqual({ ...fields, protocol: 'sftp' });
  });

  it('zeroes the opened box once its fields are read, before they are encrypted again', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const sealed = sealForPublicKey(JSON.stringify(FTP_FIELDS), await intakePublicKey(linkToken));
    let opened: Uint8Array | undefined;
    const open = (box: string) => (opened = openSealedBox(box, tv.vault.keys.intakeKeyPairs));

    expect(readSecretFields('ftp', { sealed }, open)).toMatchObject(FTP_FIELDS);
    expect(opened!.length).toBeGreaterThan(0);
    expect(opened!.every((byte) => byte === 0)).toBe(true);
  });

  describe('when the box was sealed to a different public key', () => {
    it('answers 400 sealed_invalid and stores nothing', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      await intakePublicKey(linkToken);
      const stranger = generateBoxKeyPair();
      const sealed = sealForPublicKey(JSON.stringify(FTP_FIELDS), stranger.publicKey);
      const before = await rowCounts();

      const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'ftp', sealed }).expect(400);
      expect(res.body.code).toBe('sealed_invalid');
      expect(await rowCounts()).toEqual(before);
    });
  });

  it.each([
    ['one byte of the box is flipped', (pk: Uint8Array) => Buffer.from(flipByte(Buffer.from(sealForPublicKey(JSON.stringify(FTP_FIELDS), pk), 'base64url'), 40)).toString('base64url')],
    ['the box is cut short', (pk: Uint8Array) => sealForPublicKey(JSON.stringify(FTP_FIELDS), pk).slice(0, 40)],
    ['the box holds no JSON', (pk: Uint8Array) => sealForPublicKey('host=ftp.shop.test', pk)],
    ['sealed is not base64url', () => 'not base64url!'],
  ])('answers 400 sealed_invalid when %s', async (_case, makeSealed) => {
    const { linkToken } = await openTicketWithLink(tv);
    const res = await tv.http
      .post(`/api/v1/intake/${linkToken}/credentials`)
      .send({ kind: 'ftp', sealed: makeSealed(await intakePublicKey(linkToken)) })
      .expect(400);
    expect(res.body.code).toBe('sealed_invalid');
  });
});

describe('link and receipt tokens', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest();

  it('are 43 base64url characters carrying 32 random bytes', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { receiptToken } = await submitCredential(tv, linkToken);
    for (const token of [linkToken, receiptToken]) {
      expect(token).toMatch(TOKEN_SHAPE);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(linkToken).not.toBe(receiptToken);
  });

  /** The stored token hashes of a link and of the receipt of a credential. */
  async function storedTokenHashes(linkId: string, credentialId: string) {
    const [link] = (await tv.query('SELECT token_hash FROM intake_links WHERE id = ?', linkId)) as { token_hash: Buffer }[];
    const [receipt] = (await tv.query('SELECT r.token_hash FROM receipts r JOIN credentials c ON c.receipt_id = r.id WHERE c.id = ?', credentialId)) as {
      token_hash: Buffer;
    }[];
    return { link: link!.token_hash, receipt: receipt!.token_hash };
  }

  // Scans the SQLite file and its WAL; the PostgreSQL twin below looks at every stored row instead.
  sqliteOnly.it('are stored only as their SHA-256: neither the token nor its bytes are in the database file or its WAL', async () => {
    const { linkToken, linkId } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);

    const hashes = await storedTokenHashes(linkId, credentialId);
    expect(hashes.link.equals(sha256(linkToken))).toBe(true);
    expect(hashes.receipt.equals(sha256(receiptToken))).toBe(true);

    const { db, wal } = readDatabaseFiles(tv);
    expect(db.length + wal.length).toBeGreaterThan(0);
    expect(Buffer.concat([db, wal]).indexOf(sha256(linkToken))).not.toBe(-1); // the scan sees what is stored
    for (const token of [linkToken, receiptToken]) {
      for (const file of [db, wal]) {
        expect(file.indexOf(Buffer.from(token, 'utf8'))).toBe(-1);
        expect(file.indexOf(Buffer.from(token, 'base64url'))).toBe(-1);
      }
    }
  });

  (onPostgres ? it : it.skip)('are stored only as their SHA-256: neither the token nor its bytes are in any stored row', async () => {
    const { linkToken, linkId } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);

    const hashes = await storedTokenHashes(linkId, credentialId);
    expect(hashes.link.equals(sha256(linkToken))).toBe(true);
    expect(hashes.receipt.equals(sha256(receiptToken))).toBe(true);

    const rows = Object.values({ ...(await snapshotVault(tv)), notice_outbox: await tv.query('SELECT * FROM notice_outbox') }).flat() as Record<string, unknown>[];
    const values = rows.flatMap((row) => Object.values(row));
    const holds = (needle: Buffer) => values.some((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8')).indexOf(needle) !== -1);
    expect(holds(sha256(linkToken))).toBe(true); // the scan sees what is stored
    for (const token of [linkToken, receiptToken]) {
      expect(holds(Buffer.from(token, 'utf8'))).toBe(false);
      expect(holds(Buffer.from(token, 'base64url'))).toBe(false);
    }
  });

  it('keep the receipt token wrapped under the current master key, bound to its receipt', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const first = await submitCredential(tv, linkToken);
    const second = await submitCredential(tv, linkToken);
    const receiptOf = async (credentialId: string) =>
      (await tv.query('SELECT r.id, r.token_kek_id, r.token_wrapped FROM receipts r JOIN credentials c ON c.receipt_id = r.id WHERE c.id = ?', credentialId))[0] as {
        id: string;
        token_kek_id: string;
        token_wrapped: Buffer;
      };
    const r1 = await receiptOf(first.credentialId);
    const r2 = await receiptOf(second.credentialId);
    const { keyring } = tv.vault.keys;

    expect(r1.token_kek_id).toBe(keyring.currentId);
    expect(r1.token_wrapped.indexOf(Buffer.from(first.receiptToken))).toBe(-1);
    expect(Buffer.from(keyring.unwrap(r1.token_kek_id, r1.token_wrapped, receiptTokenContext(r1.id))).toString('utf8')).toBe(first.receiptToken);
    expect(() => keyring.unwrap(r2.token_kek_id, r2.token_wrapped, receiptTokenContext(r1.id))).toThrow();
  });

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['44 characters', 'a'.repeat(44)],
    ['a character outside base64url', `${'a'.repeat(42)}+`],
    ['padding', `${'a'.repeat(42)}=`],
    ['the right shape but unknown', 'A'.repeat(43)],
  ])('answer a plain 404 for a token with %s', async (_case, token) => {
    const intake = await tv.http.get(`/api/v1/intake/${encodeURIComponent(token)}`);
    expect(intake.status).toBe(404);
    expect(intake.body.code).toBe('intake_link_not_found');
    const receipt = await tv.http.get(`/api/v1/receipts/${encodeURIComponent(token)}`);
    expect(receipt.status).toBe(404);
    expect(receipt.body.code).toBe('receipt_not_found');
  });
});

describe('master key loading', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function configIn(env: Record<string, string | undefined>): Config {
    const dir = makeTempDir('tv-key-');
    dirs.push(dir);
    return parseConfig({ NODE_ENV: 'test', DATABASE_PATH: path.join(dir, 'data', 'ticketvault.db'), ...env });
  }

  function keyFile(lines: string[]): string {
    const dir = makeTempDir('tv-keyfile-');
    dirs.push(dir);
    const file = path.join(dir, 'master.keys');
    fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
    return file;
  }

  const configErrorOf = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a ConfigError');
  };

  describe('in production without a key', () => {
    it('stops start-up naming MASTER_KEY', () => {
      const error = configErrorOf(() => parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://vault.example.test' }));
      expect(error.key).toBe('MASTER_KEY');
      expect(error.message).toMatch(/MASTER_KEY/);
    });

    it('the loader refuses too, and generates no key file', () => {
      const config = { ...configIn({}), isProduction: true, env: 'production' as const };
      const warnings: string[] = [];
      const error = configErrorOf(() => loadMasterKeys(config, (m) => warnings.push(m)));
      expect(error.key).toBe('MASTER_KEY');
      expect(fs.existsSync(path.join(config.dataDir, DEV_MASTER_KEY_FILE))).toBe(false);
      expect(warnings).toEqual([]);
    });
  });

  describe('when a key is not 32 bytes', () => {
    it.each([
      ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
      ['31 bytes', Buffer.alloc(31, 1).toString('base64')],
      ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
      ['a good current key and a short old one', `${NEW_KEY},${Buffer.alloc(16, 1).toString('base64')}`],
      ['not base64', 'this is not a key!'],
    ])('MASTER_KEY holding %s is refused naming MASTER_KEY', (_case, value) => {
      expect(configErrorOf(() => parseConfig({ NODE_ENV: 'test', MASTER_KEY: value })).key).toBe('MASTER_KEY');
      // The loader does not rely on the config schema alone.
      expect(configErrorOf(() => loadMasterKeys({ ...configIn({}), masterKey: value }, () => {})).key).toBe('MASTER_KEY');
    });

    it.each([
      ['16 bytes', [Buffer.alloc(16, 1).toString('base64')]],
      ['a good current key and a 48-byte old one', [NEW_KEY, Buffer.alloc(48, 1).toString('base64')]],
    ])('MASTER_KEY_FILE holding %s is refused naming MASTER_KEY_FILE', (_case, lines) => {
      const error = configErrorOf(() => loadMasterKeys(configIn({ MASTER_KEY_FILE: keyFile(lines) }), () => {}));
      expect(error.key).toBe('MASTER_KEY_FILE');
      expect(error.message).toMatch(/32 bytes/);
    });
  });

  it('reads MASTER_KEY_FILE one key a line, current first, skipping blanks and comments', () => {
    const keys = loadMasterKeys(configIn({ MASTER_KEY_FILE: keyFile(['# rotated 2026-03', NEW_KEY, '', OLD_KEY, '']) }), () => {});
    expect(keys.map((k) => Buffer.from(k).toString('base64'))).toEqual([NEW_KEY, OLD_KEY]);
  });

  it('names MASTER_KEY_FILE when the file cannot be read', () => {
    const error = configErrorOf(() => loadMasterKeys(configIn({ MASTER_KEY_FILE: '/nonexistent/ticketvault/master.keys' }), () => {}));
    expect(error.key).toBe('MASTER_KEY_FILE');
  });

  describe('outside production without a key', () => {
    it('generates a 32-byte key into the data folder with mode 0600 and a loud warning, then reuses it', () => {
      const config = configIn({});
      const warnings: string[] = [];
      const [key] = loadMasterKeys(config, (m) => warnings.push(m));

      const file = path.join(config.dataDir, DEV_MASTER_KEY_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(key).toHaveLength(32);
      expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64').equals(Buffer.from(key!))).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(file);

      const again: string[] = [];
      expect(Buffer.from(loadMasterKeys(config, (m) => again.push(m))[0]!).equals(Buffer.from(key!))).toBe(true);
      expect(again).toEqual([]);
    });
  });
});

describe('when a vault is reopened with a different master key', () => {
  it('fails to start with an error naming MASTER_KEY and the key the data needs, and changes nothing', async () => {
    const tv = await createTestVault({ MASTER_KEY: OLD_KEY });
    let reopened: TestVault | undefined;
    try {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      const keysBefore = await tv.query('SELECT * FROM vault_keys ORDER BY id');
      const oldKekId = tv.vault.keys.keyring.currentId;

      await expect(reopenTestVault(tv, { MASTER_KEY: NEW_KEY })).rejects.toThrow(/MASTER_KEY/);
      await expect(reopenTestVault(tv, { MASTER_KEY: NEW_KEY })).rejects.toThrow(oldKekId);

      reopened = await reopenTestVault(tv, { MASTER_KEY: OLD_KEY });
      expect(await reopened.query('SELECT * FROM vault_keys ORDER BY id')).toEqual(keysBefore);
      expect((await reveal(reopened, credentialId).expect(200)).body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
    } finally {
      await (reopened ?? tv).close();
    }
  });
});

describe('key rotation (MASTER_KEY="new,old", then rotateKeys)', () => {
  const rotate = (tv: TestVault): Promise<RotationSummary> => tv.vault.rotateKeys();

  const kekIds = async (tv: TestVault) =>
    new Set(
      (
        (await tv.query(
          `SELECT kek_id AS k FROM credential_secrets UNION ALL SELECT token_kek_id FROM receipts UNION ALL SELECT kek_id FROM vault_keys`,
        )) as { k: string }[]
      ).map((r) => r.k),
    );

  async function arrangeOldData() {
    const tv = await createTestVault({ MASTER_KEY: OLD_KEY });
    const { linkToken } = await openTicketWithLink(tv);
    const oldPublicKey = new Uint8Array(Buffer.from((await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body.publicKey, 'base64url'));
    const ftp = await submitCredential(tv, linkToken, { kind: 'ftp', label: 'Shop FTP', fields: ftpFields('rotate-ftp-8c1d') });
    const apiFields = { key: 'rotate-api-key-0b6e', baseUrl: 'https://api.shop.test' };
    const api = await submitCredential(tv, linkToken, { kind: 'api', label: 'Shop API', fields: apiFields });
    await reveal(tv, ftp.credentialId).expect(200);
    return { tv, linkToken, oldPublicKey, ftp, api, apiFields };
  }

  it('re-wraps every data key, receipt token and vault key under the new key, leaving ciphertexts untouched', async () => {
    const { tv, ftp } = await arrangeOldData();
    const rotating = await reopenTestVault(tv, { MASTER_KEY: `${NEW_KEY},${OLD_KEY}` });
    try {
      const newKekId = kekIdOf(Buffer.from(NEW_KEY, 'base64'));
      const oldKekId = kekIdOf(Buffer.from(OLD_KEY, 'base64'));
      expect(await kekIds(rotating)).toEqual(new Set([oldKekId]));
      const before = (await secretColumns(rotating, ftp.credentialId))!;

      const summary = await rotate(rotating);

      expect(summary.kekId).toBe(newKekId);
      expect(summary.rewrapped).toEqual({ dataKeys: 2, receiptTokens: 2, vaultKeys: 3, totpSecrets: 0, webhookSecrets: 0 });
      expect(await kekIds(rotating)).toEqual(new Set([newKekId]));
      const after = (await secretColumns(rotating, ftp.credentialId))!;
      expect(after.ciphertext.equals(before.ciphertext)).toBe(true);
      expect(after.wrapped_dek.equals(before.wrapped_dek)).toBe(false);
      expect((await rotating.vault.audit.listEvents({ action: 'keys.rotated' })).items).toEqual([
        expect.objectContaining({ action: 'keys.rotated', actor: expect.objectContaining({ type: 'system' }) }),
      ]);

      // Restartable: a second run finds nothing left under the old key.
      expect((await rotate(rotating)).rewrapped).toEqual({ dataKeys: 0, receiptTokens: 0, vaultKeys: 0, totpSecrets: 0, webhookSecrets: 0 });
    } finally {
      await rotating.close();
    }
  });

  it('lets the vault open with only the new key, revealing the exact fields, with receipts and the audit chain intact', async () => {
    const { tv, ftp, api, apiFields } = await arrangeOldData();
    const staffTokenFromBefore = tv.tokens.engineer;
    const rotating = await reopenTestVault(tv, { MASTER_KEY: `${NEW_KEY},${OLD_KEY}` });
    await rotate(rotating);
    const rotated = await reopenTestVault(rotating, { MASTER_KEY: NEW_KEY });
    try {
      expect(rotated.vault.keys.keyring.ids).toEqual([kekIdOf(Buffer.from(NEW_KEY, 'base64'))]);
      expect((await reveal(rotated, ftp.credentialId).expect(200)).body.fields).toEqual({ ...ftpFields('rotate-ftp-8c1d'), protocol: 'sftp' });
      expect((await reveal(rotated, api.credentialId).expect(200)).body.fields).toEqual(apiFields);

      const receipt = await rotated.http.get(`/api/v1/receipts/${ftp.receiptToken}`).expect(200);
      expect(receipt.body.credentials.map((c: { id: string }) => c.id)).toEqual([ftp.credentialId]);
      const [row] = (await rotated.query('SELECT id, token_kek_id, token_wrapped FROM receipts WHERE id = (SELECT receipt_id FROM credentials WHERE id = ?)', ftp.credentialId)) as Array<{
        id: string;
        token_kek_id: string;
        token_wrapped: Buffer;
      }>;
      const token = rotated.vault.keys.keyring.unwrap(row!.token_kek_id, row!.token_wrapped, receiptTokenContext(row!.id));
      expect(Buffer.from(token).toString('utf8')).toBe(ftp.receiptToken);

      const chain = await rotated.vault.audit.verifyChain();
      expect(chain.ok).toBe(true);
      expect(chain.count).toBeGreaterThan(5);

      // The token-signing key was replaced, not re-wrapped: a token issued before rotation fails, a new one works.
      expectProblem(await rotated.http.get(`/api/v1/credentials/${ftp.credentialId}`).set({ Authorization: `Bearer ${staffTokenFromBefore}` }), 401, 'invalid_token');
      await rotated.http.get(`/api/v1/credentials/${ftp.credentialId}`).set(rotated.auth('engineer')).expect(200);
    } finally {
      await rotated.close();
    }
  });

  it('publishes a new intake key and still opens boxes sealed to the retired one', async () => {
    const { tv, linkToken, oldPublicKey } = await arrangeOldData();
    const rotating = await reopenTestVault(tv, { MASTER_KEY: `${NEW_KEY},${OLD_KEY}` });
    await rotate(rotating);
    const rotated = await reopenTestVault(rotating, { MASTER_KEY: NEW_KEY });
    try {
      const published = (await rotated.http.get(`/api/v1/intake/${linkToken}`).expect(200)).body.publicKey as string;
      expect(published).not.toBe(Buffer.from(oldPublicKey).toString('base64url'));

      const oldPageFields = { host: 'ftp.old-page.test', username: 'opened-before-rotation', password: 'sealed-old-key-3d9a' };
      const fromOldPage = await submitCredential(rotated, linkToken, { kind: 'ftp', sealed: sealForPublicKey(JSON.stringify(oldPageFields), oldPublicKey) });
      expect((await reveal(rotated, fromOldPage.credentialId).expect(200)).body.fields).toEqual({ ...oldPageFields, protocol: 'sftp' });

      const newPageFields = { key: 'sealed-new-key-77e0' };
      const newPublicKey = new Uint8Array(Buffer.from(published, 'base64url'));
      const fromNewPage = await submitCredential(rotated, linkToken, { kind: 'api', sealed: sealForPublicKey(JSON.stringify(newPageFields), newPublicKey) });
      expect((await reveal(rotated, fromNewPage.credentialId).expect(200)).body.fields).toEqual(newPageFields);
    } finally {
      await rotated.close();
    }
  });
});
