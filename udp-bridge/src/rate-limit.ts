/**
 * Per-source token buckets, so one chatty or hostile source cannot starve the others (pure, injected clock).
 * @module
 */

/** A token bucket: `burst` tokens, refilled at `ratePerSecond`; each datagram takes one. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
    }
  }

  /** Take one token at time `now` (ms); false when the bucket is empty. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely, i.e. it is indistinguishable from a new one. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

/** Token buckets keyed by source (`ip:port`), created on first use. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** Admit one datagram from `source` at `now` (default: the clock)? */
  allow(source: string, now = this.now()): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.ratePerSecond, this.burst, now);
      this.buckets.set(source, bucket);
    }
    return bucket.take(now);
  }

  /** Forget buckets that are full again (they would behave like new ones); keeps the map bounded by recent sources. */
  sweep(): void {
    const now = this.now();
    for (const [source, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(source);
  }

  /** Number of sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }
}
