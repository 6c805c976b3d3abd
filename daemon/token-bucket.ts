// A token bucket over an injected clock: `rate` tokens (bytes) per second, at most `capacity` saved up. The
// forwarder's drain cap: over any stretch of T seconds it lets through at most capacity + rate·T bytes.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Milliseconds until `amount` tokens are there (0: now). An amount over the capacity waits for a full bucket. */
  delayFor(amount: number): number {
    this.refill();
    const need = Math.min(amount, this.capacity);
    if (this.tokens >= need) return 0;
    return Math.ceil(((need - this.tokens) / this.rate) * 1000);
  }

  /** Spends `amount` tokens (the balance may go below zero for an amount over the capacity). */
  take(amount: number): void {
    this.refill();
    this.tokens -= amount;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
    }
  }
}
