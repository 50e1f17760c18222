import type { Database } from './database.js';

/**
 * Rows a store reads on every request (a staff member, the current signing key), kept only while
 * nothing can have changed them: the store's own writes call `forget`, another connection's
 * commit moves `data_version`, and rows read inside a transaction are not kept (it may roll back).
 */
export function createCommittedReads<K, V>(db: Database, maxKept = 1000) {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const kept = new Map<K, V>();
  let seenVersion: number | undefined;
  const forget = () => kept.clear();

  function read(key: K, load: () => V): V {
    const version = dataVersion.get();
    if (version !== seenVersion) {
      forget();
      seenVersion = version;
    }
    if (kept.has(key)) return kept.get(key)!;
    const value = load();
    if (!db.inTransaction) {
      if (kept.size >= maxKept) forget();
      kept.set(key, value);
    }
    return value;
  }

  return { read, forget };
}
