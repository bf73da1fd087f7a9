import { describe, expect, it } from 'vitest';
import type { DigestChallenge, DigestCredentials } from '../../src/sip/auth-header.js';
import { formatChallenge, formatCredentials, parseChallenge, parseCredentials } from '../../src/sip/auth-header.js';

/** The Authorization value of examples/gb28181/03-register-auth.sip. */
const GB28181 =
  'Digest username="34020000001320000001",realm="3402000000",nonce="6fe9ba44a76be22a",uri="sip:34020000002000000001@3402000000",response="fb6d2f768312116118c121c2608cf961",algorithm=MD5,qop=auth,nc=00000001,cnonce="0a4f113b"';

const parsed = (value: string): DigestCredentials => {
  const r = parseCredentials(value);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const error = (value: string): string => {
  const r = parseCredentials(value);
  return r.ok ? '(parsed)' : r.error;
};

describe('parseCredentials', () => {
  it('reads every parameter of a GB28181 camera Authorization', () => {
    expect(parsed(GB28181)).toEqual({
      username: '34020000001320000001', realm: '3402000000', nonce: '6fe9ba44a76be22a',
      uri: 'sip:34020000002000000001@3402000000', response: 'fb6d2f768312116118c121c2608cf961',
      algorithm: 'MD5', qop: 'auth', nc: '00000001', cnonce: '0a4f113b', opaque: null,
    });
  });

  it('accepts the scheme in any case', () => {
    expect(parsed(GB28181.replace('Digest', 'dIGEST')).username).toBe('34020000001320000001');
  });

  it('accepts parameters in any order with spaces and tabs around = and ,', () => {
    const c = parsed('  Digest  response = "r" ,\tnonce= "n",uri ="sip:a@b" , realm="x" ,  username = "u"  ');
    expect(c).toMatchObject({ username: 'u', realm: 'x', nonce: 'n', uri: 'sip:a@b', response: 'r' });
  });

  it('treats parameter names case-insensitively', () => {
    expect(parsed('Digest USERNAME="u", Realm="x", NONCE="n", Uri="s", Response="r"').username).toBe('u');
  });

  it('accepts folded whitespace (CRLF + space) between parameters', () => {
    expect(parsed('Digest username="u",\r\n realm="x", nonce="n", uri="s", response="r"').realm).toBe('x');
  });

  it('accepts qop, algorithm and opaque either quoted or as tokens', () => {
    const c = parsed('Digest username="u", realm="x", nonce="n", uri="s", response="r", qop="auth", algorithm="SHA-256", nc=0000000a, cnonce=abc, opaque=op');
    expect(c).toMatchObject({ qop: 'auth', algorithm: 'SHA-256', nc: '0000000a', cnonce: 'abc', opaque: 'op' });
  });

  it('tolerates an unquoted uri containing colon and @', () => {
    expect(parsed('Digest username="u", realm="x", nonce="n", uri=sip:a@b:5060, response="r"').uri).toBe('sip:a@b:5060');
  });

  it('keeps commas and equals signs inside quoted values', () => {
    expect(parsed('Digest username="a,b=c", realm="x", nonce="n", uri="s", response="r"').username).toBe('a,b=c');
  });

  it('unescapes quoted-pairs in quoted values', () => {
    expect(parsed('Digest username="a\\"b\\\\c", realm="x", nonce="n", uri="s", response="r"').username).toBe('a"b\\c');
  });

  it('keeps UTF-8 user names', () => {
    expect(parsed('Digest username="设备", realm="x", nonce="n", uri="s", response="r"').username).toBe('设备');
  });

  it('ignores unknown parameters and empty list elements', () => {
    const c = parsed('Digest username="u",, realm="x", nonce="n", foo=bar, uri="s", response="r", x-ext="y",');
    expect(c.username).toBe('u');
  });

  it('leaves absent optional parameters null (the RFC 2069 form)', () => {
    expect(parsed('Digest username="u", realm="x", nonce="n", uri="s", response="r"')).toMatchObject({
      algorithm: null, qop: null, nc: null, cnonce: null, opaque: null,
    });
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'unsupported scheme Basic'],
    ['Bearer abc', 'unsupported scheme Bearer'],
    ['', 'missing auth scheme'],
    ['   ', 'missing auth scheme'],
    ['Digest', 'missing username'],
    ['Digest realm="x", nonce="n", uri="s", response="r"', 'missing username'],
    ['Digest username="u", nonce="n", uri="s", response="r"', 'missing realm'],
    ['Digest username="u", realm="x", uri="s", response="r"', 'missing nonce'],
    ['Digest username="u", realm="x", nonce="n", response="r"', 'missing uri'],
    ['Digest username="u", realm="x", nonce="n", uri="s"', 'missing response'],
    ['Digest username="u", realm="x", nonce="n", uri="s", response="r", qop=auth, cnonce="c"', 'qop requires nc'],
    ['Digest username="u", realm="x", nonce="n", uri="s", response="r", qop=auth, nc=00000001', 'qop requires cnonce'],
    ['Digest username="u", realm="x", username="v", nonce="n", uri="s", response="r"', 'duplicate parameter username'],
    ['Digest username="u, realm="x"', "expected ',' after parameter username"],
    ['Digest username="unterminated', 'unterminated quoted string in parameter username'],
    ['Digest username', 'parameter username has no value'],
    ['Digest username=, realm="x"', 'parameter username has an empty value'],
    ['Digest username="u" realm="x"', "expected ',' after parameter username"],
    ['Digest ="u"', "unexpected character '=' at offset 7"],
    ['Digest,username="u"', 'expected whitespace after scheme Digest'],
  ])('rejects %j with %j', (value, reason) => {
    expect(error(value)).toBe(reason);
  });

  it('never throws on arbitrary input', () => {
    const samples = ['"', '\\', 'Digest "', 'Digest a="\\', 'Digest a=b,c', 'Digest \u0000=\u0001', 'Digest a=="b"'];
    for (const s of samples) expect(() => parseCredentials(s)).not.toThrow();
  });
});

