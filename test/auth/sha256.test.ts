import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256, Sha256, sha256 } from '../../src/auth/sha256.js';
import { md5Hex } from '../../src/auth/md5.js';
import { toHex } from '../../src/auth/hash.js';

/** Lengths around the block boundaries (the padding needs one or two blocks). */
const LENGTHS = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000];
const bytes = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 255);
const keys = [new Uint8Array(0), new TextEncoder().encode('secret'), new Uint8Array(64).fill(7), new Uint8Array(100).fill(0xa5)];

describe('sha256', () => {
  it.each(LENGTHS)('matches node:crypto for %i bytes', (n) => {
    expect(toHex(sha256(bytes(n)))).toBe(createHash('sha256').update(bytes(n)).digest('hex'));
  });
  it('hashes a message fed in pieces like the whole, and a copied state goes on alike', () => {
    const m = bytes(300);
    const h = new Sha256().update(m.subarray(0, 10)).update(m.subarray(10, 140));
    const copy = new Sha256().copyFrom(h);
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    h.update(m.subarray(140)).digestInto(a);
    copy.update(m.subarray(140)).digestInto(b);
    expect(toHex(a)).toBe(createHash('sha256').update(m).digest('hex'));
    expect(toHex(b)).toBe(toHex(a));
  });
});

describe('HmacSha256', () => {
  it.each(keys.flatMap((k, ki) => LENGTHS.map((n) => [ki, k, n] as const)))('matches node:crypto hmac (key %i, %i bytes), with and without a prefix', (_, key, n) => {
    const m = bytes(n);
    const expected = createHmac('sha256', key).update(m).digest('hex');
    expect(toHex(new HmacSha256(key).mac(m))).toBe(expected);
    for (const cut of [1, 64, 90]) {
      if (cut > n) continue;
      expect(toHex(new HmacSha256(key, m.subarray(0, cut)).mac(m.subarray(cut)))).toBe(expected);
    }
  });
  it('gives the same tag on every call (the absorbed state is copied, not spent)', () => {
    const h = new HmacSha256(keys[1]!, bytes(90));
    const first = toHex(h.mac(bytes(12)));
    expect(toHex(h.mac(bytes(12)))).toBe(first);
  });
});

describe('md5Hex', () => {
  it.each(LENGTHS)('matches node:crypto for %i octets of ASCII', (n) => {
    const s = 'x'.repeat(n);
    expect(md5Hex(s)).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
  });
  it('hashes the UTF-8 octets of non-ASCII text', () => {
    for (const s of ['é', 'grüße:réalm:пароль', '设备:域:密码'.repeat(9), '😀']) {
      expect(md5Hex(s)).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
    }
  });
});
