import { createPgCustomerRateLimits } from '../../src/storage/postgres/customer-rate-limits.js';
import { openTestStorage } from '../harness/postgres.js';
import { T0 } from './records.js';

describe('customer rate limits shared on PostgreSQL', () => {
  let opened: Awaited<ReturnType<typeof openTestStorage>>;
  beforeAll(async () => {
    opened = await openTestStorage();
  });
  afterAll(() => opened.close());

  it('requests racing from several connections all count against one budget; a new minute starts afresh', async () => {
    const limits = createPgCustomerRateLimits(opened.storage.pool);
    const answers = await Promise.all(Array.from({ length: 30 }, () => limits.take('203.0.113.9', T0, 10)));
    expect(answers.filter((a) => a === null)).toHaveLength(10);
    expect(answers.filter((a) => a !== null)).toEqual(Array(20).fill(60));
    expect(await limits.take('203.0.113.9', T0 + 45_000, 10)).toBe(15);
    expect(await limits.take('198.51.100.1', T0 + 45_000, 10)).toBeNull();
    expect(await limits.take('203.0.113.9', T0 + 60_000, 10)).toBeNull();
    expect(await limits.prune(T0 + 60_000 + 45_000)).toBe(1);
    expect(await limits.prune(T0 + 120_000)).toBe(1);
  });
});
