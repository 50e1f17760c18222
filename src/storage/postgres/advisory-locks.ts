// Advisory lock keys (per database). Constants, so every instance takes the same lock.

/** Held (session lock) by the instance applying migrations. */
export const MIGRATIONS_LOCK = 0x7476_0001;
/** Held (transaction lock) by a transaction appending to the audit chain, from reading the head to commit. */
export const AUDIT_CHAIN_LOCK = 0x7476_0002;

/**
 * A write transaction that may hold row locks found the audit chain taken by another: it never
 * waits for it then (a holder of the chain may be waiting for those rows), so it rolls back and is
 * run again with the chain taken first, before any row lock (docs/decisions/020).
 */
export class ChainBusy extends Error {
  constructor() {
    super('the audit chain is held by another transaction; run again with the chain taken first');
    this.name = 'ChainBusy';
  }
}
