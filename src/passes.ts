/**
 * A background pass (notices, portal mails, webhook deliveries) that runs one at a time in this
 * process: overlapping calls share the pass under way, and `settle` waits for it at shutdown, at
 * most `timeoutMs`.
 */
export function onePassAtATime<T>(runPass: () => Promise<T>) {
  let running: Promise<T> | null = null;

  function run(): Promise<T> {
    running ??= runPass().finally(() => {
      running = null;
    });
    return running;
  }

  /** Resolves when the pass under way (if any) has finished, or after `timeoutMs`. */
  async function settle(timeoutMs = 15_000): Promise<void> {
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  return { run, settle };
}
