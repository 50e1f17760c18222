
export interface ThrottleWindow {
  attempts: number;
  windowStartedAt: number;
}

export interface LoginThrottleStore {
  /** Counts one attempt for `key` in the window open at `now` (a new window once `windowMs` has passed). */
  hit(key: string, now: number, windowMs: number): Promise<ThrottleWindow>;
  /** Takes one attempt back (a successful sign-in is not held against a shared IP). */
  release(key: string): Promise<void>;
  clear(key: string): Promise<void>;
  deleteStale(before: number): Promise<void>;
}
