/**
 * Per-connection bounds on floods and failed authentications.
 */
import { describe, expect, it } from 'vitest';
import { FlowLimits } from '../../src/transport/flow-limits.js';

describe('FlowLimits', () => {
  it('admits a burst, then the sustained rate', () => {
    const l = new FlowLimits({ rate: 10, burst: 5, maxAuthFailures: 3 }, 0);
    expect(Array.from({ length: 7 }, () => l.admit(0))).toEqual([true, true, true, true, true, false, false]);
    expect(l.admit(100)).toBe(true); // 0.1 s refills one token at 10/s
    expect(l.admit(100)).toBe(false);
  });

  it('neither drains nor refills the bucket when the clock steps back, and refills from the new time', () => {
    const l = new FlowLimits({ rate: 10, burst: 5, maxAuthFailures: 3 }, 3_600_000);
    expect(l.admit(3_600_000)).toBe(true);
    // An hour back: the 4 tokens left are still there, no more.
    expect(Array.from({ length: 5 }, () => l.admit(0))).toEqual([true, true, true, true, false]);
    expect(l.admit(100)).toBe(true); // 0.1 s after the step refills one token at 10/s
    expect(l.admit(100)).toBe(false);
  });

  it('closes after repeated failed authentications, and a success resets the count', () => {
    const l = new FlowLimits({ rate: 10, burst: 5, maxAuthFailures: 3 }, 0);
    expect(l.authenticated(false)).toBe(false);
    expect(l.authenticated(false)).toBe(false);
    expect(l.authenticated(true)).toBe(false);
    expect(l.authenticated(false)).toBe(false);
    expect(l.authenticated(false)).toBe(false);
    expect(l.authenticated(false)).toBe(true);
  });
});
