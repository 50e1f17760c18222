import { parentPort, workerData } from 'node:worker_threads';
import { checkStoredRange, GENESIS } from '../../audit/audit-chain.js';
import { initSodium } from '../../crypto/sodium.js';
import { createAuditStore } from './audit-store.js';
import { openDatabase } from './database.js';

// One range of `ticketvault audit verify` on its own thread and its own read connection.
const input = workerData as { databasePath: string; auditKey: Uint8Array; fromSeq: number; toSeq: number; first: boolean; head?: string };
await initSodium();
const db = openDatabase(input.databasePath, { readonly: true });
try {
  const store = createAuditStore(db);
  parentPort!.postMessage(await checkStoredRange(store, input.auditKey, input.fromSeq, input.toSeq, input.first ? GENESIS : null, input.head));
} finally {
  db.close();
}
