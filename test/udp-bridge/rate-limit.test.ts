import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from '../../udp-bridge/src/rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then refuses until tokens refill at the configured rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true); // 100 ms at 10/s = one token
    expect(b.take(100)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const b = new TokenBucket(10, 2, 0);
    let allowed = 0;
    for (let i = 0; i < 5; i++) if (b.take(60_000)) allowed++;
    expect(allowed).toBe(2);
  });

  it('ignores a clock that goes backwards', () => {
    const b = new TokenBucket(1, 1, 1000);
    expect(b.take(1000)).toBe(true);
    expect(b.take(0)).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('limits each source separately', () => {
    let now = 0;
    const rl = new RateLimiter(1, 2, () => now);
    expect([rl.allow('a:1'), rl.allow('a:1'), rl.allow('a:1')]).toEqual([true, true, false]);
    expect(rl.allow('b:1')).toBe(true);
    now = 1000;
    expect(rl.allow('a:1')).toBe(true);
  });

  it('sweeps buckets that have refilled completely', () => {
    let now = 0;
    const rl = new RateLimiter(10, 2, () => now);
    rl.allow('a:1');
    rl.allow('b:1');
    rl.allow('b:1');
    now = 100; // a is full again, b has one token of two
    rl.sweep();
    expect(rl.size).toBe(1);
    now = 1000;
    rl.sweep();
    expect(rl.size).toBe(0);
  });
});
