/**
 * Per-source token buckets, so one chatty or hostile source cannot starve the others (pure, injected clock).
 * @module
 */

/** A token bucket: `burst` tokens, refilled at `ratePerSecond`; each datagram takes one. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** @param now creation time (ms): the bucket starts full. */
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

/**
 * Most sources a {@link RateLimiter} tracks by default. A spoofing flood makes a new source per datagram; the
 * map forgets its oldest bucket beyond this (about 150 bytes each, so some 10 MB at most).
 */
export const MAX_TRACKED_SOURCES = 65_536;

/**
 * Token buckets keyed by source (`ip:port`, or an IP), created on first use. At most `maxSources` are held:
 * beyond it the oldest bucket is forgotten, which can only let that source through sooner, never refuse
 * anyone (a flooder whose bucket goes gets one more burst per `maxSources` new sources).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  /** Buckets forgotten because the map was full. */
  evicted = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
    private readonly maxSources = MAX_TRACKED_SOURCES,
  ) {}

  /** Admit one datagram from `source` at `now` (default: the clock)? */
  allow(source: string, now = this.now()): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSources) {
        // Insertion order is age order: the first key is the bucket created longest ago.
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
        this.evicted++;
      }
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
