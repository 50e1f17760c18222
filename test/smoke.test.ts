import { createTestVault, openTicketWithLink, submitCredential, FTP_FIELDS, type TestVault } from './harness/test-vault.js';

describe('vault smoke', () => {
  let tv: TestVault;
  beforeAll(async () => {
    tv = await createTestVault();
  });
  afterAll(() => tv.close());

  it('submits and reveals a credential end to end', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const res = await tv.http.post(`/api/v1/credentials/${credentialId}/reveal`).set(tv.auth()).send({ reason: 'debug' }).expect(200);
    expect(res.body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
  });
});

describe('health and readiness', () => {
  it('/healthz and /readyz answer while the database is open; /readyz answers 503 not_ready once it is not', async () => {
    const tv = await createTestVault();
    try {
      expect((await tv.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
      expect((await tv.http.get('/readyz').expect(200)).body).toEqual({ status: 'ready' });
      tv.vaultDb.close();
      const res = await tv.http.get('/readyz').expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, code: 'not_ready', detail: 'The database is not answering.' });
      await tv.http.get('/healthz').expect(200);
    } finally {
      await tv.close();
    }
  });
});
