/**
 * A background pass (notices, portal mails, webhook deliveries) that runs one at a time in this
 * process: overlapping calls share the pass under way. The pass is handed a signal that `stop`
 * aborts at shutdown, so a send under way (an SMTP server or an endpoint that holds the
 * connection) is cut short instead of holding the stop for its whole timeout.
 */
export function onePassAtATime<T>(runPass: (stopping: AbortSignal) => Promise<T>) {
  let running: Promise<T> | null = null;
  const stopping = new AbortController();

  function run(): Promise<T> {
    running ??= runPass(stopping.signal).finally(() => {
      running = null;
    });
    return running;
  }

  /**
   * At shutdown: aborts the pass's signal, then waits for the pass under way (if any) to record
   * what it cut short, at most `timeoutMs`.
   */
  async function stop(timeoutMs = 15_000): Promise<void> {
    stopping.abort();
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  return { run, stop };
}
