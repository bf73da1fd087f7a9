/**
 * A trace's bounds: the per-trace token bucket, the ring's first kept message, limits from the vars.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRACE_LIMITS, ringStart, traceLimits, TraceRate } from '../../src/trace/limits.js';

describe('TraceRate', () => {
  it('passes a burst at once, then the rate, from the clock it is given', () => {
    const r = new TraceRate({ rate: 10, burst: 5 }, 0);
    expect(r.admit(8, 0)).toBe(5);
    expect(r.admit(8, 0)).toBe(0);
    expect(r.admit(8, 300)).toBe(3);
    expect(r.admit(100, 100_000)).toBe(5);
  });
});

describe('ringStart', () => {
  it('is the oldest sequence number the last N keep', () => {
    expect(ringStart(5, 1000)).toBe(1);
    expect(ringStart(1500, 1000)).toBe(501);
  });
});

describe('traceLimits', () => {
  it('reads TRACE_RATE, TRACE_BURST and TRACE_RING, defaults for the unset or malformed, the ring bounded', () => {
    expect(traceLimits({})).toEqual(DEFAULT_TRACE_LIMITS);
    expect(traceLimits({ TRACE_RATE: '5', TRACE_BURST: 'x', TRACE_RING: '99999' })).toEqual({ rate: 5, burst: 200, ring: 10_000 });
    expect(traceLimits({ TRACE_RATE: '0' }).rate).toBe(50);
  });
});
