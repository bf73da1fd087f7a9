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

  it('holds at most maxSources buckets, forgetting the oldest, so a spoofing flood cannot grow it', () => {
    const rl = new RateLimiter(1, 1, () => 0, 3);
    expect(rl.allow('a:1')).toBe(true);
    expect(rl.allow('a:1')).toBe(false);
    for (const s of ['b:1', 'c:1']) rl.allow(s);
    expect(rl.size).toBe(3);
    rl.allow('d:1'); // a:1 is the oldest: forgotten
    expect([rl.size, rl.evicted]).toEqual([3, 1]);
    expect(rl.allow('c:1')).toBe(false); // c:1 is still tracked (empty)
    expect(rl.allow('a:1')).toBe(true); // a fresh bucket: a forgotten source is never refused for it
    for (let i = 0; i < 10_000; i++) rl.allow(`10.0.${i >> 8}.${i & 255}:5060`);
    expect(rl.size).toBe(3);
  });
});
