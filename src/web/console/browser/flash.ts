// A one-line message kept across a reload (after closing a ticket the whole page changes).
const KEY = 'ticketvault-console-flash';

export function flash(message: string): void {
  try {
    sessionStorage.setItem(KEY, message);
  } catch {
    // storage off: the change still happened; only the message is lost
  }
}

/** Shows and forgets the message left by the previous page, if any. */
export function showFlash(status: HTMLElement | null): void {
  let message: string | null = null;
  try {
    message = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
  } catch {
    return;
  }
  if (message && status) status.textContent = message;
}
