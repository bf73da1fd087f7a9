/**
 * Password-guessing bounds by source: counted per key in windows, blocks that double, and a success that resets nothing.
 */
import { describe, expect, it } from 'vitest';
import { FailureGuard, type GuardPolicy } from '../../src/auth/guard.js';

const policy: GuardPolicy = { threshold: 3, windowMs: 10_000, baseBlockMs: 1_000, maxBlockMs: 4_000, forgetMs: 60_000 };
const T = 1_700_000_000_000;

describe('FailureGuard', () => {
  it('blocks a key at the threshold within the window, and not before', () => {
    const g = new FailureGuard(policy);
    expect(g.fail('k', T)).toBeNull();
    expect(g.fail('k', T + 1)).toBeNull();
    expect(g.fail('k', T + 2)).toBe(T + 2 + 1_000);
    expect(g.blockedUntil('k', T + 500)).toBe(T + 1_002);
    expect(g.blockedUntil('k', T + 1_002)).toBeNull();
    expect(g.blockedUntil('other', T)).toBeNull();
  });

  it('forgets failures spread wider than the window', () => {
    const g = new FailureGuard(policy);
    for (let i = 0; i < 10; i++) expect(g.fail('k', T + i * 10_001)).toBeNull();
  });

  it('doubles each block in a row up to the cap, and forgets the history after a quiet day', () => {
    const g = new FailureGuard(policy);
    const blockAt = (t: number) => {
      g.fail('k', t);
      g.fail('k', t + 1);
      return g.fail('k', t + 2)! - (t + 2);
    };
    expect(blockAt(T)).toBe(1_000);
    expect(blockAt(T + 2_000)).toBe(2_000);
    expect(blockAt(T + 10_000)).toBe(4_000);
    expect(blockAt(T + 20_000)).toBe(4_000);
    expect(blockAt(T + 20_000 + 60_001 + 4_000)).toBe(1_000);
  });

  it('keeps failures while blocked from extending the block, and a block restored from storage holds', () => {
    const g = new FailureGuard(policy);
    for (let i = 0; i < 3; i++) g.fail('k', T);
    for (let i = 0; i < 10; i++) expect(g.fail('k', T + 10)).toBe(T + 1_000);
    const woken = new FailureGuard(policy);
    woken.restore('k', T + 1_000, T + 10);
    expect(woken.blockedUntil('k', T + 500)).toBe(T + 1_000);
  });

  it('is bounded: the least recently touched unblocked keys go first', () => {
    const g = new FailureGuard(policy, 100);
    for (let i = 0; i < 1_000; i++) g.fail(`ip${i}`, T + i);
    expect(g.size).toBeLessThanOrEqual(100);
    expect(g.blockedUntil('ip0', T)).toBeNull();
  });

  it('counts attempts in flight like failures, so pipelined guesses cannot all be checked before one fails', () => {
    const g = new FailureGuard(policy);
    for (let i = 0; i < 3; i++) expect(g.begin('k', T)).toBeNull();
    expect(g.begin('k', T)).toBe(T + 15_000); // three in flight are as many as may fail before a block
    expect(g.settle('k', false, T + 1)).toBeNull();
    expect(g.begin('k', T + 2)).toBe(T + 15_002); // one failed, two still in flight
    expect(g.settle('k', false, T + 3)).toBeNull();
    expect(g.settle('k', false, T + 4)).toBe(T + 4 + 1_000); // the third failure blocks
    expect(g.begin('k', T + 5)).toBe(T + 1_004);
  });

  it('ends an attempt without counting it when it succeeds, and forgets attempts never settled', () => {
    const g = new FailureGuard(policy);
    for (let i = 0; i < 10; i++) {
      expect(g.begin('k', T + i)).toBeNull();
      expect(g.settle('k', true, T + i)).toBeNull();
    }
    for (let i = 0; i < 3; i++) g.begin('k', T);
    expect(g.begin('k', T + 1)).not.toBeNull();
    expect(g.begin('k', T + 15_001)).toBeNull();
  });
});
