import { describe, expect, it } from 'vitest';
import {
  NONCE_CLOCK_SKEW_MS, NONCE_LENGTH, NONCE_RANDOM_BYTES, acceptNonceCount, checkNonce, createNonce, nonceCountOf, nonceIssuedAt, parseNc,
} from '../../src/auth/nonce.js';

const SECRET = new TextEncoder().encode('a 32-byte test secret for nonces');
const OTHER = new TextEncoder().encode('another secret');
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const TTL = 300_000;
const SCOPE = 'flow-1';
const rand = (seed: number): Uint8Array => Uint8Array.from({ length: 8 }, (_, i) => (seed * 31 + i * 7) & 255);

describe('createNonce / checkNonce', () => {
  const nonce = createNonce(SECRET, NOW, rand(1), SCOPE);

  it('produces a 32-character base64url token safe inside a quoted-string', () => {
    expect(nonce).toHaveLength(NONCE_LENGTH);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('is valid right after issue and up to the ttl', () => {
    expect(checkNonce(SECRET, nonce, NOW, TTL, SCOPE)).toBe('valid');
    expect(checkNonce(SECRET, nonce, NOW + TTL, TTL, SCOPE)).toBe('valid');
  });

  it('is stale once older than the ttl', () => {
    expect(checkNonce(SECRET, nonce, NOW + TTL + 1, TTL, SCOPE)).toBe('stale');
    expect(checkNonce(SECRET, nonce, NOW + 10 * TTL, TTL, SCOPE)).toBe('stale');
  });

  it('is deterministic for the same time and random bytes', () => {
    expect(createNonce(SECRET, NOW, rand(1), SCOPE)).toBe(nonce);
  });

  it('differs when the random bytes differ, at the same instant', () => {
    const all = new Set(Array.from({ length: 50 }, (_, i) => createNonce(SECRET, NOW, rand(i), SCOPE)));
    expect(all.size).toBe(50);
  });

  it('uses only the first NONCE_RANDOM_BYTES random bytes and rejects fewer', () => {
    const long = new Uint8Array(16).fill(9);
    expect(createNonce(SECRET, NOW, long, SCOPE)).toBe(createNonce(SECRET, NOW, long.subarray(0, NONCE_RANDOM_BYTES), SCOPE));
    expect(() => createNonce(SECRET, NOW, new Uint8Array(NONCE_RANDOM_BYTES - 1), SCOPE)).toThrow(RangeError);
  });

  it('carries its issue time to the millisecond', () => {
    expect(nonceIssuedAt(nonce)).toBe(NOW);
    expect(nonceIssuedAt(createNonce(SECRET, NOW + 1, rand(1), SCOPE))).toBe(NOW + 1);
    expect(nonceIssuedAt(createNonce(SECRET, NOW + 999.7, rand(1), SCOPE))).toBe(NOW + 999);
  });

  it('has no issue time when it is not shaped like one of ours', () => {
    expect(nonceIssuedAt('')).toBeNull();
    expect(nonceIssuedAt(nonce.slice(1))).toBeNull();
    expect(nonceIssuedAt('!'.repeat(NONCE_LENGTH))).toBeNull();
  });

  it('turns stale exactly one millisecond past the ttl', () => {
    const at = createNonce(SECRET, NOW + 456, rand(4), SCOPE);
    expect(checkNonce(SECRET, at, NOW + 456 + TTL, TTL, SCOPE)).toBe('valid');
    expect(checkNonce(SECRET, at, NOW + 457 + TTL, TTL, SCOPE)).toBe('stale');
  });

  it('is invalid in another scope (on another flow)', () => {
    expect(checkNonce(SECRET, nonce, NOW, TTL, 'flow-2')).toBe('invalid');
    expect(checkNonce(SECRET, nonce, NOW, TTL, '')).toBe('invalid');
  });

  it('is invalid under another secret', () => {
    expect(checkNonce(OTHER, nonce, NOW, TTL, SCOPE)).toBe('invalid');
  });

  it('is invalid when any single character is changed', () => {
    for (let i = 0; i < nonce.length; i++) {
      const ch = nonce[i] === 'A' ? 'B' : 'A';
      const forged = nonce.slice(0, i) + ch + nonce.slice(i + 1);
      expect(checkNonce(SECRET, forged, NOW, TTL, SCOPE), `position ${i}`).toBe('invalid');
    }
  });

  it('is invalid when truncated, extended or empty', () => {
    expect(checkNonce(SECRET, nonce.slice(0, -1), NOW, TTL, SCOPE)).toBe('invalid');
    expect(checkNonce(SECRET, nonce.slice(0, -4), NOW, TTL, SCOPE)).toBe('invalid');
    expect(checkNonce(SECRET, `${nonce}AAAA`, NOW, TTL, SCOPE)).toBe('invalid');
    expect(checkNonce(SECRET, '', NOW, TTL, SCOPE)).toBe('invalid');
  });

  it.each([
    '6fe9ba44a76be22a',
    'x'.repeat(32),
    '!'.repeat(32),
    `${'A'.repeat(31)}=`,
    `${'A'.repeat(31)}é`,
    'A'.repeat(32),
  ])('is invalid for garbage %j', (garbage) => {
    expect(checkNonce(SECRET, garbage, NOW, TTL, SCOPE)).toBe('invalid');
  });

  it('tolerates an issue time slightly in the future (clock skew between nodes)', () => {
    expect(checkNonce(SECRET, createNonce(SECRET, NOW + 2000, rand(2), SCOPE), NOW, TTL, SCOPE)).toBe('valid');
  });

  it('is invalid when issued beyond the clock skew in the future', () => {
    const future = createNonce(SECRET, NOW + NONCE_CLOCK_SKEW_MS + 60_000, rand(3), SCOPE);
    expect(checkNonce(SECRET, future, NOW, TTL, SCOPE)).toBe('invalid');
  });
});

describe('parseNc', () => {
  it.each([['00000001', 1], ['0000000a', 10], ['0000000A', 10], ['ffffffff', 0xffffffff]])('reads %j as %d', (s, n) => {
    expect(parseNc(s)).toBe(n);
  });
  it.each(['1', '0000001', '000000001', '0000000g', '', ' 0000001', '+0000001', '0x000001'])('rejects %j', (s) => {
    expect(parseNc(s)).toBeNull();
  });
});

describe('nonceCountOf', () => {
  it('counts the no-qop form as nc=1, which makes such a nonce single-use', () => {
    expect(nonceCountOf({ qop: null, nc: null })).toBe(1);
  });
  it('reads nc when qop is present', () => {
    expect(nonceCountOf({ qop: 'auth', nc: '00000003' })).toBe(3);
  });
  it('is null for a missing or malformed nc with qop', () => {
    expect(nonceCountOf({ qop: 'auth', nc: null })).toBeNull();
    expect(nonceCountOf({ qop: 'auth', nc: '3' })).toBeNull();
  });
});

describe('acceptNonceCount', () => {
  it('accepts the first use of a nonce', () => {
    expect(acceptNonceCount(undefined, 1)).toBe(true);
  });
  it('accepts a nonce count above the last one, gaps allowed', () => {
    expect(acceptNonceCount(1, 2)).toBe(true);
    expect(acceptNonceCount(2, 7)).toBe(true);
  });
  it('rejects the same nonce count twice (replay)', () => {
    expect(acceptNonceCount(1, 1)).toBe(false);
  });
  it('rejects a nonce count below the last one', () => {
    expect(acceptNonceCount(5, 4)).toBe(false);
  });
  it('rejects a second use of a no-qop nonce', () => {
    const first = nonceCountOf({ qop: null, nc: null })!;
    expect(acceptNonceCount(undefined, first)).toBe(true);
    expect(acceptNonceCount(first, nonceCountOf({ qop: null, nc: null })!)).toBe(false);
  });
  it.each([0, -1, 1.5, Number.NaN, 0x100000000])('rejects the impossible count %d', (nc) => {
    expect(acceptNonceCount(undefined, nc)).toBe(false);
  });
});
