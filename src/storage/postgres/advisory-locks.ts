// Advisory lock keys (per database). Constants, so every instance takes the same lock.

/** Held (session lock) by the instance applying migrations. */
export const MIGRATIONS_LOCK = 0x7476_0001;
/** Held (transaction lock) by a transaction appending to the audit chain, from reading the head to commit. */
export const AUDIT_CHAIN_LOCK = 0x7476_0002;
