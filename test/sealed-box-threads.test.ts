import { sealForPublicKey } from '../src/crypto/sealed-box.js';
import { createTestVault, expectProblem, openTicketWithLink, revealAs, type TestVault } from './harness/test-vault.js';

// In production sealed intake boxes are opened on a worker thread; the answers must be the same.
describe('POST /intake/:token/credentials with sealed boxes opened on a worker thread', () => {
  let tv: TestVault;
  beforeAll(async () => {
    tv = await createTestVault({}, { sealedBoxThreads: 1 });
  });
  afterAll(() => tv.close());

  async function publicKeyOf(linkToken: string): Promise<Uint8Array> {
    const res = await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    return new Uint8Array(Buffer.from(res.body.publicKey as string, 'base64url'));
  }

  it('stores what the browser sealed, and a reveal returns exactly those fields', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const fields = { partnerId: '123 456 789', password: 'Tv-pässwörd-✓' };
    const sealed = sealForPublicKey(JSON.stringify(fields), await publicKeyOf(linkToken));
    const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'teamviewer', sealed }).expect(201);
    expect((await revealAs(tv, res.body.credentialId).expect(200)).body.fields).toEqual(fields);
  });

  it('answers many submissions at once, each with its own fields', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const key = await publicKeyOf(linkToken);
    const sent = Array.from({ length: 24 }, (_, i) => ({ partnerId: String(100000000 + i), password: `pw-${i}` }));
    const answers = await Promise.all(
      sent.map((fields) => tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'teamviewer', sealed: sealForPublicKey(JSON.stringify(fields), key) })),
    );
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(201);
      expect((await revealAs(tv, res.body.credentialId).expect(200)).body.fields).toEqual(sent[i]);
    }
  });

  it('answers 400 sealed_invalid for a box sealed to another key, or not base64url, and stores nothing', async () => {
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const other = new Uint8Array(32).fill(9);
    for (const sealed of [sealForPublicKey('{"notes":"x"}', other), 'not base64url!', 'AAAA']) {
      expectProblem(await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'other', sealed }), 400, 'sealed_invalid');
    }
    expect(await tv.query('SELECT id FROM credentials WHERE ticket_id = ?', ticketId)).toHaveLength(0);
  });
});