describe('formatChallenge', () => {
  it('formats an MD5 qop=auth challenge in the canonical order', () => {
    const c: DigestChallenge = { realm: '3402000000', nonce: '6fe9ba44a76be22a', algorithm: 'MD5', qop: 'auth', stale: false };
    expect(formatChallenge(c)).toBe('Digest realm="3402000000", nonce="6fe9ba44a76be22a", algorithm=MD5, qop="auth"');
  });

  it('appends stale=true for an expired nonce', () => {
    const c: DigestChallenge = { realm: 'r', nonce: 'n', algorithm: 'SHA-256', qop: 'auth', stale: true };
    expect(formatChallenge(c)).toBe('Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth", stale=true');
  });

  it('omits qop for the RFC 2069 form and includes opaque when set', () => {
    const c: DigestChallenge = { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: null, stale: false, opaque: 'o' };
    expect(formatChallenge(c)).toBe('Digest realm="r", nonce="n", algorithm=MD5, opaque="o"');
  });

  it('escapes quotes and backslashes in the realm', () => {
    const c: DigestChallenge = { realm: 'a"b\\c', nonce: 'n', algorithm: 'MD5', qop: null, stale: false };
    expect(formatChallenge(c)).toBe('Digest realm="a\\"b\\\\c", nonce="n", algorithm=MD5');
  });

  it('round-trips through parseChallenge', () => {
    const c: DigestChallenge = { realm: 'a"b', nonce: 'n', algorithm: 'SHA-256', qop: 'auth', stale: true, opaque: 'x' };
    expect(parseChallenge(formatChallenge(c))).toEqual({ ok: true, value: c });
  });
});

describe('parseChallenge', () => {
  it('reads the GB28181 platform challenge', () => {
    expect(parseChallenge('Digest realm="3402000000",nonce="6fe9ba44a76be22a",algorithm=MD5,qop="auth"')).toEqual({
      ok: true, value: { realm: '3402000000', nonce: '6fe9ba44a76be22a', algorithm: 'MD5', qop: 'auth', stale: false },
    });
  });

  it('defaults to MD5 and reduces a qop list to auth', () => {
    const r = parseChallenge('Digest realm="r", nonce="n", qop="auth-int, auth", stale=TRUE');
    expect(r).toEqual({ ok: true, value: { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: 'auth', stale: true } });
  });

  it.each([
    ['Digest nonce="n"', 'missing realm'],
    ['Digest realm="r"', 'missing nonce'],
    ['Digest realm="r", nonce="n", algorithm=MD5-sess', 'unsupported algorithm MD5-SESS'],
    ['Digest realm="r", nonce="n", qop="auth-int"', 'unsupported qop auth-int'],
    ['Basic realm="r"', 'unsupported scheme Basic'],
  ])('rejects %j with %j', (value, reason) => {
    expect(parseChallenge(value)).toEqual({ ok: false, error: reason });
  });
});

describe('formatCredentials', () => {
  it('round-trips the GB28181 credentials through parseCredentials', () => {
    const c = parsed(GB28181);
    expect(parsed(formatCredentials(c))).toEqual(c);
  });

  it('round-trips the no-qop form with opaque', () => {
    const c = parsed('Digest username="u", realm="x", nonce="n", uri="s", response="r", opaque="o"');
    expect(formatCredentials(c)).toBe('Digest username="u", realm="x", nonce="n", uri="s", response="r", opaque="o"');
    expect(parsed(formatCredentials(c))).toEqual(c);
  });
});
