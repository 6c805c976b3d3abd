// Time is injected into the engine: a Clock is read only when a context starts; ManualClock drives tests.

export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** A clock that moves only when told to (Spark's ManualClock); starts at 0 unless given a time. */
export class ManualClock implements Clock {
  private timeMs: number;
  constructor(startMs = 0) {
    this.timeMs = startMs;
  }
  now(): number {
    return this.timeMs;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs a non-negative duration, got ${ms}`);
    this.timeMs += ms;
  }
  setTime(ms: number): void {
    this.timeMs = ms;
  }
}
