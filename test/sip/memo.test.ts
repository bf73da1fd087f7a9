import { describe, expect, it } from 'vitest';
import { detached, memoized } from '../../src/sip/memo.js';

describe('memoized', () => {
  it('parses a text once and hands the same result out again', () => {
    let calls = 0;
    const parse = memoized((s: string) => ({ s, n: ++calls }));
    const a = parse('<sip:a@b>');
    expect(parse('<sip:a@b>')).toBe(a);
    expect(parse('<sip:c@d>').n).toBe(2);
    expect(calls).toBe(2);
  });

  it('does not keep texts longer than its bound, and starts over when full', () => {
    let calls = 0;
    const parse = memoized((s: string) => ({ s, n: ++calls }), 2, 4);
    parse('long text');
    parse('long text');
    expect(calls).toBe(2);
    const first = parse('a');
    parse('b');
    parse('c'); // the table was full: it starts over with c
    expect(parse('a')).not.toBe(first);
  });
});

describe('detached', () => {
  it('copies the text', () => {
    const message = `Call-ID: ${'x'.repeat(100)}`;
    const value = message.slice(9);
    expect(detached(value)).toBe(value);
    expect(detached('')).toBe('');
  });
});
