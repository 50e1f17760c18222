import { randomBytes, randomUUID } from 'node:crypto';
import type { CredentialRecord } from '../../src/credentials/credentials-store.js';
import type { IntakeLinkRecord } from '../../src/intake-links/intake-links-store.js';
import type { ReceiptRecord } from '../../src/receipts/receipts-store.js';
import type { createPgStores } from '../../src/storage/postgres/postgres-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import type { TicketRecord } from '../../src/tickets/tickets-store.js';

// Records for the PostgreSQL store tests, each arranged by the test that needs it.

export type PgStores = ReturnType<typeof createPgStores>;

export const T0 = 1_800_000_000_000;
export const DAY = 86_400_000;

export const ticketRecord = (over: Partial<TicketRecord> = {}): TicketRecord => ({
  id: randomUUID(),
  externalRef: `ZD-${randomBytes(4).toString('hex')}`,
  subject: 'Upload to shop fails',
  customerEmail: 'customer@shop.test',
  customerName: 'Casey',
  supportUntil: T0 + 30 * DAY,
  supportUntilDate: new Date(T0 + 30 * DAY).toISOString().slice(0, 10),
  status: 'open',
  createdBy: null,
  createdAt: T0,
  updatedAt: T0,
  closedAt: null,
  ...over,
});

export const linkRecord = (ticketId: string, over: Partial<IntakeLinkRecord> = {}): IntakeLinkRecord => ({
  id: randomUUID(),
  ticketId,
  tokenHash: randomBytes(32),
  createdBy: null,
  createdAt: T0,
  expiresAt: T0 + DAY,
  maxUses: 1,
  uses: 0,
  revokedAt: null,
  ...over,
});

export const receiptRecord = (ticketId: string, over: Partial<ReceiptRecord> = {}): ReceiptRecord => ({
  id: randomUUID(),
  ticketId,
  intakeLinkId: null,
  tokenHash: randomBytes(32),
  tokenKekId: 'kek-1',
  tokenWrapped: new Uint8Array(randomBytes(48)),
  notifyOnReveal: true,
  askFirst: false,
  language: null,
  createdAt: T0,
  ...over,
});

export const credentialRecord = (ticketId: string, receiptId: string, over: Partial<CredentialRecord> = {}): CredentialRecord => ({
  id: randomUUID(),
  ticketId,
  receiptId,
  intakeLinkId: null,
  kind: 'ssh',
  label: 'Production box',
  status: 'active',
  endedBecause: null,
  submittedAt: T0,
  expiresAt: T0 + 7 * DAY,
  rectifiedAt: null,
  endedAt: null,
  purgedAt: null,
  updatedAt: T0,
  ...over,
});

export const secretOf = () => ({ kekId: 'kek-1', wrappedDek: new Uint8Array(randomBytes(72)), ciphertext: new Uint8Array(randomBytes(100)) });

/** A ticket with one receipt, and `count` credentials under it. */
export async function arrangeCredentials(stores: PgStores, count: number, over: Partial<CredentialRecord> = {}) {
  const ticket = ticketRecord();
  await stores.tickets.insert(ticket);
  const receipt = receiptRecord(ticket.id);
  await stores.receipts.insert(receipt);
  const credentials: CredentialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const credential = credentialRecord(ticket.id, receipt.id, { submittedAt: T0 + i, ...over });
    await stores.credentials.insert(credential, secretOf());
    credentials.push(credential);
  }
  return { ticket, receipt, credentials };
}

/**
 * A write on `on` that reads the audit head (taking the chain's lock) and keeps the chain until
 * `release()`; then `then` runs in the same transaction. Resolves once the chain is held.
 */
export async function holdAuditChain(on: Storage, then: (stores: PgStores) => Promise<void> = async () => undefined) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let headRead!: () => void;
  const holding = new Promise<void>((resolve) => (headRead = resolve));
  const done = on.write(async (s) => {
    await (s as unknown as PgStores).audit.head();
    headRead();
    await released;
    await then(s as unknown as PgStores);
  });
  await Promise.race([holding, done]);
  return { release, done };
}
