import type { Database } from './database.js';

/**
 * Whether another connection has committed to `db` since the last look, asked of SQLite
 * (`PRAGMA data_version`) at most once per turn of the event loop: the requests that arrive
 * together share one look (about 10 µs each, twice per staff request, was the largest item of
 * the reveal profile after the commit itself). A commit by another process is seen by the next
 * turn's first request, as it would be had it landed a moment later.
 */
interface VersionWatch {
  version(): number;
}

const watches = new WeakMap<Database, VersionWatch>();

function watchOf(db: Database): VersionWatch {
  let watch = watches.get(db);
  if (watch) return watch;
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let seen = 0;
  let fresh = false;
  const stale = () => {
    fresh = false;
  };
  watch = {
    version() {
      if (!fresh) {
        seen = dataVersion.get()!;
        fresh = true;
        setImmediate(stale);
      }
      return seen;
    },
  };
  watches.set(db, watch);
  return watch;
}

/**
 * Rows a store reads on every request (a staff member, the current signing key), kept only while
 * nothing can have changed them: the store's own writes call `forget`, another connection's
 * commit moves `data_version`, and rows read inside a transaction are not kept (it may roll back).
 */
export function createCommittedReads<K, V>(db: Database, maxKept = 1000) {
  const watch = watchOf(db);
  const kept = new Map<K, V>();
  let seenVersion: number | undefined;
  const forget = () => kept.clear();

  function read(key: K, load: () => V): V {
    const version = watch.version();
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
