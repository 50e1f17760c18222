import { auditMac } from '../crypto/audit-mac.js';
import { constantTimeEqual } from '../crypto/tokens.js';

// The hash chain itself: how a row's hash is computed, and how a run of rows is checked.
// Used by audit.ts (writing and in-process verify) and by the verify workers.

export const GENESIS = Buffer.alloc(32);

/** The twelve columns a row's hash covers, in canonical order (prev_hash and hash follow them). */
export const HASHED_COLUMNS = 'seq, at, action, actor_type, actor_id, actor_name, ticket_id, credential_id, reason, detail, ip, user_agent';

/** One row as the chain check reads it: seq, the canonical JSON of its hashed columns, prev_hash, hash. */
export type ChainRow = [seq: number, canonical: string, prevHash: unknown, hash: unknown];

/** The canonical JSON of a row's hashed values: [1, seq, at, action, …, user_agent]. */
export function canonicalJson(values: readonly unknown[]): string {
  return '[1,' + JSON.stringify(values.length === 12 ? values : values.slice(0, 12)).slice(1);
}

/** Keyed BLAKE2b over prevHash followed by the row's canonical JSON. */
export function rowHash(key: Uint8Array, prevHash: Uint8Array, canonical: string): Buffer {
  const bytes = Buffer.allocUnsafe(32 + Buffer.byteLength(canonical, 'utf8'));
  bytes.set(prevHash, 0);
  bytes.write(canonical, 32, 'utf8');
  return Buffer.from(auditMac(key, bytes));
}

export interface RangeCheck {
  /** First seq this range expected. */
  fromSeq: number;
  count: number;
  /** prev_hash of the first row, when the caller did not know what it should be. */
  firstPrev: Buffer | null;
  lastSeq: number;
  lastHash: Buffer | null;
  sawHead: boolean;
  bad?: { seq: number; problem: string };
}

/**
 * Checks consecutive rows starting at `fromSeq`: no gaps, each row follows the one before, each
 * hash matches its content. `prev` null means the previous row lies in another range: the first
 * row's prev_hash is reported for the caller to match. A hash that does not match is re-checked
 * against `recheck(seq)` (the canonical JSON built in JavaScript) before the row is called altered,
 * so a faster canonical form from SQLite can never raise a false alarm.
 */
export function checkRange(
  rows: Iterable<ChainRow>,
  key: Uint8Array,
  fromSeq: number,
  prev: Buffer | null,
  options: { wantedHead?: string; recheck?: (seq: number) => string | undefined } = {},
): RangeCheck {
  const result: RangeCheck = { fromSeq, count: 0, firstPrev: null, lastSeq: fromSeq - 1, lastHash: prev, sawHead: false };
  let expected = fromSeq;
  let last = prev;
  for (const [seq, canonical, prevHash, hash] of rows) {
    const bad = (problem: string) => {
      result.bad = { seq: Math.min(seq, expected), problem };
      return result;
    };
    if (seq !== expected) return bad(`row ${expected} is missing (next row is ${seq})`);
    // A writer with database access can store any type in the BLOB columns: a broken row, not a crash.
    if (!Buffer.isBuffer(prevHash) || !Buffer.isBuffer(hash)) return bad(`row ${seq} was altered (its hashes are not bytes)`);
    if (last === null) result.firstPrev = prevHash;
    else if (!constantTimeEqual(prevHash, last)) return bad(`row ${seq} does not follow row ${seq - 1} (prevHash differs)`);
    if (!constantTimeEqual(hash, rowHash(key, prevHash, canonical))) {
      const again = options.recheck?.(seq);
      if (again === undefined || again === canonical || !constantTimeEqual(hash, rowHash(key, prevHash, again))) {
        return bad(`row ${seq} was altered (hash does not match its content)`);
      }
    }
    last = hash;
    result.count++;
    result.lastSeq = seq;
    result.lastHash = hash;
    if (options.wantedHead !== undefined && !result.sawHead && hash.toString('hex') === options.wantedHead) result.sawHead = true;
    expected++;
  }
  return result;
}

