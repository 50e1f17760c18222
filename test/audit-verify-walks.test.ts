import { createChainVerifier } from '../src/audit/audit-verify.js';
import { createTestVault, openTicketWithLink, type TestVault } from './harness/test-vault.js';

// Issue 12, finding 12: concurrent GET /audit/verify requests share one walk of the chain per head.

describe('the chain verifier behind GET /audit/verify', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
    await openTicketWithLink(tv);
  });
  afterEach(() => tv.close());

  /** The vault's verifier, counting the walks it makes of the real chain. */
  function countingVerifier() {
    const walks: (string | undefined)[] = [];
    const verifier = createChainVerifier({
      walk: (head) => {
        walks.push(head);
        return tv.vault.audit.verifyChain({ head });
      },
      now: () => tv.clock.now(),
    });
    return { verifier, walks };
  }

  it('makes one walk for concurrent requests with the same head, one per distinct head, and walks again once done', async () => {
    const { verifier, walks } = countingVerifier();
    const { headHash } = await tv.vault.audit.verifyChain();
    const other = 'f'.repeat(64);

    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => verifier.verify(headHash)),
      verifier.verify(headHash.toUpperCase()), // the same head, written otherwise
      ...Array.from({ length: 5 }, () => verifier.verify()),
      verifier.verify(other),
    ]);

    expect(walks).toEqual([headHash, undefined, other]);
    expect(results.slice(0, 6).every((r) => r.ok && r.headHash === headHash)).toBe(true);
    expect(results.slice(6, 11).every((r) => r.ok)).toBe(true);
    expect(results[11]!.ok).toBe(false); // a head the chain never had: rows cut off the end

    await verifier.verify(headHash);
    expect(walks).toHaveLength(4);
  });
});
