import { setTimeout as sleep } from 'node:timers/promises';
import { createSodiumThreads, type SodiumThreads } from '../src/crypto/sodium-threads.js';
import { initSodium, sodium } from '../src/crypto/sodium.js';

// The worker threads behind argon2id sign-in and sealed intake boxes, on real threads with the real
// libsodium: results match the main thread, a failing job or a dying thread takes only itself down.

// `job` is { text } to hash, or { die: true } to end the thread, or { fail: text } to throw.
const HANDLER = `(sodium, job, data) => {
  if (job.die) process.exit(3);
  if (job.fail) throw new Error('boom ' + job.fail);
  return { hash: sodium.to_hex(sodium.crypto_generichash(32, data.prefix + job.text)), thread: require('node:worker_threads').threadId };
}`;

type Job = { text?: string; die?: boolean; fail?: string };
type Result = { hash: string; thread: number };

const hashOf = (text: string) => sodium().to_hex(sodium().crypto_generichash(32, `p:${text}`, null));

describe('sodium threads', () => {
  let pool: SodiumThreads<Job, Result>;
  beforeAll(() => initSodium());
  afterEach(() => pool.close());

  it('answers each job with its own result, spread round-robin over the threads', async () => {
    pool = createSodiumThreads<Job, Result>({ name: 'test worker', threads: 2, handler: HANDLER, workerData: { prefix: 'p:' } });
    const texts = Array.from({ length: 40 }, (_, i) => `text-${i}`);
    const results = await Promise.all(texts.map((text) => pool.run({ text })));
    expect(results.map((r) => r.hash)).toEqual(texts.map(hashOf));
    expect(new Set(results.map((r) => r.thread)).size).toBe(2);
  });

  it('rejects a job whose handler throws with an error that names the pool, not the job, and goes on', async () => {
    pool = createSodiumThreads<Job, Result>({ name: 'test worker', threads: 1, handler: HANDLER, workerData: { prefix: 'p:' } });
    const error = await pool.run({ fail: 'CANARY-job' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toBe('test worker failed');
    expect((await pool.run({ text: 'after' })).hash).toBe(hashOf('after'));
  });

  it('fails only the jobs of a thread that dies, and starts a fresh thread for the next job', async () => {
    pool = createSodiumThreads<Job, Result>({ name: 'test worker', threads: 2, handler: HANDLER, workerData: { prefix: 'p:' } });
    const first = await pool.run({ text: 'a' });
    // Round-robin: the next job goes to the other thread, the one after back to the first.
    const dying = pool.run({ die: true });
    const survivor = pool.run({ text: 'b' });
    await expect(dying).rejects.toThrow('test worker stopped');
    expect((await survivor).hash).toBe(hashOf('b'));
    const later = await Promise.all([pool.run({ text: 'c' }), pool.run({ text: 'd' })]);
    expect(later.map((r) => r.hash)).toEqual([hashOf('c'), hashOf('d')]);
    expect(later.map((r) => r.thread)).toContain(first.thread);
  });

  it('stops its threads after idleMs without a job, and starts again on the next one', async () => {
    pool = createSodiumThreads<Job, Result>({ name: 'test worker', threads: 1, handler: HANDLER, workerData: { prefix: 'p:' }, idleMs: 20 });
    const before = await pool.run({ text: 'x' });
    await sleep(1000);
    const after = await pool.run({ text: 'y' });
    expect(after.hash).toBe(hashOf('y'));
    expect(after.thread).not.toBe(before.thread);
  });

  it('keeps its thread while jobs keep coming when idleMs is 0', async () => {
    pool = createSodiumThreads<Job, Result>({ name: 'test worker', threads: 1, handler: HANDLER, workerData: { prefix: 'p:' } });
    const before = await pool.run({ text: 'x' });
    await sleep(200);
    expect((await pool.run({ text: 'y' })).thread).toBe(before.thread);
  });
});
