import type { VerifyResult } from './audit-chain.js';

export interface ChainVerifier {
  /** Verifies the whole chain without holding the event loop; requests for the same head arriving while a check runs share it. */
  verify(head?: string): Promise<VerifyResult & { checkedAt: string }>;
}

/**
 * The chain check behind the console's audit page and GET /audit/verify, coalesced: a walk reads
 * every row, so requests for the same head arriving while one runs share it. `walk` is the
 * backend's (SQLite walks on worker threads so the server never freezes).
 */
export function createChainVerifier(deps: { walk: (head?: string) => Promise<VerifyResult>; now: () => number }): ChainVerifier {
  // One walk per head at a time: a walk reads every row, so concurrent requests wait for the one under way.
  const running = new Map<string, Promise<VerifyResult & { checkedAt: string }>>();

  const run = async (head?: string) => {
    const at = deps.now();
    const result = await deps.walk(head);
    return { ...result, checkedAt: new Date(at).toISOString() };
  };

  return {
    verify(head) {
      const key = head?.toLowerCase() ?? '';
      let walk = running.get(key);
      if (!walk) {
        walk = run(head).finally(() => running.delete(key));
        running.set(key, walk);
      }
      return walk;
    },
  };
}
