import { describe, expect, it } from 'vitest';
import { addressOfRecord, formatUri, parseUri, unescapeUserPart, uriEquals } from '../../src/sip/uri.js';
import type { SipUri } from '../../src/sip/uri.js';

function uri(text: string): SipUri {
  const r = parseUri(text);
  if (!r.ok) throw new Error(`${text}: ${r.error}`);
  return r.value;
}

describe('parseUri', () => {
  it('splits a full SIP URI into its parts', () => {
    const u = uri('SIP:alice:secret@Example.COM:5070;transport=ws;lr?subject=hi&x=y');
    expect(u).toMatchObject({ scheme: 'sip', user: 'alice', password: 'secret', host: 'example.com', port: 5070, headers: 'subject=hi&x=y' });
    expect([...u.params]).toEqual([['transport', 'ws'], ['lr', null]]);
  });

  it('keeps IPv6 references with their brackets and reads the port after them', () => {
    expect(uri('sips:[2001:DB8::10]:5061')).toMatchObject({ host: '[2001:db8::10]', port: 5061 });
    expect(uri('sip:[2001:db8::10:5070]')).toMatchObject({ host: '[2001:db8::10:5070]', port: null });
  });

  it('keeps the user part raw, semicolons and escapes included', () => {
    expect(uri('sip:user;par=u%40example.net@example.com').user).toBe('user;par=u%40example.net');
  });

  it('keeps other schemes opaque', () => {
    expect(uri('tel:+1-201-555-0123;phone-context=x')).toMatchObject({ scheme: 'tel', host: '', user: null, opaque: '+1-201-555-0123;phone-context=x' });
    expect(uri('soap.beep://192.0.2.103:3002').scheme).toBe('soap.beep');
  });

  it.each([
    ['sip:user@example.com; lr', 'Whitespace or control character in URI'],
    ['<sip:user@example.com>', "Character '<' not allowed in URI"],
    ['sip:2001:db8::10', 'IPv6 address must be enclosed in [ ]'],
    ['sip:host:65536', 'Port 65536 out of range'],
    ['sip:host:abc', "Invalid port 'abc'"],
    ['sip:@host', 'Empty user part in URI'],
    ['sip:', 'Missing host'],
    ['example.com', 'URI has no scheme'],
    ['sip:[2001:db8::1', 'Unterminated IPv6 reference'],
  ])('rejects %j', (text, reason) => {
    expect(parseUri(text)).toEqual({ ok: false, error: reason });
  });

  it('formats a URI back to text', () => {
    expect(formatUri(uri('sip:alice@Example.com:5070;lr?x=1'))).toBe('sip:alice@example.com:5070;lr?x=1');
    expect(formatUri(uri('tel:+123'))).toBe('tel:+123');
  });
});

describe('unescapeUserPart', () => {
  it('decodes escapes, keeping %00 as U+0000 and UTF-8 sequences whole', () => {
    expect(unescapeUserPart('sips%3Auser%40example.com')).toBe('sips:user@example.com');
    expect(unescapeUserPart('null-%00-null')).toBe('null-\u0000-null');
    expect(unescapeUserPart('%C3%A9t%C3%A9')).toBe('été');
    expect(unescapeUserPart('100%')).toBe('100%');
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp', true],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5', true],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5', true],
    ['sip:alice@atlanta.com', 'sip:ALICE@atlanta.com', false],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060', false],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp', false],
    ['sip:bob@biloxi.com', 'sips:bob@biloxi.com', false],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off', false],
    ['sip:carol@chicago.com?Subject=next%20meeting', 'sip:carol@chicago.com?subject=next meeting'.replace(' ', '%20'), true],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next', false],
  ])('%s vs %s → %s', (a, b, equal) => {
    expect(uriEquals(uri(a), uri(b))).toBe(equal);
  });
});

describe('addressOfRecord', () => {
  it('canonicalises to scheme:user@host without parameters or default port', () => {
    expect(addressOfRecord(uri('sip:%61lice@Example.COM:5060;transport=ws'))).toBe('sip:alice@example.com');
    expect(addressOfRecord(uri('sip:alice@example.com:5070'))).toBe('sip:alice@example.com:5070');
    expect(addressOfRecord(uri('sips:alice@example.com:5061'))).toBe('sips:alice@example.com');
  });
});
