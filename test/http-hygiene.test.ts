import { generateKeyPairSync, randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { Test } from 'supertest';
import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import { TOKEN_AUDIENCE } from '../src/staff-auth/staff-tokens.js';
import {
  BY_OPERATOR,
  canary,
  createTestVault,
  DAY,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  PROBLEM_KEYS,
  revealAs,
  snapshotVault,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md: "Bad input always gets a clear 4xx problem body and changes nothing", and
// "Nothing in a 5xx body reveals internals". Every refusal here is checked against a snapshot of
// every table, so a refusal that half-happened cannot pass.

const API = '/api/v1';
const KiB = 1024;
const MiB = 1024 * KiB;

const newTicket = (tv: TestVault, overrides: Record<string, unknown> = {}) => ({
  externalRef: `ZD-${randomUUID().slice(0, 8)}`,
  subject: 'Upload to shop fails',
  customerEmail: 'customer@shop.test',
  supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString(),
  ...overrides,
});

/** A raw body, exactly as given: JS object literals cannot carry `__proto__` keys or broken JSON. */
const postRaw = (tv: TestVault, path: string, raw: string, contentType = 'application/json') =>
  tv.http.post(`${API}${path}`).set('Content-Type', contentType).send(raw);

/** An open ticket with a one-use link, a submitted credential and its receipt, and the vault's rows. */
async function arrange(tv: TestVault) {
  const spent = await openTicketWithLink(tv);
  const submitted = await submitCredential(tv, spent.linkToken);
  const fresh = await openTicketWithLink(tv, {}, { maxUses: 1 });
  return { ...submitted, ticketId: spent.ticketId, linkId: spent.linkId, linkToken: fresh.linkToken };
}

/** The one-use link still takes its one submission: nothing before used it up. */
async function expectLinkUnused(tv: TestVault, linkToken: string) {
  await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'other', fields: { notes: 'still works' } }).expect(201);
}