export interface StoredChain {
  iterateChain(fromSeq: number, toSeq: number): Iterable<ChainRow> | AsyncIterable<ChainRow>;
  canonicalOf(seq: number): string | undefined | Promise<string | undefined>;
}

const CHUNK = 4096;

/**
 * Checks the stored rows fromSeq..toSeq a chunk at a time. A row whose hash does not match the
 * canonical JSON the backend built is checked once more against the JSON built in JavaScript
 * before it is called altered (a faster canonical form must never raise a false alarm).
 */
export async function checkStoredRange(store: StoredChain, key: Uint8Array, fromSeq: number, toSeq: number, prev: Buffer | null, wantedHead?: string): Promise<RangeCheck> {
  const ranges: RangeCheck[] = [];
  let chunk: ChainRow[] = [];
  let next = fromSeq;
  let last = prev;
  const check = async (): Promise<boolean> => {
    const rechecked = new Map<number, string | undefined>();
    let range = checkRange(chunk, key, next, last, { wantedHead, recheck: (seq) => rechecked.get(seq) });
    const bad = range.bad?.seq;
    if (bad !== undefined && range.bad!.problem.includes('hash does not match')) {
      rechecked.set(bad, await store.canonicalOf(bad));
      range = checkRange(chunk, key, next, last, { wantedHead, recheck: (seq) => rechecked.get(seq) });
    }
    ranges.push(range);
    chunk = [];
    next = range.lastSeq + 1;
    last = range.lastHash;
    return !range.bad;
  };
  for await (const row of store.iterateChain(fromSeq, toSeq)) {
    chunk.push(row);
    if (chunk.length === CHUNK && !(await check())) return joinChecks(ranges);
  }
  if (chunk.length || ranges.length === 0) await check();
  return joinChecks(ranges);
}

/** One RangeCheck for consecutive chunks of one range (each chunk picked up where the one before stopped). */
function joinChecks(ranges: RangeCheck[]): RangeCheck {
  const first = ranges[0]!;
  const lastRange = ranges[ranges.length - 1]!;
  return {
    fromSeq: first.fromSeq,
    count: ranges.reduce((n, r) => n + r.count, 0),
    firstPrev: first.firstPrev,
    lastSeq: lastRange.lastSeq,
    lastHash: lastRange.lastHash,
    sawHead: ranges.some((r) => r.sawHead),
    ...(lastRange.bad ? { bad: lastRange.bad } : {}),
  };
}

export interface VerifyResult {
  ok: boolean;
  count: number;
  headSeq: number;
  headHash: string;
  /** The first row that does not verify, and why. */
  firstBadSeq?: number;
  problem?: string;
}

/** Joins range checks (in seq order) into one verdict: the first bad row wins, and ranges must link up. */
export function combineRanges(ranges: RangeCheck[], wantedHead?: string): VerifyResult {
  let count = 0;
  let head: { seq: number; hash: Buffer } = { seq: 0, hash: GENESIS };
  let sawHead = wantedHead === undefined;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    if (range.firstPrev && !constantTimeEqual(range.firstPrev, head.hash) && range.count > 0) {
      return { ok: false, count, headSeq: head.seq, headHash: head.hash.toString('hex'), firstBadSeq: range.fromSeq, problem: `row ${range.fromSeq} does not follow row ${range.fromSeq - 1} (prevHash differs)` };
    }
    if (range.bad) {
      return { ok: false, count: count + range.count, headSeq: range.lastSeq, headHash: (range.lastHash ?? head.hash).toString('hex'), firstBadSeq: range.bad.seq, problem: range.bad.problem };
    }
    count += range.count;
    if (range.lastHash && range.count > 0) head = { seq: range.lastSeq, hash: range.lastHash };
    sawHead ||= range.sawHead;
  }
  const result: VerifyResult = { ok: true, count, headSeq: head.seq, headHash: head.hash.toString('hex') };
  if (!sawHead) {
    return { ...result, ok: false, firstBadSeq: head.seq + 1, problem: `head ${wantedHead} is not in the chain: rows were cut off the end` };
  }
  return result;
}
