import pg from 'pg';
import { POSTGRES_SERVER_URL } from './harness/postgres.js';
import { createTestVault, onPostgres, openTicketWithLink, submitCredential, FTP_FIELDS, type TestVault } from './harness/test-vault.js';

/**
 * Makes the vault's database stop answering: SQLite's connection closed; on PostgreSQL, the
 * database refuses connections and the vault's are ended. Returns how to let it answer again.
 */
async function stopTheDatabase(tv: TestVault): Promise<() => Promise<void>> {
  if (!onPostgres) {
    tv.vaultDb.close();
    return async () => {};
  }
  const name = new URL(tv.postgres!.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  } finally {
    await admin.end();
  }
  return async () => {
    const again = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
    await again.connect();
    try {
      await again.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    } finally {
      await again.end();
    }
  };
}

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
    let answerAgain = async () => {};
    try {
      expect((await tv.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
      expect((await tv.http.get('/readyz').expect(200)).body).toEqual({ status: 'ready' });
      answerAgain = await stopTheDatabase(tv);
      const res = await tv.http.get('/readyz').expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, code: 'not_ready', detail: 'The database is not answering.' });
      await tv.http.get('/healthz').expect(200);
    } finally {
      await answerAgain();
      await tv.close();
    }
  });
});
