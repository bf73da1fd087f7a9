import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { validateRequest, validateResponse } from '../../src/sip/validate.js';
import { parseCSeq } from '../../src/sip/cseq.js';

const BASE: Record<string, string> = {
  Via: 'SIP/2.0/WSS a.invalid;branch=z9hG4bKaaa',
  From: '"Alice" <sip:alice@example.com>;tag=1',
  To: 'sip:bob@example.com',
  'Call-ID': 'c1',
  CSeq: '7 OPTIONS',
  'Max-Forwards': '70',
};

function parse(start: string, overrides: Record<string, string | readonly string[] | null> = {}): SipRequest | SipResponse {
  const lines = [start];
  for (const [name, value] of Object.entries({ ...BASE, ...overrides })) {
    if (value === null) continue;
    for (const v of typeof value === 'string' ? [value] : value) lines.push(`${name}: ${v}`);
  }
  const r = parseMessage(`${lines.join('\r\n')}\r\n\r\n`);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}
const options = (overrides: Record<string, string | readonly string[] | null> = {}, uri = 'sip:bob@example.com') =>
  parse(`OPTIONS ${uri} SIP/2.0`, overrides) as SipRequest;

describe('validateRequest', () => {
  it('returns the parsed essentials of a well-formed request', () => {
    const v = validateRequest(options({ Via: ['SIP/2.0/WSS a.invalid;branch=z9hG4bKaaa', 'SIP/2.0/UDP b, SIP/2.0/TCP c'] }));
    if (!v.ok) throw new Error(v.error.reason);
    expect(v.value.vias.map((x) => x.host)).toEqual(['a.invalid', 'b', 'c']);
    expect([v.value.from.displayName, v.value.to.uri.user, v.value.callId, v.value.cseq.seq, v.value.maxForwards, v.value.requestUri.host]).toEqual(['Alice', 'bob', 'c1', 7, 70, 'example.com']);
  });

  it('accepts an RFC 2543 request without Max-Forwards', () => {
    const v = validateRequest(options({ 'Max-Forwards': null }));
    expect(v.ok && v.value.maxForwards).toBe(null);
  });

  it('refuses a repeated single-valued header even when the values are identical (each repeat would be work)', () => {
    const r = validateRequest(options({ 'Call-ID': ['c1', 'c1'] }));
    expect(!r.ok && [r.error.status, r.error.reason]).toEqual([400, 'Multiple Call-ID values']);
    const t = validateRequest(options({ To: Array.from({ length: 500 }, () => 'sip:a@x') }));
    expect(!t.ok && t.error.reason).toBe('Multiple To values');
  });

  it.each([
    ['Missing Call-ID', { 'Call-ID': null }, undefined],
    ['Missing From', { From: null }, undefined],
    ['Missing To', { To: null }, undefined],
    ['Missing CSeq', { CSeq: null }, undefined],
    ['Missing Via', { Via: null }, undefined],
    ['Multiple To values', { To: ['sip:a@x', 'sip:b@x'] }, undefined],
    ['Multiple CSeq values', { CSeq: ['7 OPTIONS', '8 OPTIONS'] }, undefined],
    ['CSeq method does not match the Request-Line', { CSeq: '7 INVITE' }, undefined],
    ['Malformed CSeq: CSeq number exceeds 2^32-1', { CSeq: '4294967296 OPTIONS' }, undefined],
    ['Invalid Max-Forwards', { 'Max-Forwards': '256' }, undefined],
    ['Invalid Max-Forwards', { 'Max-Forwards': 'ten' }, undefined],
    ['Malformed Via: empty entry', { Via: 'SIP/2.0/UDP a;branch=z9hG4bK1,,' }, undefined],
    ['Malformed Via: Missing space before Via sent-by', { Via: 'SIP/2.0/UDP' }, undefined],
    ['Malformed From: Unterminated quoted display name', { From: '"Alice <sip:a@x>' }, undefined],
    ['Malformed Request-URI: Character \'<\' not allowed in URI', {}, '<sip:bob@example.com>'],
    ['Malformed Request-URI: IPv6 address must be enclosed in [ ]', {}, 'sip:2001:db8::10'],
    ['Request-URI must not carry headers', {}, 'sip:bob@example.com?Route=x'],
  ] as const)('answers 400 %j', (reason, overrides, uri) => {
    const v = validateRequest(options(overrides, uri));
    expect(!v.ok && [v.error.status, v.error.reason]).toEqual([400, reason]);
  });

  it('answers 400 to whitespace inside the Request-URI', () => {
    const v = validateRequest(options({}, 'sip:bob@example.com; lr'));
    expect(!v.ok && v.error.reason).toBe('Malformed Request-URI: Whitespace or control character in URI');
  });
});

describe('validateResponse', () => {
  it('returns Via, CSeq and Call-ID of a well-formed response', () => {
    const v = validateResponse(parse('SIP/2.0 200 OK') as SipResponse);
    expect(v.ok && [v.value.vias.length, v.value.cseq.method, v.value.callId]).toEqual([1, 'OPTIONS', 'c1']);
  });
  it('drops a response whose CSeq is out of range, with a reason', () => {
    expect(validateResponse(parse('SIP/2.0 503 Service Unavailable', { CSeq: '9292394834772304023312 OPTIONS' }) as SipResponse)).toEqual({
      ok: false, error: 'Malformed CSeq: CSeq number exceeds 2^32-1',
    });
  });
});

describe('parseCSeq', () => {
  it('reads leading zeros, folded LWS and the 2^32-1 limit (RFC 3261 §8.1.1.5)', () => {
    expect(parseCSeq('0009  INVITE')).toEqual({ ok: true, value: { seq: 9, method: 'INVITE' } });
    expect(parseCSeq('4294967295 ACK')).toEqual({ ok: true, value: { seq: 4294967295, method: 'ACK' } });
    expect(parseCSeq('INVITE').ok).toBe(false);
    expect(parseCSeq('1').ok).toBe(false);
    expect(parseCSeq('1 IN VITE').ok).toBe(false);
  });
});
