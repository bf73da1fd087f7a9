import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipRequest } from '../../src/sip/message.js';
import { createResponse, deterministicTag, errorResponse, rawParam } from '../../src/sip/response.js';
import { SipError } from '../../src/sip/errors.js';
import { reasonPhrase } from '../../src/sip/status.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';

function request(to = 'Bob <sip:bob@example.com>'): SipRequest {
  const r = parseMessage([
    'INVITE sip:bob@example.com SIP/2.0',
    'v: SIP/2.0/WSS a.invalid;branch=z9hG4bKaaa',
    'Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKbbb',
    'f: <sip:alice@example.com>;tag=1928',
    `t: ${to}`,
    'i: call-1',
    'CSeq: 314159 INVITE',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '', '',
  ].join('\r\n'));
  if (!r.ok || r.value.type !== 'request') throw new Error('fixture');
  return r.value;
}

describe('createResponse', () => {
  it('copies every Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2) and nothing else', () => {
    const res = createResponse(request(), 180);
    expect(res.headers.getAll('via')).toEqual(['SIP/2.0/WSS a.invalid;branch=z9hG4bKaaa', 'SIP/2.0/UDP p.example.com;branch=z9hG4bKbbb']);
    expect([res.headers.get('from'), res.headers.get('call-id'), res.headers.get('cseq')]).toEqual(['<sip:alice@example.com>;tag=1928', 'call-1', '314159 INVITE']);
    expect(res.headers.has('max-forwards')).toBe(false);
    expect([res.status, res.reason]).toEqual([180, 'Ringing']);
  });

  it('adds the same deterministic To tag to every response of a retransmitted request', () => {
    const a = parseNameAddr(createResponse(request(), 200).headers.get('to')!);
    const b = parseNameAddr(createResponse(request(), 486).headers.get('to')!);
    expect(a.ok && a.value.params.get('tag')).toMatch(/^[0-9a-f]{16}$/);
    expect(a.ok && b.ok && a.value.params.get('tag') === b.value.params.get('tag')).toBe(true);
  });

  it('uses the given To tag, keeps an existing one, and adds none to 100 Trying', () => {
    expect(createResponse(request(), 200, { toTag: 'xyz' }).headers.get('to')).toBe('Bob <sip:bob@example.com>;tag=xyz');
    expect(createResponse(request('<sip:bob@example.com>;tag=old'), 200).headers.get('to')).toBe('<sip:bob@example.com>;tag=old');
    expect(createResponse(request(), 100).headers.get('to')).toBe('Bob <sip:bob@example.com>');
  });

  it('appends extra headers, a body with its Content-Type, and a matching Content-Length', () => {
    const res = createResponse(request(), 200, { reason: 'Fine', headers: [['Expires', '60']], body: 'hé', contentType: 'text/plain' });
    expect(res.reason).toBe('Fine');
    expect([res.headers.get('expires'), res.headers.get('content-type'), res.headers.get('content-length')]).toEqual(['60', 'text/plain', '3']);
    expect(res.body.length).toBe(3);
  });
});

describe('deterministicTag and rawParam', () => {
  it('hash Call-ID | From tag | top Via branch (FNV-1a, two seeds)', () => {
    // The value the tag had when it was fnv1aHex of the joined key: a retransmission keeps its tag across versions.
    expect(deterministicTag(request())).toBe(`${fnv('call-1|1928|z9hG4bKaaa', 0x811c9dc5)}${fnv('call-1|1928|z9hG4bKaaa', 0x050c5d1f)}`);
  });

  it('find what /;\\s*name\\s*=\\s*([^;,\\s]+)/i finds', () => {
    const alphabet = [';', ' ', '\t', '=', 't', 'a', 'g', 'T', ',', 'x', '\u00a0', '"'];
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let n = i % 11; n > 0; n--) s += alphabet[Math.floor(Math.random() * alphabet.length)];
      expect(rawParam(s, 'tag'), JSON.stringify(s)).toBe(/;\s*tag\s*=\s*([^;,\s]+)/i.exec(s)?.[1] ?? '');
    }
    expect(rawParam('<sip:a@b>; TAG = xyz ;foo', 'tag')).toBe('xyz');
    expect(rawParam('x;tagx=1;tag=2', 'tag')).toBe('2');
    expect(rawParam(undefined, 'tag')).toBe('');
  });
});

/** FNV-1a of a string, as the tag's two halves are computed. */
function fnv(s: string, seed: number): string {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul((h ^ s.charCodeAt(i)) >>> 0, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

describe('errorResponse', () => {
  it('answers a SipError with its status, reason and headers', () => {
    const res = errorResponse(request(), new SipError(423, undefined, [['Min-Expires', '60']]));
    expect([res.status, res.reason, res.headers.get('min-expires')]).toEqual([423, 'Interval Too Brief', '60']);
  });
});

describe('reasonPhrase and SipError', () => {
  it.each([[100, 'Trying'], [199, 'Early Dialog Terminated'], [429, 'Provide Referrer Identity'], [439, 'First Hop Lacks Outbound Support'], [608, 'Rejected'], [299, 'Success']])(
    'names %i %s', (code, phrase) => expect(reasonPhrase(code)).toBe(phrase),
  );
  it('defaults the SipError reason to the status phrase', () => {
    const e = new SipError(405, undefined, [['Allow', 'REGISTER']]);
    expect([e.status, e.reason, e.message, e instanceof Error]).toEqual([405, 'Method Not Allowed', '405 Method Not Allowed', true]);
  });
});
