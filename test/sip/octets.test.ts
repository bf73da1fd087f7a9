import { describe, expect, it } from 'vitest';
import { copyOctets, encodeUtf8 } from '../../src/sip/octets.js';

const text = (u8: Uint8Array) => new TextDecoder().decode(u8);

describe('encodeUtf8', () => {
  it('encodes ASCII text to as many octets as it has characters', () => {
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n';
    const b = encodeUtf8(sdp);
    expect(b.length).toBe(sdp.length);
    expect(text(b)).toBe(sdp);
  });

  it('encodes non-ASCII text as UTF-8', () => {
    expect([...encodeUtf8('é€😀')]).toEqual([...new TextEncoder().encode('é€😀')]);
  });

  it('encodes text longer than the pool takes and the empty string', () => {
    const long = 'x'.repeat(100_000) + 'é';
    expect(text(encodeUtf8(long))).toBe(long);
    expect(encodeUtf8('').length).toBe(0);
  });

  it('hands out views that never overlap, also across a slab change', () => {
    const views = Array.from({ length: 200 }, (_, i) => encodeUtf8(String(i % 10).repeat(300 + i)));
    views.forEach((v) => v.fill(v[0]! + 1));
    views.forEach((v, i) => expect(v.every((o) => o === 49 + (i % 10))).toBe(true));
  });

  it('falls back to its own buffer when multi-octet text does not fit the rest of the slab', () => {
    const views = Array.from({ length: 50 }, (_, i) => encodeUtf8('€'.repeat(1000 + i)));
    views.forEach((v, i) => expect(text(v)).toBe('€'.repeat(1000 + i)));
  });
});

describe('copyOctets', () => {
  it('copies, so the source may be reused', () => {
    const src = new TextEncoder().encode('abc');
    const copy = copyOctets(src);
    src.fill(0);
    expect(text(copy)).toBe('abc');
    const big = new Uint8Array(100_000).fill(7);
    const bigCopy = copyOctets(big);
    big.fill(0);
    expect(bigCopy.length).toBe(100_000);
    expect(bigCopy.every((o) => o === 7)).toBe(true);
  });
});
