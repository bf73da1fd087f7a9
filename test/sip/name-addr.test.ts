import { describe, expect, it } from 'vitest';
import { formatNameAddr, parseContactList, parseNameAddr } from '../../src/sip/name-addr.js';
import type { NameAddr } from '../../src/sip/name-addr.js';

function na(text: string): NameAddr {
  const r = parseNameAddr(text);
  if (!r.ok) throw new Error(`${text}: ${r.error}`);
  return r.value;
}

describe('parseNameAddr', () => {
  it('reads a quoted display name, URI parameters and header parameters', () => {
    const n = na('"Alice \\"A\\"" <sip:a@x;p=1>;tag=9');
    expect(n.displayName).toBe('Alice "A"');
    expect(n.uriText).toBe('sip:a@x;p=1');
    expect(n.uri.params.get('p')).toBe('1');
    expect([...n.params]).toEqual([['tag', '9']]);
  });

  it('accepts token display names, even without LWS before < (RFC 4475 lwsdisp)', () => {
    expect(na('caller<sip:caller@example.com>;tag=323').displayName).toBe('caller');
    expect(na('T. Watson <sip:t@x>').displayName).toBe('T. Watson');
    expect(na('<sip:t@x>').displayName).toBe(null);
  });

  it('gives the parameters after an addr-spec to the header (RFC 3261 §20.10)', () => {
    const n = na('sip:a@x;tag=9 ');
    expect(n.uri.params.size).toBe(0);
    expect(n.params.get('tag')).toBe('9');
    expect(na('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n').params.get('tag')).toBe('1918181833n');
  });

  it.each([
    ['"Mr. J. User <sip:j.user@example.com>', 'Unterminated quoted display name'],
    ['Bell, Alexander <sip:a.g.bell@example.com>', "Character ',' not allowed in an unquoted display name"],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'A URI with headers or commas must be enclosed in <>'],
    ['sip:user;par=x@example.com', 'A URI with ; in its user part must be enclosed in <>'],
    ['"x" sip:a@b', "Expected '<' after display name"],
    ['<sip:a@b', "Missing '>'"],
    ['< sip:a@b >', 'Bad URI: Whitespace or control character in URI'],
    ['', 'Empty address'],
  ])('rejects %j', (text, reason) => {
    expect(parseNameAddr(text)).toEqual({ ok: false, error: reason });
  });

  it('always writes the <> form', () => {
    expect(formatNameAddr(na('sip:a@x;tag=9'))).toBe('<sip:a@x>;tag=9');
    expect(formatNameAddr(na('Alice <sip:a@x;lr>;expires=60'))).toBe('"Alice" <sip:a@x;lr>;expires=60');
  });
});

describe('parseContactList', () => {
  it('splits several contacts across lines and commas', () => {
    const r = parseContactList(['<sip:a@x>;q=0.5, "B, b" <sip:b@y>', 'sip:c@z']);
    expect(r.ok && r.value !== '*' && r.value.map((c) => c.uriText)).toEqual(['sip:a@x', 'sip:b@y', 'sip:c@z']);
  });
  it('returns the wildcard when * stands alone', () => {
    expect(parseContactList(['*'])).toEqual({ ok: true, value: '*' });
  });
  it('refuses * mixed with addresses and empty entries', () => {
    expect(parseContactList(['*', '<sip:a@x>']).ok).toBe(false);
    expect(parseContactList(['<sip:a@x>,,']).ok).toBe(false);
    expect(parseContactList(['"Joe" <sip:joe@example.org>;;;;']).ok).toBe(false);
  });
});