describe('HTTP hygiene', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  describe('a body that is not valid JSON', () => {
    const bodies: Array<[string, string]> = [
      ['a cut-off object', '{"kind": "ftp", "fields": {'],
      ['single quotes', "{'kind': 'ftp'}"],
      ['a trailing comma', '{"kind": "ftp",}'],
      ['a bare string (only objects and arrays are accepted)', '"ftp"'],
      ['a bare number', '42'],
    ];

    it.each(bodies)('responds 400 malformed_json to %s on every JSON endpoint, and changes nothing', async (_name, raw) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const requests: Test[] = [
        postRaw(tv, '/tickets', raw).set(tv.auth()),
        postRaw(tv, `/tickets/${a.ticketId}/intake-links`, raw).set(tv.auth()),
        postRaw(tv, `/intake/${a.linkToken}/credentials`, raw),
        postRaw(tv, `/credentials/${a.credentialId}/reveal`, raw).set(tv.auth()),
        tv.http.put(`${API}/receipts/${a.receiptToken}/credentials/${a.credentialId}`).set('Content-Type', 'application/json').send(raw),
        tv.http.put(`${API}/receipts/${a.receiptToken}/preferences`).set('Content-Type', 'application/json').send(raw),
      ];
      for (const req of requests) expectProblem(await req, 400, 'malformed_json');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });

    it('does not echo the body back in the problem', async () => {
      const a = await arrange(tv);
      const secret = canary('malformed');
      const res = await postRaw(tv, `/intake/${a.linkToken}/credentials`, `{"kind":"ftp","fields":{"password":"${secret}"`);
      expectProblem(res, 400, 'malformed_json');
      expect(Object.keys(res.body).sort()).toEqual(PROBLEM_KEYS);
      expect(res.text).not.toContain(secret);
    });
  });

  describe('a body that is not application/json', () => {
    const types: Array<[string, string, string]> = [
      ['text/plain', 'text/plain', '{"kind":"other","fields":{"notes":"n"}}'],
      ['a form', 'application/x-www-form-urlencoded', 'kind=other&fields[notes]=n'],
      ['XML', 'application/xml', '<credential kind="other"/>'],
      ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n--x--'],
      ['JSON in another charset', 'application/json; charset=latin1', '{"kind":"other","fields":{"notes":"n"}}'],
    ];

    it.each(types)('responds 415 unsupported_media_type to %s, and changes nothing', async (_name, contentType, raw) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await postRaw(tv, `/intake/${a.linkToken}/credentials`, raw, contentType), 415, 'unsupported_media_type');
      expectProblem(await postRaw(tv, '/tickets', raw, contentType).set(tv.auth()), 415, 'unsupported_media_type');
      expectProblem(await postRaw(tv, `/credentials/${a.credentialId}/reveal`, raw, contentType).set(tv.auth()), 415, 'unsupported_media_type');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });
  });

  describe('a body over 1 MiB', () => {
    /** A JSON submission of exactly `bytes` bytes. */
    const submissionOf = (bytes: number) => {
      const shell = JSON.stringify({ kind: 'other', fields: { notes: '' } });
      return JSON.stringify({ kind: 'other', fields: { notes: 'x'.repeat(bytes - shell.length) } });
    };

    it('responds 413 payload_too_large at 1 MiB + 1 byte, and changes nothing', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const raw = submissionOf(MiB + 1);
      expect(Buffer.byteLength(raw)).toBe(MiB + 1);
      expectProblem(await postRaw(tv, `/intake/${a.linkToken}/credentials`, raw), 413, 'payload_too_large');
      expectProblem(await postRaw(tv, '/tickets', raw).set(tv.auth()), 413, 'payload_too_large');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });

    it('reads a body of exactly 1 MiB (then refuses the 16 KiB field in it with 400)', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const raw = submissionOf(MiB);
      expect(Buffer.byteLength(raw)).toBe(MiB);
      expectProblem(await postRaw(tv, `/intake/${a.linkToken}/credentials`, raw), 400, 'validation_failed');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('a compressed body', () => {
    const submission = JSON.stringify({ kind: 'other', fields: { notes: 'sent gzipped' } });
    // serialize() keeps superagent from JSON-encoding the Buffer: the bytes go out as they are.
    const postEncoded = (path: string, encoding: string, body: Buffer) =>
      tv.http
        .post(`${API}${path}`)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .serialize((bytes: Buffer) => bytes as unknown as string)
        .send(body as unknown as object);

    it('is read when it decodes (gzip, deflate, br)', async () => {
      const a = await openTicketWithLink(tv, {}, { maxUses: 3 });
      for (const [encoding, body] of [
        ['gzip', zlib.gzipSync(submission)],
        ['deflate', zlib.deflateSync(submission)],
        ['br', zlib.brotliCompressSync(submission)],
      ] as const) {
        const res = await postEncoded(`/intake/${a.linkToken}/credentials`, encoding, body);
        expect([encoding, res.status]).toEqual([encoding, 201]);
      }
    });

    const undecodable: Array<[string, string, Buffer]> = [
      ['gzip that is not gzip', 'gzip', Buffer.from(submission)],
      ['gzip cut short', 'gzip', zlib.gzipSync(submission).subarray(0, 12)],
      ['deflate that is not deflate', 'deflate', Buffer.from('garbage')],
      ['br that is not br', 'br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])],
    ];

    it.each(undecodable)('responds 400 malformed_body to %s on every JSON endpoint and webhook, and changes nothing', async (_name, encoding, body) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const paths = ['/tickets', `/intake/${a.linkToken}/credentials`, `/credentials/${a.credentialId}/reveal`, '/auth/login', '/hooks/helpdesk', '/hooks/zendesk'];
      for (const path of paths) {
        const res = await postEncoded(path, encoding, body).set(tv.auth());
        expect([path, res.status]).toEqual([path, 400]);
        expectProblem(res, 400, 'malformed_body');
      }
      expect(await snapshotVault(tv)).toEqual(before);
      expect(tv.logs.join('\n')).not.toContain('unhandled error');
      await expectLinkUnused(tv, a.linkToken);
    });

    it('responds 413 payload_too_large when it inflates past 1 MiB, and changes nothing', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const bomb = zlib.gzipSync(JSON.stringify({ kind: 'other', fields: { notes: 'x'.repeat(3 * MiB) } }));
      expect(bomb.length).toBeLessThan(64 * KiB);
      for (const path of [`/intake/${a.linkToken}/credentials`, '/hooks/helpdesk']) {
        expectProblem(await postEncoded(path, 'gzip', bomb), 413, 'payload_too_large');
      }
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('unknown fields', () => {
    it.each([
      ['POST /tickets', (t: TestVault) => t.http.post(`${API}/tickets`).set(t.auth()).send(newTicket(t, { priority: 'high' })), 'body.priority'],
      // `sort` is a field of the ticket list now (created, updated, ref, expiry); `order` is not.
      ['GET /tickets', (t: TestVault) => t.http.get(`${API}/tickets`).query({ order: 'asc' }).set(t.auth()), 'query.order'],
      ['GET /audit', (t: TestVault) => t.http.get(`${API}/audit`).query({ sort: 'asc' }).set(t.auth('auditor')), 'query.sort'],
    ])('%s responds 400 unknown_field naming %s, and changes nothing', async (_route, send, path) => {
      await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await send(tv);
      expectProblem(res, 400, 'unknown_field');
      expect(res.body.detail).toContain(path);
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('POST /tickets/:id/intake-links responds 400 unknown_field, and creates no link', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.post(`${API}/tickets/${a.ticketId}/intake-links`).set(tv.auth()).send({ ttl: 3600 }), 400, 'unknown_field');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('POST /credentials/:id/reveal responds 400 unknown_field, reveals nothing and writes no audit row', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await revealAs(tv, a.credentialId).send({ reason: 'debugging', fieldsWanted: ['password'] });
      expectProblem(res, 400, 'unknown_field');
      expect(res.text).not.toContain(FTP_FIELDS.password);
      expect(await snapshotVault(tv)).toEqual(before);
    });

    describe('POST /intake/:token/credentials', () => {
      it.each([
        ['at the top level', { kind: 'ftp', fields: FTP_FIELDS, colour: 'blue' }, 'body.colour'],
        ['in fields', { kind: 'ftp', fields: { ...FTP_FIELDS, colour: 'blue' } }, 'fields.colour'],
        ["in fields, a field of another kind (ssh has no protocol)", { kind: 'ssh', fields: { host: 'h', username: 'u', protocol: 'sftp' } }, 'fields.protocol'],
        ['in fields, a password for kind other', { kind: 'other', fields: { notes: 'n', password: 'p' } }, 'fields.password'],
      ])('responds 400 unknown_field %s, and stores nothing', async (_where, body, path) => {
        const a = await arrange(tv);
        const before = await snapshotVault(tv);
        const res = await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send(body);
        expectProblem(res, 400, 'unknown_field');
        expect(res.body.detail).toContain(path);
        expect(await snapshotVault(tv)).toEqual(before);
        await expectLinkUnused(tv, a.linkToken);
      });
    });

    it('PUT /receipts/:token/credentials/:id responds 400 unknown_field and keeps the old secret', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await tv.http.put(`${API}/receipts/${a.receiptToken}/credentials/${a.credentialId}`).send({ kind: 'ftp', fields: FTP_FIELDS });
      expectProblem(res, 400, 'unknown_field');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('PUT /receipts/:token/preferences responds 400 unknown_field, and changes nothing', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.put(`${API}/receipts/${a.receiptToken}/preferences`).send({ notifyOnReveal: false, sms: true }), 400, 'unknown_field');
      expect(await snapshotVault(tv)).toEqual(before);
    });
  });

  describe('unknown kinds', () => {
    it.each(['smb', 'FTP', 'ftp ', 'web_login', 'toString', '__proto__', ''])('responds 400 unknown_kind to kind %j, and stores nothing', async (kind) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send({ kind, fields: { notes: 'n' } });
      expectProblem(res, 400, 'unknown_kind');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });
  });

  describe('per-kind field validation', () => {
    // DESIGN.md "Credential kinds and their fields".
    const REQUIRED: Record<string, Record<string, string>> = {
      ftp: { host: 'ftp.shop.test', username: 'u' },
      ssh: { host: 'ssh.shop.test', username: 'u' },
      teamviewer: { partnerId: '123 456 789', password: 'p' },
      api: { key: 'k' },
      'web-login': { url: 'https://shop.test/admin', username: 'u', password: 'p' },
      other: { notes: 'n' },
    };
    const OPTIONAL: Record<string, Record<string, string>> = {
      ftp: { protocol: 'ftps', port: '2121', password: 'p', privateKey: 'pk', path: '/www', notes: 'n' },
      ssh: { port: '2222', password: 'p', privateKey: 'pk', notes: 'n' },
      teamviewer: { notes: 'n' },
      api: { baseUrl: 'https://api.shop.test', secret: 's', notes: 'n' },
      'web-login': { notes: 'n' },
      other: {},
    };
    const kinds = Object.keys(REQUIRED);
    const missing = kinds.flatMap((kind) => Object.keys(REQUIRED[kind]!).map((field) => [kind, field] as const));

    const submit = (t: TestVault, token: string, kind: string, fields: unknown) =>
      t.http.post(`${API}/intake/${token}/credentials`).send({ kind, fields });

    /** Submits, expecting a 400 with `code` that stores nothing and leaves the one-use link unused. */
    async function expectRefused(kind: string, fields: unknown, code = 'validation_failed', path?: string) {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await submit(tv, a.linkToken, kind, fields);
      expectProblem(res, 400, code);
      if (path) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    }

    /** Submits, expecting 201, and returns the fields a reveal gives back. */
    async function expectStored(kind: string, fields: unknown): Promise<Record<string, string>> {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await submit(tv, linkToken, kind, fields);
      expect({ status: res.status, body: res.status === 201 ? 'created' : res.body }).toEqual({ status: 201, body: 'created' });
      return (await revealAs(tv, res.body.credentialId).expect(200)).body.fields;
    }

    it.each(kinds)('accepts %s with only its required fields', async (kind) => {
      expect(await expectStored(kind, REQUIRED[kind])).toEqual({ ...REQUIRED[kind], ...(kind === 'ftp' ? { protocol: 'sftp' } : {}) });
    });

    it.each(kinds)('accepts %s with every optional field too', async (kind) => {
      const fields = { ...REQUIRED[kind], ...OPTIONAL[kind] };
      expect(await expectStored(kind, fields)).toEqual(fields);
    });

    it.each(missing)('refuses %s without %s with 400 validation_failed, and stores nothing', async (kind, field) => {
      const { [field]: _omitted, ...fields } = REQUIRED[kind]!;
      await expectRefused(kind, fields, 'validation_failed', `fields.${field}`);
    });

    it.each(missing)('refuses %s with a blank %s', async (kind, field) => {
      await expectRefused(kind, { ...REQUIRED[kind], [field]: '   ' }, 'validation_failed', `fields.${field}`);
    });

    it.each([
      ['a number', 42],
      ['a boolean', true],
      ['null', null],
      ['an object', { value: 'p' }],
      ['an array', ['p']],
    ])('refuses a field that is %s', async (_name, value) => {
      await expectRefused('ftp', { ...REQUIRED.ftp, password: value }, 'validation_failed', 'fields.password');
    });

    it.each([
      ['no fields and no sealed', { kind: 'other' }],
      ['both fields and sealed', { kind: 'other', fields: { notes: 'n' }, sealed: 'AAAA' }],
      ['fields as a string', { kind: 'other', fields: 'notes=n' }],
      ['fields as an array', { kind: 'other', fields: ['n'] }],
      ['no kind', { fields: { notes: 'n' } }],
      ['a label over 200 characters', { kind: 'other', label: 'l'.repeat(201), fields: { notes: 'n' } }],
      ['a label that is not a string', { kind: 'other', label: 7, fields: { notes: 'n' } }],
    ])('refuses a submission with %s with 400 validation_failed', async (_name, body) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send(body), 400, 'validation_failed');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });

    it('refuses sealed data that does not open with 400 sealed_invalid', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send({ kind: 'other', sealed: Buffer.alloc(80, 1).toString('base64url') });
      expectProblem(res, 400, 'sealed_invalid');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('validates sealed fields like plain ones', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const publicKey = new Uint8Array(Buffer.from(tv.vault.keys.intakePublicKey, 'base64url'));
      const sealed = sealForPublicKey(JSON.stringify({ host: 'h', username: 'u', port: '70000' }), publicKey);
      expectProblem(await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send({ kind: 'ftp', sealed }), 400, 'validation_failed');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    describe('the 16 KiB limit, counted in UTF-8 bytes', () => {
      const fits: Array<[string, string]> = [
        ['16384 ASCII bytes', 'x'.repeat(16 * KiB)],
        ['8192 two-byte characters (16384 bytes)', 'é'.repeat(8192)],
        ['4096 four-byte emoji (16384 bytes)', '😀'.repeat(4096)],
      ];
      const tooLong: Array<[string, string]> = [
        ['16385 ASCII bytes', 'x'.repeat(16 * KiB + 1)],
        ['8192 two-byte characters and one ASCII (16385 bytes, 8193 characters)', `${'é'.repeat(8192)}x`],
        ['5462 three-byte characters (16386 bytes, 5462 characters)', '€'.repeat(5462)],
        ['4096 emoji and one ASCII (16385 bytes)', `${'😀'.repeat(4096)}x`],
      ];

      it.each(fits)('accepts a field of %s', async (_name, value) => {
        expect((await expectStored('other', { notes: value })).notes).toBe(value);
      });

      it.each(tooLong)('refuses a field of %s', async (_name, value) => {
        await expectRefused('other', { notes: value }, 'validation_failed', 'fields.notes');
      });

      it.each([
        ['a required field (ftp host)', 'ftp', 'host'],
        ['an optional field (ftp password)', 'ftp', 'password'],
        ['an optional field (api secret)', 'api', 'secret'],
      ])('applies to %s', async (_name, kind, field) => {
        expect((await expectStored(kind, { ...REQUIRED[kind], [field]: 'é'.repeat(8192) }))[field]).toBe('é'.repeat(8192));
        await expectRefused(kind, { ...REQUIRED[kind], [field]: `${'é'.repeat(8192)}x` }, 'validation_failed', `fields.${field}`);
      });
    });

    describe('port', () => {
      it.each([
        ['"1"', '1', '1'],
        ['"65535"', '65535', '65535'],
        ['"22"', '22', '22'],
        ['the number 22', 22, '22'],
      ])('accepts %s', async (_name, port, stored) => {
        expect((await expectStored('ssh', { ...REQUIRED.ssh, port })).port).toBe(stored);
      });

      it('treats an empty port as absent', async () => {
        expect(await expectStored('ssh', { ...REQUIRED.ssh, port: '' })).not.toHaveProperty('port');
      });

      it.each([['0'], ['65536'], ['-1'], ['22.5'], ['1e3'], ['abc'], ['22 ssh'], [0], [70000], ['9'.repeat(16 * KiB + 1)]])(
        'refuses %j with 400 validation_failed',
        async (port) => {
          await expectRefused('ftp', { ...REQUIRED.ftp, port }, 'validation_failed', 'fields.port');
        },
      );
    });

    describe('protocol', () => {
      it('defaults to sftp when absent or empty', async () => {
        expect((await expectStored('ftp', REQUIRED.ftp)).protocol).toBe('sftp');
        expect((await expectStored('ftp', { ...REQUIRED.ftp, protocol: '' })).protocol).toBe('sftp');
      });

      it.each(['ftp', 'ftps', 'sftp'])('accepts %s', async (protocol) => {
        expect((await expectStored('ftp', { ...REQUIRED.ftp, protocol })).protocol).toBe(protocol);
      });

      it.each(['http', 'scp', 'SFTP', 'ftp '])('refuses %j with 400 validation_failed', async (protocol) => {
        await expectRefused('ftp', { ...REQUIRED.ftp, protocol }, 'validation_failed', 'fields.protocol');
      });
    });

    it('applies to rectification too, keeping the old secret', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await tv.http.put(`${API}/receipts/${a.receiptToken}/credentials/${a.credentialId}`).send({ fields: { ...FTP_FIELDS, port: '0' } });
      expectProblem(res, 400, 'validation_failed');
      expect(await snapshotVault(tv)).toEqual(before);
      expect((await revealAs(tv, a.credentialId).expect(200)).body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
    });
  });

  describe('__proto__ and constructor keys', () => {
    const ticketJson = (tv: TestVault) => JSON.stringify(newTicket(tv)).slice(1, -1);

    it.each([
      ['__proto__ at the top', (t: TestVault) => `{"__proto__":{"role":"admin"},${ticketJson(t)}}`],
      ['constructor at the top', (t: TestVault) => `{"constructor":{"prototype":{"role":"admin"}},${ticketJson(t)}}`],
      ['prototype at the top', (t: TestVault) => `{"prototype":{"role":"admin"},${ticketJson(t)}}`],
      ['__proto__ in an array', (t: TestVault) => `{${ticketJson(t)},"tags":[{"__proto__":{"role":"admin"}}]}`],
    ])('POST /tickets responds 400 forbidden_key to %s, and creates nothing', async (_name, raw) => {
      await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await postRaw(tv, '/tickets', raw(tv)).set(tv.auth()), 400, 'forbidden_key');
      expect(await snapshotVault(tv)).toEqual(before);
      expect(({} as Record<string, unknown>).role).toBeUndefined();
    });

    const deep = (levels: number, inner: string) => {
      let json = inner;
      for (let i = 0; i < levels; i++) json = `{"a":${json}}`;
      return json;
    };

    it.each([
      ['__proto__ in fields', '{"kind":"ftp","fields":{"host":"h","username":"u","__proto__":{"password":"x"}}}'],
      ['constructor in fields', '{"kind":"ftp","fields":{"host":"h","username":"u","constructor":"x"}}'],
      ['__proto__ three levels down', '{"kind":"other","fields":{"notes":"n"},"label":"l","meta":{"a":{"b":{"__proto__":{}}}}}'],
      ['__proto__ forty levels down', `{"kind":"other","fields":{"notes":"n"},"meta":${deep(40, '{"__proto__":{}}')}}`],
      ['constructor two thousand levels down', `{"kind":"other","fields":{"notes":"n"},"meta":${deep(2000, '{"constructor":1}')}}`],
    ])('POST /intake/:token/credentials responds 400 forbidden_key to %s, and stores nothing', async (_name, raw) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      expectProblem(await postRaw(tv, `/intake/${a.linkToken}/credentials`, raw), 400, 'forbidden_key');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });

    it('responds 400 forbidden_key to __proto__ inside sealed fields, and stores nothing', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const publicKey = new Uint8Array(Buffer.from(tv.vault.keys.intakePublicKey, 'base64url'));
      const sealed = sealForPublicKey('{"notes":"n","__proto__":{"polluted":true}}', publicKey);
      expectProblem(await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send({ kind: 'other', sealed }), 400, 'forbidden_key');
      expect(await snapshotVault(tv)).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('POST /credentials/:id/reveal responds 400 forbidden_key, reveals nothing and writes no audit row', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await postRaw(tv, `/credentials/${a.credentialId}/reveal`, '{"reason":"debugging","__proto__":{"reason":"x"}}').set(tv.auth());
      expectProblem(res, 400, 'forbidden_key');
      expect(res.text).not.toContain(FTP_FIELDS.password);
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('receipt endpoints respond 400 forbidden_key, and change nothing', async () => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const put = (path: string, raw: string) => tv.http.put(`${API}/receipts/${a.receiptToken}${path}`).set('Content-Type', 'application/json').send(raw);
      expectProblem(await put('/preferences', '{"notifyOnReveal":false,"constructor":{}}'), 400, 'forbidden_key');
      expectProblem(await put(`/credentials/${a.credentialId}`, '{"fields":{"host":"h","username":"u","__proto__":{}}}'), 400, 'forbidden_key');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it.each([
      ['GET /tickets', (t: TestVault) => t.http.get(`${API}/tickets?__proto__=x`).set(t.auth())],
      ['GET /audit', (t: TestVault) => t.http.get(`${API}/audit?constructor=x`).set(t.auth('auditor'))],
    ])('%s responds 400 forbidden_key to such a key in the query', async (_route, send) => {
      expectProblem(await send(tv), 400, 'forbidden_key');
    });
  });

  describe('tokens in customer links', () => {
    // [name, token as it appears in the path, whether it can even be percent-decoded]
    const GARBAGE: Array<[string, string, boolean]> = [
      ['of 42 characters', 'A'.repeat(42), true],
      ['of 44 characters', 'A'.repeat(44), true],
      ['of 43 characters outside base64url', `${'A'.repeat(42)}!`, true],
      ['of 43 characters with base64 padding', `${'A'.repeat(42)}=`, true],
      ['of 43 characters with a plus', `${'A'.repeat(42)}+`, true],
      ['that is a NUL byte', '%00', true],
      ['with a NUL byte among 43 characters', `${'A'.repeat(21)}%00${'A'.repeat(21)}`, true],
      ['of 43 unicode characters', encodeURIComponent('ü'.repeat(43)), true],
      ['of 43 full-width lookalikes', encodeURIComponent('Ａ'.repeat(43)), true],
      ['with an encoded slash', `${'A'.repeat(21)}%2F${'A'.repeat(21)}`, true],
      ['with an encoded space', `${'A'.repeat(21)}%20${'A'.repeat(21)}`, true],
      ['that is very long (8000 characters)', 'A'.repeat(8000), true],
      ['with broken percent-encoding', `${'A'.repeat(40)}%E0%A4%A`, false],
      ['that is a lone percent sign', '%', false],
    ];

    it.each(GARBAGE)('a token %s gets a plain 404 on every customer route, and changes nothing', async (_name, token, decodable) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const valid = { kind: 'other', fields: { notes: 'n' } };
      const routes: Array<[string, Test]> = [
        ['intake_link_not_found', tv.http.get(`${API}/intake/${token}`)],
        ['intake_link_not_found', tv.http.post(`${API}/intake/${token}/credentials`).send(valid)],
        ['receipt_not_found', tv.http.get(`${API}/receipts/${token}`)],
        ['receipt_not_found', tv.http.get(`${API}/receipts/${token}/export`)],
        ['receipt_not_found', tv.http.put(`${API}/receipts/${token}/preferences`).send({ notifyOnReveal: false })],
        ['receipt_not_found', tv.http.delete(`${API}/receipts/${token}/credentials/${a.credentialId}`)],
        ['receipt_not_found', tv.http.post(`${API}/receipts/${token}/credentials/${a.credentialId}/restrict`)],
        ['receipt_not_found', tv.http.post(`${API}/receipts/${token}/credentials/${a.credentialId}/unrestrict`)],
        ['receipt_not_found', tv.http.put(`${API}/receipts/${token}/credentials/${a.credentialId}`).send({ fields: FTP_FIELDS })],
      ];
      for (const [code, req] of routes) expectProblem(await req, 404, decodable ? code : 'not_found');
      expect(await snapshotVault(tv)).toEqual(before);
      await expectLinkUnused(tv, a.linkToken);
    });

    it('a real token with one character changed is a 404', async () => {
      const a = await arrange(tv);
      const flip = (t: string) => `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`;
      expectProblem(await tv.http.get(`${API}/intake/${flip(a.linkToken)}`), 404, 'intake_link_not_found');
      expectProblem(await tv.http.get(`${API}/receipts/${flip(a.receiptToken)}`), 404, 'receipt_not_found');
    });

    it('a receipt token is not an intake token, nor the other way round', async () => {
      const a = await arrange(tv);
      expectProblem(await tv.http.get(`${API}/intake/${a.receiptToken}`), 404, 'intake_link_not_found');
      expectProblem(await tv.http.get(`${API}/receipts/${a.linkToken}`), 404, 'receipt_not_found');
    });
  });

  describe('ids that are not UUIDs', () => {
    // [name, id as it appears in the path, whether it can even be percent-decoded]
    const NOT_UUIDS: Array<[string, string, boolean]> = [
      ['a word', 'abc', true],
      ['a number', '123', true],
      ['an upper-case UUID', 'F47AC10B-58CC-4372-A567-0E02B2C3D479', true],
      ['a UUID without dashes', 'f47ac10b58cc4372a5670e02b2c3d479', true],
      ['a UUID with a trailing character', 'f47ac10b-58cc-4372-a567-0e02b2c3d479x', true],
      ['a UUID with a NUL byte', 'f47ac10b-58cc-4372-a567-0e02b2c3d479%00', true],
      ['SQL', encodeURIComponent("1' OR '1'='1"), true],
      ['broken percent-encoding', '%E0%A4%A', false],
    ];

    it.each(NOT_UUIDS)('%s gets 404 on every route with an id, and changes nothing', async (_name, id, decodable) => {
      const a = await arrange(tv);
      const before = await snapshotVault(tv);
      const routes: Array<[string, Test]> = [
        ['ticket_not_found', tv.http.get(`${API}/tickets/${id}`).set(tv.auth())],
        ['ticket_not_found', tv.http.post(`${API}/tickets/${id}/close`).set(tv.auth())],
        ['ticket_not_found', tv.http.post(`${API}/tickets/${id}/intake-links`).set(tv.auth()).send({})],
        ['intake_link_not_found', tv.http.delete(`${API}/intake-links/${id}`).set(tv.auth())],
        ['credential_not_found', tv.http.get(`${API}/credentials/${id}`).set(tv.auth())],
        ['credential_not_found', tv.http.delete(`${API}/credentials/${id}`).set(tv.auth())],
        ['credential_not_found', tv.http.delete(`${API}/receipts/${a.receiptToken}/credentials/${id}`)],
        ['credential_not_found', tv.http.post(`${API}/receipts/${a.receiptToken}/credentials/${id}/restrict`)],
        ['credential_not_found', tv.http.post(`${API}/receipts/${a.receiptToken}/credentials/${id}/unrestrict`)],
        ['credential_not_found', tv.http.put(`${API}/receipts/${a.receiptToken}/credentials/${id}`).send({ fields: FTP_FIELDS })],
      ];
      for (const [code, req] of routes) expectProblem(await req, 404, decodable ? code : 'not_found');
      expect(await snapshotVault(tv)).toEqual(before);
    });

    it('POST /credentials/:id/reveal answers 404 credential_not_found and reveals nothing', async () => {
      const a = await arrange(tv);
      for (const [, id, decodable] of NOT_UUIDS) {
        const res = await revealAs(tv, id);
        expectProblem(res, 404, decodable ? 'credential_not_found' : 'not_found');
      }
      expect((await tv.vault.audit.listEvents({ action: 'credential.revealed', limit: 10 })).items).toEqual([]);
      await revealAs(tv, a.credentialId).expect(200);
    });
  });

  describe('bearer tokens', () => {
    const nowSeconds = () => Math.floor(tv.clock.now() / 1000);

    /** A JWT like the vault's own, with any claim or the key overridden. */
    async function signToken(overrides: { sub?: string | null; iss?: string; aud?: string; exp?: number | null; nbf?: number; key?: Parameters<SignJWT['sign']>[0] } = {}) {
      const now = nowSeconds();
      const claims: Record<string, unknown> = { email: 'engineer@vendor.test', iat: now, exp: now + 3600 };
      if (overrides.sub !== null) claims.sub = overrides.sub ?? tv.staffIds.engineer;
      if (overrides.exp === null) delete claims.exp;
      else if (overrides.exp !== undefined) claims.exp = overrides.exp;
      if (overrides.nbf !== undefined) claims.nbf = overrides.nbf;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: (await tv.vault.keys.signing.current()).id, typ: 'JWT' })
        .setIssuer(overrides.iss ?? tv.vault.config.publicUrl)
        .setAudience(overrides.aud ?? TOKEN_AUDIENCE)
        .sign(overrides.key ?? (await tv.vault.keys.signing.current()).privateKey);
    }

    /** POST /tickets with this Authorization header: refused with 401 `code`, creating nothing. */
    async function expectRefused(authorization: string, code: string) {
      await arrange(tv);
      const before = await snapshotVault(tv);
      const res = await tv.http.post(`${API}/tickets`).set('Authorization', authorization).send(newTicket(tv));
      expectProblem(res, 401, code);
      expect(await snapshotVault(tv)).toEqual(before);
    }

    it('(control) a token signed here with the right claims is accepted', async () => {
      await tv.http.post(`${API}/tickets`).set('Authorization', `Bearer ${await signToken()}`).send(newTicket(tv)).expect(201);
    });

    it('an expired token gets 401 token_expired', async () => {
      const member = await tv.vault.staff.findStaffByEmail('engineer@vendor.test');
      const { token } = await tv.vault.staffTokens.issueStaffToken(member, 60);
      await tv.http.get(`${API}/tickets`).set('Authorization', `Bearer ${token}`).expect(200);
      tv.clock.advance(60_000 + 31_000);
      await expectRefused(`Bearer ${token}`, 'token_expired');
    });

    it('a token whose exp has passed gets 401 token_expired', async () => {
      await expectRefused(`Bearer ${await signToken({ exp: nowSeconds() - 3600 })}`, 'token_expired');
    });

    it('a token signed by another key gets 401 invalid_token', async () => {
      const { privateKey } = await generateKeyPair('EdDSA');
      await expectRefused(`Bearer ${await signToken({ key: privateKey })}`, 'invalid_token');
    });

    it('an unsigned token (alg none) gets 401 invalid_token', async () => {
      const now = nowSeconds();
      const token = new UnsecuredJWT({ sub: tv.staffIds.admin, iat: now, exp: now + 3600 })
        .setIssuer(tv.vault.config.publicUrl)
        .setAudience(TOKEN_AUDIENCE)
        .encode();
      await expectRefused(`Bearer ${token}`, 'invalid_token');
    });

    it('a token signed with HS256 using the public key as the secret gets 401 invalid_token', async () => {
      const secret = new Uint8Array((await tv.vault.keys.signing.current()).publicKey.export({ format: 'der', type: 'spki' }));
      const now = nowSeconds();
      const token = await new SignJWT({ sub: tv.staffIds.admin, iat: now, exp: now + 3600 })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(tv.vault.config.publicUrl)
        .setAudience(TOKEN_AUDIENCE)
        .sign(secret);
      await expectRefused(`Bearer ${token}`, 'invalid_token');
    });

    it('a token signed with RS256 by another key gets 401 invalid_token', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const now = nowSeconds();
      const token = await new SignJWT({ sub: tv.staffIds.admin, iat: now, exp: now + 3600 })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(tv.vault.config.publicUrl)
        .setAudience(TOKEN_AUDIENCE)
        .sign(privateKey);
      await expectRefused(`Bearer ${token}`, 'invalid_token');
    });

    it('a token for another audience gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ aud: 'some-other-api' })}`, 'invalid_token');
    });

    it('a token from another issuer gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ iss: 'https://evil.example.test' })}`, 'invalid_token');
    });

    it('a token without exp gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ exp: null })}`, 'invalid_token');
    });

    it('a token without sub gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ sub: null })}`, 'invalid_token');
    });

    it('a token for a staff member who does not exist gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ sub: randomUUID() })}`, 'invalid_token');
    });

    it('a token not valid yet (nbf an hour ahead) gets 401 invalid_token', async () => {
      await expectRefused(`Bearer ${await signToken({ nbf: nowSeconds() + 3600 })}`, 'invalid_token');
    });

    it('a token with its payload altered gets 401 invalid_token', async () => {
      const [header, , signature] = tv.tokens.engineer.split('.');
      const payload = Buffer.from(JSON.stringify({ sub: tv.staffIds.admin, aud: TOKEN_AUDIENCE, iss: tv.vault.config.publicUrl, iat: nowSeconds(), exp: nowSeconds() + 3600 })).toString('base64url');
      await expectRefused(`Bearer ${header}.${payload}.${signature}`, 'invalid_token');
    });

    it('a disabled staff member\'s token gets 401 invalid_token', async () => {
      await tv.vault.staff.addStaff({ email: 'leaver@vendor.test', role: 'engineer', name: 'Lee Leaver' }, BY_OPERATOR);
      const { token } = await tv.vault.staffTokens.issueStaffToken(await tv.vault.staff.findStaffByEmail('leaver@vendor.test'), 3600);
      await tv.http.get(`${API}/tickets`).set('Authorization', `Bearer ${token}`).expect(200);
      await tv.vault.staff.disableStaff('leaver@vendor.test', BY_OPERATOR);
      await expectRefused(`Bearer ${token}`, 'invalid_token');
    });

    it.each([
      ['another scheme', (t: TestVault) => `Basic ${Buffer.from(`engineer:${t.tokens.engineer}`).toString('base64')}`],
      ['Bearer with no token', () => 'Bearer '],
      ['the token without a scheme', (t: TestVault) => t.tokens.engineer],
      ['two tokens', (t: TestVault) => `Bearer ${t.tokens.engineer} ${t.tokens.engineer}`],
    ])('an Authorization header with %s gets 401 unauthorized', async (_name, header) => {
      await expectRefused(header(tv), 'unauthorized');
    });
  });

  describe('security headers', () => {
    const responses: Array<[string, (t: TestVault) => Test]> = [
      ['GET /healthz', (t) => t.http.get('/healthz')],
      ['a 200 from the API', (t) => t.http.get(`${API}/tickets`).set(t.auth())],
      ['a 401', (t) => t.http.get(`${API}/tickets`)],
      ['a 404 for an unknown path', (t) => t.http.get('/no-such-page')],
      ['a 400 for malformed JSON', (t) => postRaw(t, '/tickets', '{').set(t.auth())],
    ];

    it.each(responses)('%s carries a strict CSP, no-referrer, nosniff and no X-Powered-By', async (_name, send) => {
      const res = await send(tv);
      const csp = String(res.headers['content-security-policy']);
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
      expect(directives['default-src']).toEqual(["'self'"]);
      expect(directives['object-src']).toEqual(["'none'"]);
      expect(directives['script-src']).toBeDefined();
      expect(csp).not.toContain("'unsafe-inline'");
      expect(csp).not.toContain("'unsafe-eval'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('every API answer, success or problem, is Cache-Control: no-store', async () => {
      const a = await arrange(tv);
      for (const res of [
        await tv.http.get(`${API}/receipts/${a.receiptToken}`),
        await tv.http.get(`${API}/intake/${a.linkToken}`),
        await tv.http.get(`${API}/tickets/${randomUUID()}`).set(tv.auth()),
        await tv.http.get(`${API}/tickets`),
      ]) {
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  });

  describe('a failure inside the server', () => {
    const INTERNALS = [/sqlite/i, /no such table/i, /tickets_moved|credentials_moved/, /\bat \S+ \(/, /\.ts\b/, /stack/i, /Error\b/, /SELECT|INSERT/];

    function expectGenericInternalError(res: { status: number; headers: Record<string, string>; body: unknown; text: string }) {
      expectProblem(res, 500, 'internal_error');
      expect(Object.keys(res.body as object).sort()).toEqual(PROBLEM_KEYS);
      for (const pattern of INTERNALS) expect(res.text).not.toMatch(pattern);
      expect(res.headers['cache-control']).toBe('no-store');
    }

    it('answers 500 internal_error without stack, SQL or table names (an unusable database)', async () => {
      await arrange(tv);
      await tv.exec('ALTER TABLE tickets RENAME TO tickets_moved');
      const list = await tv.http.get(`${API}/tickets`).set(tv.auth());
      expectGenericInternalError(list);
      const create = await tv.http.post(`${API}/tickets`).set(tv.auth()).send(newTicket(tv));
      expectGenericInternalError(create);
      // The error itself went to the log, not to the client.
      expect(tv.logs.join('')).toMatch(/no such table|relation .{0,2}"tickets.{0,2}" does not exist/);
    });

    it('answers 500 internal_error to a submission that cannot be stored, without the secret', async () => {
      const a = await arrange(tv);
      const secret = canary('unstored');
      await tv.exec('ALTER TABLE credentials RENAME TO credentials_moved');
      const res = await tv.http.post(`${API}/intake/${a.linkToken}/credentials`).send({ kind: 'ftp', fields: { ...FTP_FIELDS, password: secret } });
      expectGenericInternalError(res);
      expect(res.text).not.toContain(secret);
    });

    it('answers a reveal whose audit row cannot be written with 503 audit_unavailable and no secret', async () => {
      const a = await arrange(tv);
      await tv.exec('ALTER TABLE audit_events RENAME TO audit_events_moved');
      const res = await revealAs(tv, a.credentialId);
      expectProblem(res, 503, 'audit_unavailable');
      expect(Object.keys(res.body).sort()).toEqual(PROBLEM_KEYS);
      expect(res.text).not.toContain(FTP_FIELDS.password);
      for (const pattern of INTERNALS) expect(res.text).not.toMatch(pattern);
    });
  });

  describe('logs', () => {
    it('hold no link token, receipt token, secret field value, bearer token or Authorization header', async () => {
      const { linkId, linkToken } = await openTicketWithLink(tv, {}, { maxUses: 5 });
      const secrets = [canary('submitted'), canary('rectified'), canary('rejected'), canary('malformed'), canary('oversize'), canary('unstored')];
      const [submitted, rectified, rejected, malformed, oversize, unstored] = secrets as [string, string, string, string, string, string];

      const sub = await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: { ...FTP_FIELDS, password: submitted } }).expect(201);
      const credentialId: string = sub.body.credentialId;
      const receiptToken = sub.body.receiptUrl.slice(sub.body.receiptUrl.lastIndexOf('/') + 1);
      await revealAs(tv, credentialId).expect(200);
      await tv.http.put(`${API}/receipts/${receiptToken}/credentials/${credentialId}`).send({ fields: { ...FTP_FIELDS, password: rectified } }).expect(200);
      await revealAs(tv, credentialId).expect(200);
      await tv.http.get(`${API}/receipts/${receiptToken}/export`).expect(200);

      // Refusals, each carrying a secret or a token somewhere in the request.
      await tv.http.post(`${API}/intake/${linkToken}/credentials`).send({ kind: 'ftp', fields: { ...FTP_FIELDS, port: rejected } }).expect(400);
      await postRaw(tv, `/intake/${linkToken}/credentials`, `{"kind":"ftp","fields":{"password":"${malformed}"`).expect(400);
      await postRaw(tv, `/intake/${linkToken}/credentials`, JSON.stringify({ kind: 'other', fields: { notes: `${oversize}${'x'.repeat(MiB)}` } })).expect(413);
      await tv.http.get(`${API}/intake/${linkToken}%E0%A4%A`).expect(404);
      await tv.http.get(`${API}/receipts/${receiptToken}%`).expect(404);
      await tv.http.get(`${API}/tickets`).set('Authorization', `Bearer ${tv.tokens.engineer}x`).expect(401);
      await tv.http.get(`${API}/audit`).set(tv.auth('engineer')).expect(403);
      await tv.http.delete(`${API}/intake-links/${linkId}`).set(tv.auth()).expect(204);
      await tv.http.get(`${API}/intake/${linkToken}`).expect(410);

      // And a failure inside the server while a secret and a token are in flight.
      const second = await openTicketWithLink(tv);
      await tv.exec('ALTER TABLE credentials RENAME TO credentials_moved');
      await tv.http.post(`${API}/intake/${second.linkToken}/credentials`).send({ kind: 'ftp', fields: { ...FTP_FIELDS, password: unstored } }).expect(500);

      const logs = tv.logs.join('');
      expect(logs).toContain('"status":201');
      expect(logs).toContain('unhandled error');
      for (const secret of secrets) expect(logs).not.toContain(secret);
      for (const token of [linkToken, second.linkToken, receiptToken, ...Object.values(tv.tokens)]) expect(logs).not.toContain(token);
      for (const token of Object.values(tv.tokens)) expect(logs).not.toContain(token.split('.')[2]);
      expect(logs).not.toMatch(/authorization/i);
      expect(logs).not.toMatch(/bearer/i);
    });
  });
});
