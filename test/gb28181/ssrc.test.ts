import { describe, expect, it } from 'vitest';
import { isSsrc, nextSerial, SERIALS, serialOf, ssrcHex, ssrcOf, ssrcPrefix } from '../../src/gb28181/ssrc.js';

describe('GB SSRC prefixes (GB/T 28181 Annex F: digit 1 live/history, digits 2–6 = domain digits 4–8)', () => {
  it('gives 0 + 20000 for live and 1 + 20000 for history in the domain 3402000000', () => {
    expect(ssrcPrefix('3402000000', false)).toBe('020000');
    expect(ssrcPrefix('3402000000', true)).toBe('120000');
    expect(ssrcPrefix('4401060000', false)).toBe('010600');
  });

  it('appends a 4-digit serial and reads it back', () => {
    expect(ssrcOf('020000', 7)).toBe('0200000007');
    expect(serialOf('0200000007')).toBe(7);
    expect(ssrcOf('120000', 9999)).toBe('1200009999');
  });
});

describe('nextSerial', () => {
  it('walks forward from the cursor, skipping used serials and 0000', () => {
    expect(nextSerial(new Set(), 0)).toBe(1);
    expect(nextSerial(new Set([1, 2]), 0)).toBe(3);
    expect(nextSerial(new Set(), 41)).toBe(42);
  });

  it('wraps past 9999 to 1, never to 0', () => {
    expect(nextSerial(new Set(), SERIALS)).toBe(1);
    expect(nextSerial(new Set([1]), SERIALS)).toBe(2);
  });

  it('does not hand a just-released serial out again at once', () => {
    // 5 was released (not in use) but the cursor has moved past it.
    expect(nextSerial(new Set([6, 7]), 7)).toBe(8);
  });

  it('gives 9999 distinct serials, then null when all are used', () => {
    const used = new Set<number>();
    let cursor = 0;
    for (let i = 0; i < SERIALS; i++) {
      const s = nextSerial(used, cursor)!;
      expect(used.has(s)).toBe(false);
      used.add(s);
      cursor = s;
    }
    expect(used.size).toBe(SERIALS);
    expect(nextSerial(used, cursor)).toBeNull();
  });
});

describe('SSRC forms', () => {
  it('accepts decimal SSRCs up to 2^32-1 (a device may answer with its own)', () => {
    expect(isSsrc('0200000001')).toBe(true);
    expect(isSsrc('4294967295')).toBe(true);
    expect(isSsrc('4294967296')).toBe(false);
    expect(isSsrc('12ab')).toBe(false);
    expect(isSsrc('')).toBe(false);
  });

  it('names an SSRC as ZLM single-port mode does: 8 upper-case hex digits', () => {
    expect(ssrcHex('0200000001')).toBe('0BEBC201');
    expect(ssrcHex('1')).toBe('00000001');
  });
});
