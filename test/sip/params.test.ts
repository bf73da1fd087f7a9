import { describe, expect, it } from 'vitest';
import { formatParams, parseParams, quote, unquote } from '../../src/sip/params.js';

describe('parseParams', () => {
  it.each([
    [';a=b;c;d="q"', [['a', 'b'], ['c', null], ['d', '"q"']]],
    ['', []],
    ['  ;  Tag  =  1918181833n', [['tag', '1918181833n']]],
    [';received=[2001:db8::9:255];branch=z9hG4bKas3', [['received', '[2001:db8::9:255]'], ['branch', 'z9hG4bKas3']]],
    [';x="a;b \\" c"', [['x', '"a;b \\" c"']]],
    [';lr;LR=1', [['lr', null]]],
  ] as const)('parses %j', (text, expected) => {
    const r = parseParams(text);
    if (!r.ok) throw new Error(r.error);
    expect([...r.value]).toEqual(expected);
  });

  it.each([
    [';;', 'Empty parameter name'],
    [';a=', "Empty value for parameter 'a'"],
    [';a="open', "Unterminated quoted value for parameter 'a'"],
    ['a=b', "Unexpected character 'a' in parameters"],
    [';a=b c', "Unexpected character 'c' in parameters"],
  ])('rejects %j with a reason', (text, reason) => {
    expect(parseParams(text)).toEqual({ ok: false, error: reason });
  });

  it('writes parameters back in order', () => {
    const r = parseParams(';a=b;c;d="q"');
    expect(r.ok && formatParams(r.value)).toBe(';a=b;c;d="q"');
  });
});

describe('quote and unquote', () => {
  it('removes quotes and backslash escapes', () => {
    expect(unquote('"J Rosenberg \\\\\\""')).toBe('J Rosenberg \\"');
    expect(unquote('plain')).toBe('plain');
  });
  it('round-trips through quote', () => {
    for (const s of ['a "b" \\ c', '', 'Алиса']) expect(unquote(quote(s))).toBe(s);
  });
});
