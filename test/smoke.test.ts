import { createTestVault, openTicketWithLink, submitCredential, FTP_FIELDS, type TestVault } from './helpers/test-vault.js';

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
