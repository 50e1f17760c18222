/** Milliseconds since the epoch. Domain code asks the clock, never Date.now(), so tests can move time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
