import { describe, expect, it } from 'vitest';
import { NonceCounts } from '../../src/auth/nonce-counts.js';

const WOKE = 1_000_000;
const TTL = 300_000;

describe('NonceCounts', () => {
  it('accepts each (nonce, nc) once and only growing counts', () => {
    const w = new NonceCounts(WOKE, TTL);
    expect(w.accept('n1', WOKE + 5, 1, WOKE + 10)).toBe(true);
    expect(w.accept('n1', WOKE + 5, 1, WOKE + 11)).toBe(false);
    expect(w.accept('n1', WOKE + 5, 3, WOKE + 12)).toBe(true);
    expect(w.accept('n1', WOKE + 5, 2, WOKE + 13)).toBe(false);
    expect(w.accept('n2', WOKE + 6, 1, WOKE + 14)).toBe(true);
  });

  it('refuses malformed counts', () => {
    const w = new NonceCounts(WOKE, TTL);
    expect(w.accept('n1', WOKE, 0, WOKE)).toBe(false);
    expect(w.accept('n1', WOKE, 0x1_0000_0000, WOKE)).toBe(false);
    expect(w.count).toBe(0);
  });

  it('refuses a nonce issued before it woke up: its counts may have been lost with the last instance', () => {
    const w = new NonceCounts(WOKE, TTL);
    expect(w.accept('old', WOKE - 1, 1, WOKE + 1)).toBe(false);
    expect(w.accept('new', WOKE, 1, WOKE + 1)).toBe(true);
  });

  it('forgets nonces past their lifetime as new ones come, without refusing anything newer', () => {
    const w = new NonceCounts(WOKE, TTL);
    expect(w.accept('a', WOKE + 1, 1, WOKE + 1)).toBe(true);
    expect(w.accept('b', WOKE + TTL, 1, WOKE + TTL + 2)).toBe(true);
    expect(w.count).toBe(1);
    expect(w.accept('c', WOKE + TTL + 1, 1, WOKE + TTL + 3)).toBe(true);
    expect(w.accept('b', WOKE + TTL, 2, WOKE + TTL + 4)).toBe(true);
  });

  it('stays bounded: a forgotten live nonce is refused from then on, later ones are not', () => {
    const w = new NonceCounts(WOKE, TTL, 3);
    for (let i = 0; i < 3; i++) expect(w.accept(`n${i}`, WOKE + i, 1, WOKE + 10)).toBe(true);
    expect(w.accept('n0', WOKE, 2, WOKE + 11)).toBe(true); // n0 is now the most recently used
    expect(w.accept('n3', WOKE + 3, 1, WOKE + 12)).toBe(true); // over size: n1 (least recently used) goes
    expect(w.count).toBe(3);
    expect(w.accept('n1', WOKE + 1, 2, WOKE + 13)).toBe(false);
    expect(w.accept('n0', WOKE, 3, WOKE + 14)).toBe(true);
    expect(w.accept('n9', WOKE + 9, 1, WOKE + 15)).toBe(true);
  });

  it('keeps every count apart while it grows to its size and reuses the room of forgotten nonces', () => {
    const w = new NonceCounts(WOKE, TTL, 100);
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 250; i++) expect(w.accept(`n${i}`, WOKE + i, round, WOKE + 1000)).toBe(round === 1 || i >= 150);
      expect(w.count).toBe(100);
    }
    // The last hundred are held at nc 3: a replay of that count is refused, the next one accepted.
    for (let i = 150; i < 250; i++) {
      expect(w.accept(`n${i}`, WOKE + i, 3, WOKE + 1001)).toBe(false);
      expect(w.accept(`n${i}`, WOKE + i, 4, WOKE + 1001)).toBe(true);
    }
  });
});
