import { createTestVault, openTicketWithLink, type TestVault } from './harness/test-vault.js';

describe('request log', () => {
  let tv: TestVault;
  beforeAll(async () => {
    tv = await createTestVault();
  });
  afterAll(() => tv.close());

  it('logs the full route template with its status, never the URL with the token', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    tv.logs.length = 0;
    await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
    await new Promise((r) => setImmediate(r));
    const lines = tv.logs.map((l) => JSON.parse(l) as { msg: string; route?: string; status?: number });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', route: '/api/v1/intake/:token', status: 200 }));
    expect(tv.logs.join('\n')).not.toContain(linkToken);
  });

  it('counts each request in the metrics under its route template', async () => {
    await tv.http.get('/api/v1/tickets').set(tv.auth()).expect(200);
    const text = await tv.vault.metrics.registry.metrics();
    expect(text).toMatch(/ticketvault_http_requests_total\{method="GET",route="\/api\/v1\/tickets",status="200"\} [1-9]/);
  });
});
