import { jest } from '@jest/globals';
import { createRateLimitWindows, MAX_TRACKED_ADDRESSES, rateLimitKeyOf } from '../src/http/customer-rate-limit.js';
import {
  createTestVault,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  snapshotVault,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "Security rules": customer endpoints (/s, /r, /api/v1/intake, /api/v1/receipts,
// /portal) are rate limited per client address: CUSTOMER_RATE_LIMIT_PER_MINUTE, 429 with
// Retry-After; 0 turns it off. The test harness defaults it to 0; these tests turn it on.

jest.setTimeout(60_000);

const LIMIT = 5;
const MINUTE = 60_000;

describe('the customer rate limit', () => {
  let tv: TestVault;
  let linkToken: string;
  let receiptToken: string;
  beforeEach(async () => {
    // Behind a trusted proxy on loopback, so each test can speak for several client addresses.
    tv = await createTestVault({ CUSTOMER_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: 'loopback' });
    ({ linkToken } = await openTicketWithLink(tv, {}, { maxUses: 50 }));
    // Arranged from another address than the ones the tests count.
    ({ receiptToken } = await submitCredential(tv, linkToken));
  });
  afterEach(() => tv.close());

  const from = (address: string) => ({ 'X-Forwarded-For': address });

  it(`answers the API's ${LIMIT + 1}th request from one address in a minute with 429 rate_limited and Retry-After, and changes nothing`, async () => {
    for (let i = 0; i < LIMIT; i++) await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('198.51.100.7')).expect(200);
    const before = await snapshotVault(tv);
    const refused = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).set(from('198.51.100.7')).send({ kind: 'ftp', label: 'Shop FTP', fields: FTP_FIELDS });
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBe(60);
    expect(await snapshotVault(tv)).toEqual(before);
  });

  it('counts /s, /r, /api/v1/intake, /api/v1/receipts and /portal against one budget per address', async () => {
    const paths = [`/s/${linkToken}`, `/r/${receiptToken}`, `/api/v1/intake/${linkToken}`, `/api/v1/receipts/${receiptToken}`, `/api/v1/receipts/${receiptToken}/export`];
    for (const path of paths) await tv.http.get(path).set(from('198.51.100.7')).expect(200);
    for (const path of [...paths, '/portal', '/portal/anything']) {
      expect({ path, status: (await tv.http.get(path).set(from('198.51.100.7'))).status }).toEqual({ path, status: 429 });
    }
    // Staff endpoints, health and the assets are not customer endpoints.
    await tv.http.get('/api/v1/tickets').set(tv.auth()).set(from('198.51.100.7')).expect(200);
    await tv.http.get('/healthz').set(from('198.51.100.7')).expect(200);
  });

  it('answers the pages with a readable 429 page and Retry-After', async () => {
    for (let i = 0; i < LIMIT; i++) await tv.http.get(`/s/${linkToken}`).set(from('198.51.100.7')).expect(200);
    tv.clock.advance(15_000);
    for (const path of [`/s/${linkToken}`, `/r/${receiptToken}`]) {
      const page = await tv.http.get(path).set(from('198.51.100.7'));
      expect(page.status).toBe(429);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['retry-after']).toBe('45');
      expect(page.text).toContain('Please wait a minute');
      expect(page.text).not.toContain('Something went wrong');
    }
  });

  it('limits each address on its own, and lets an address in again when its minute is over', async () => {
    for (let i = 0; i < LIMIT; i++) await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('198.51.100.7')).expect(200);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('198.51.100.7')).expect(429);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('198.51.100.8')).expect(200);
    tv.clock.advance(MINUTE);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('198.51.100.7')).expect(200);
  });

  it('counts an IPv6 client by its /64, so picking new addresses in it does not help', async () => {
    for (let i = 0; i < LIMIT; i++) await tv.http.get(`/api/v1/intake/${linkToken}`).set(from(`2001:db8:1:2::${i + 1}`)).expect(200);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('2001:db8:1:2:ffff:eeee:dddd:cccc')).expect(429);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('2001:db8:1:3::1')).expect(200);
  });

  it('without a trusted proxy, counts the socket address whatever X-Forwarded-For says', async () => {
    await tv.close();
    tv = await createTestVault({ CUSTOMER_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    ({ linkToken } = await openTicketWithLink(tv));
    for (let i = 0; i < LIMIT; i++) await tv.http.get(`/api/v1/intake/${linkToken}`).set(from(`203.0.113.${i + 1}`)).expect(200);
    await tv.http.get(`/api/v1/intake/${linkToken}`).set(from('203.0.113.99')).expect(429);
  });

  it('with CUSTOMER_RATE_LIMIT_PER_MINUTE=0, limits nothing', async () => {
    await tv.close();
    tv = await createTestVault({ CUSTOMER_RATE_LIMIT_PER_MINUTE: '0' });
    ({ linkToken } = await openTicketWithLink(tv));
    for (let i = 0; i < 150; i++) await tv.http.get(`/api/v1/intake/${linkToken}`).expect(200);
  });
});

describe('the limiter\'s memory under an address-rotation attack', () => {
  it(`holds at most ${MAX_TRACKED_ADDRESSES} addresses, dropping the oldest windows first`, () => {
    const windows = createRateLimitWindows({ perMinute: 1 });
    const addressOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const flood = 4 * MAX_TRACKED_ADDRESSES;
    let most = 0;
    let refused = 0;
    for (let i = 0; i < flood; i++) {
      if (windows.take(addressOf(i), 0) !== null) refused++;
      most = Math.max(most, windows.tracked());
    }
    expect({ most, refused }).toEqual({ most: MAX_TRACKED_ADDRESSES, refused: 0 });
    // The newest addresses are still counted; the oldest were dropped and start afresh.
    expect(windows.take(addressOf(flood - 1), 1)).toBe(60);
    expect(windows.take(addressOf(0), 1)).toBeNull();
  });

  it('forgets ended windows: minute after minute of new addresses holds no more than two minutes of them', () => {
    const windows = createRateLimitWindows({ perMinute: 2 });
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 1000; i++) windows.take(`192.0.2.${i % 250}/${minute}-${i}`, minute * MINUTE + i);
      expect(windows.tracked()).toBeLessThanOrEqual(2000);
    }
  });

  it('keeps a live window across the minute its generation turns over', () => {
    const windows = createRateLimitWindows({ perMinute: 2 });
    windows.take('192.0.2.1', 0);
    windows.take('198.51.100.7', 59_000);
    windows.take('198.51.100.7', 59_500);
    windows.take('192.0.2.2', 60_000); // a new generation starts; 198.51.100.7's window is in the one before
    expect(windows.take('198.51.100.7', 61_000)).toBe(58);
  });

  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:eeee:dddd:cccc', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
  ])('counts %s as %s', (ip, key) => {
    expect(rateLimitKeyOf(ip)).toBe(key);
  });
});
