import { createLogger } from '../src/logger.js';
import { survivingFaults } from '../src/main.js';

// The purge and notice timers of `serve`: a tick that comes while the pass is still running joins
// it. Before, each such tick ran the pass again (sharing the purge under way) and counted its
// purged credentials again: ticketvault_credentials_purged_total read 2.1M for a 100k purge.

describe('a timer pass (survivingFaults)', () => {
  const log = createLogger('silent');

  it('runs once for ticks that come while it is running, and again at the next tick after it ended', async () => {
    let started = 0;
    let finish!: () => void;
    const tick = survivingFaults('test pass', () => {
      started++;
      return new Promise<void>((resolve) => (finish = resolve));
    }, () => {}, log);
    const first = tick();
    const second = tick();
    const third = tick();
    expect(started).toBe(1);
    finish();
    await Promise.all([first, second, third]);
    const next = tick();
    expect(started).toBe(2);
    finish();
    await next;
  });

  it('counts one failure for a failing pass however many ticks joined it, and survives it', async () => {
    let failures = 0;
    let fail!: (error: Error) => void;
    const tick = survivingFaults('test pass', () => new Promise<void>((_resolve, reject) => (fail = reject)), () => failures++, log);
    const ticks = [tick(), tick(), tick()];
    fail(new Error('disk full'));
    await expect(Promise.all(ticks)).resolves.toBeDefined();
    expect(failures).toBe(1);
  });
});
