/**
 * Requests the proxy builds towards a branch (src/proxy/requests.ts): `forwardCopy` is the copy of RFC 3261
 * §16.6 (new Request-URI, Max-Forwards decremented or 70 added, our Via on top, our Record-Route on top of any
 * other, our Route entries popped for in-dialog requests, the original left as it was); `viaValue` our Via for
 * a branch; `cancelFor` the CANCEL of §9.1 (same Request-URI, Call-ID, To, From and CSeq number, the method
 * CANCEL, the Route set, one Via equal to the INVITE's top one); `ackFor` the ACK for a non-2xx final response
 * of §17.1.1.3 (the same, with To from the response, tag and all). Expected values are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { ackFor, cancelFor, forwardCopy, viaValue } from '../../src/proxy/requests.js';
import { parseMessage } from '../../src/sip/parse.js';
import { serialize } from '../../src/sip/serialize.js';
import { validateRequest } from '../../src/sip/validate.js';
import { parseVia } from '../../src/sip/via.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const OUR_VIA = 'SIP/2.0/WS edge-sip.test;branch=z9hG4bK.fb1.0a.1';

/** An INVITE as a caller sent it, over WebSocket, through two other proxies. */
const CALLER_INVITE = 'INVITE sip:bob@edge-sip.test SIP/2.0\r\n'
  + 'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKcaller1;received=192.0.2.1\r\n'
  + 'Max-Forwards: 70\r\n'
  + 'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n'
  + 'Record-Route: <sip:p0.example.com;lr>\r\n'
  + 'From: "Alice" <sip:alice@edge-sip.test>;tag=a73kszlfl\r\n'
  + 'To: <sip:bob@edge-sip.test>\r\n'
  + 'Call-ID: 3848276298220188511@df7jal23ls0d.invalid\r\n'
  + 'CSeq: 314159 INVITE\r\n'
  + 'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws;ob>\r\n'
  + 'Proxy-Authorization: Digest username="alice", realm="edge-sip.test", nonce="n", uri="sip:bob@edge-sip.test", response="r"\r\n'
  + 'Content-Type: application/sdp\r\n'
  + `Content-Length: ${SDP.length}\r\n\r\n${SDP}`;

function parse<T extends SipRequest | SipResponse>(text: string): T {
  const m = parseMessage(text);
  if (!m.ok) throw new Error(m.error.reason);
  return m.value as T;
}

/** The INVITE as this proxy sent it to one branch: our Via on top of the caller's. */
const BRANCH_INVITE = CALLER_INVITE
  .replace('INVITE sip:bob@edge-sip.test SIP/2.0\r\n', `INVITE sip:bob@b7kd93.invalid;transport=ws SIP/2.0\r\nVia: ${OUR_VIA}\r\n`)
  .replace('Max-Forwards: 70', 'Max-Forwards: 69');

/** The callee's 486, To tag added. */
const BUSY = 'SIP/2.0 486 Busy Here\r\n'
  + `Via: ${OUR_VIA}\r\n`
  + 'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKcaller1;received=192.0.2.1\r\n'
  + 'From: "Alice" <sip:alice@edge-sip.test>;tag=a73kszlfl\r\n'
  + 'To: <sip:bob@edge-sip.test>;tag=8321234356\r\n'
  + 'Call-ID: 3848276298220188511@df7jal23ls0d.invalid\r\n'
  + 'CSeq: 314159 INVITE\r\n'
  + 'Content-Length: 0\r\n\r\n';

/** Header names and values in wire order. */
const lines = (r: SipRequest): string[] => r.headers.fields.map((f) => `${f.name.toLowerCase()}: ${f.value}`);

describe('viaValue (RFC 3261 §16.6 step 8)', () => {
  it('writes our sent-by for the flow\'s transport, with the branch', () => {
    expect(viaValue({ transport: 'WS', host: 'edge-sip.test' }, 'z9hG4bK.x')).toBe('SIP/2.0/WS edge-sip.test;branch=z9hG4bK.x');
    expect(viaValue({ transport: 'WSS', host: 'sip.example.com' }, 'z9hG4bK.y')).toBe('SIP/2.0/WSS sip.example.com;branch=z9hG4bK.y');
    expect(viaValue({ transport: 'UDP', host: '192.0.2.10:5060' }, 'z9hG4bK.z')).toBe('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK.z');
  });

  it('keeps an IPv6 bridge address in brackets, port apart, and it reads back', () => {
    const v = viaValue({ transport: 'UDP', host: '[2001:db8::1]:5060' }, 'z9hG4bK.6');
    expect(v).toBe('SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK.6');
    const p = parseVia(v);
    expect(p.ok && [p.value.host, p.value.port, p.value.params.get('branch')]).toEqual(['[2001:db8::1]', 5060, 'z9hG4bK.6']);
  });
});

describe('forwardCopy (RFC 3261 §16.6)', () => {
  const address = { transport: 'WS' as const, host: 'edge-sip.test' };
  const rr = ['<sip:edge-sip.test;transport=ws;lr;callee>', '<sip:edge-sip.test;transport=ws;lr;caller>'];

  it('retargets to the contact, decrements Max-Forwards and puts our Via and Record-Route on top', () => {
    const req = parse<SipRequest>(CALLER_INVITE);
    const copy = forwardCopy(req, 70, { uri: 'sip:bob@b7kd93.invalid;transport=ws', via: { address, branch: 'z9hG4bK.fb1.0a.1' }, recordRoute: rr });
    expect([copy.method, copy.uri, copy.version]).toEqual(['INVITE', 'sip:bob@b7kd93.invalid;transport=ws', 'SIP/2.0']);
    expect(copy.headers.get('max-forwards')).toBe('69');
    expect(copy.headers.values('via')).toEqual([OUR_VIA, 'SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKcaller1;received=192.0.2.1']);
    expect(copy.headers.values('record-route')).toEqual([...rr, '<sip:p0.example.com;lr>']);
    expect(copy.headers.values('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    for (const h of ['from', 'to', 'call-id', 'cseq', 'contact', 'proxy-authorization', 'content-type']) expect(copy.headers.get(h)).toBe(req.headers.get(h));
    expect(new TextDecoder().decode(copy.body)).toBe(SDP);
  });

  it('adds Max-Forwards: 70 to a request without one (§16.6 step 3)', () => {
    const req = parse<SipRequest>(CALLER_INVITE.replace('Max-Forwards: 70\r\n', ''));
    expect(forwardCopy(req, null, { uri: null, via: { address, branch: 'z9hG4bK.b' } }).headers.getAll('max-forwards')).toEqual(['70']);
  });

  it('keeps the Request-URI of an in-dialog request and pops our Route entries only', () => {
    const req = parse<SipRequest>(CALLER_INVITE.replace('INVITE sip:bob@edge-sip.test', 'INVITE sip:bob@b7kd93.invalid;transport=ws'));
    const one = forwardCopy(req, 70, { uri: null, via: { address, branch: 'z9hG4bK.c' }, popRoutes: 1 });
    expect(one.uri).toBe('sip:bob@b7kd93.invalid;transport=ws');
    expect(one.headers.values('route')).toEqual(['<sip:p2.example.com;lr>']);
    expect(forwardCopy(req, 70, { uri: null, via: { address, branch: 'z9hG4bK.d' }, popRoutes: 2 }).headers.has('route')).toBe(false);
    expect(forwardCopy(req, 70, { uri: null, via: { address, branch: 'z9hG4bK.e' } }).headers.values('record-route')).toEqual(['<sip:p0.example.com;lr>']);
  });

  it('leaves the original request as it was, so each branch gets its own copy', () => {
    const req = parse<SipRequest>(CALLER_INVITE);
    const before = lines(req);
    const a = forwardCopy(req, 70, { uri: 'sip:bob@one.invalid', via: { address, branch: 'z9hG4bK.1' }, recordRoute: rr, popRoutes: 1 });
    const b = forwardCopy(req, 70, { uri: 'sip:bob@two.invalid', via: { address, branch: 'z9hG4bK.2' }, recordRoute: rr });
    expect(lines(req)).toEqual(before);
    expect(req.uri).toBe('sip:bob@edge-sip.test');
    expect([a.headers.values('via')[0], b.headers.values('via')[0]]).toEqual(['SIP/2.0/WS edge-sip.test;branch=z9hG4bK.1', 'SIP/2.0/WS edge-sip.test;branch=z9hG4bK.2']);
    expect(b.headers.values('route')).toHaveLength(2);
  });

  it('forwards a copy that still passes the request checks', () => {
    const copy = forwardCopy(parse<SipRequest>(CALLER_INVITE), 70, { uri: 'sip:bob@b7kd93.invalid;transport=ws', via: { address, branch: 'z9hG4bK.f' }, recordRoute: rr });
    const v = validateRequest(parse<SipRequest>(new TextDecoder().decode(serialize(copy))));
    expect(v.ok && [v.value.maxForwards, v.value.vias.length, v.value.cseq.seq]).toEqual([69, 2, 314159]);
  });
});

describe('cancelFor (RFC 3261 §9.1)', () => {
  const invite = parse<SipRequest>(BRANCH_INVITE);

  it('keeps the Request-URI, Call-ID, From, To (no tag) and the CSeq number, with the method CANCEL', () => {
    const c = cancelFor(invite);
    expect([c.method, c.uri]).toEqual(['CANCEL', 'sip:bob@b7kd93.invalid;transport=ws']);
    expect(c.headers.get('call-id')).toBe('3848276298220188511@df7jal23ls0d.invalid');
    expect(c.headers.get('from')).toBe('"Alice" <sip:alice@edge-sip.test>;tag=a73kszlfl');
    expect(c.headers.get('to')).toBe('<sip:bob@edge-sip.test>');
    expect(c.headers.getAll('cseq')).toEqual(['314159 CANCEL']);
  });

  it('carries a single Via, equal to the top Via of the INVITE it cancels', () => {
    expect(cancelFor(invite).headers.values('via')).toEqual([OUR_VIA]);
    const joined = parse<SipRequest>(BRANCH_INVITE.replace(`Via: ${OUR_VIA}\r\nVia: `, `Via: ${OUR_VIA}, `));
    expect(cancelFor(joined).headers.values('via')).toEqual([OUR_VIA]);
  });

  it('includes the INVITE\'s Route set, and nothing of its body', () => {
    const c = cancelFor(invite);
    expect(c.headers.values('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(c.body.length).toBe(0);
    for (const h of ['contact', 'content-type', 'record-route', 'proxy-authorization']) expect(c.headers.has(h)).toBe(false);
  });

  it('reads headers the INVITE wrote in compact form', () => {
    const compact = parse<SipRequest>(BRANCH_INVITE.replace('From:', 'f:').replace('To:', 't:').replace('Call-ID:', 'i:').replace(`Via: ${OUR_VIA}`, `v: ${OUR_VIA}`));
    const c = cancelFor(compact);
    expect([c.headers.get('from'), c.headers.get('to'), c.headers.get('call-id'), c.headers.values('via')[0]])
      .toEqual(['"Alice" <sip:alice@edge-sip.test>;tag=a73kszlfl', '<sip:bob@edge-sip.test>', '3848276298220188511@df7jal23ls0d.invalid', OUR_VIA]);
  });

  it('is a request that passes the request checks', () => {
    const v = validateRequest(parse<SipRequest>(new TextDecoder().decode(serialize(cancelFor(invite)))));
    expect(v.ok && [v.value.cseq.method, v.value.cseq.seq, v.value.vias.length, v.value.maxForwards]).toEqual(['CANCEL', 314159, 1, 70]);
  });
});

describe('ackFor (RFC 3261 §17.1.1.3)', () => {
  const invite = parse<SipRequest>(BRANCH_INVITE);
  const busy = parse<SipResponse>(BUSY);

  it('takes To from the response, tag and all, and Call-ID, From and Request-URI from the INVITE', () => {
    const a = ackFor(invite, busy);
    expect([a.method, a.uri]).toEqual(['ACK', 'sip:bob@b7kd93.invalid;transport=ws']);
    expect(a.headers.getAll('to')).toEqual(['<sip:bob@edge-sip.test>;tag=8321234356']);
    expect(a.headers.get('from')).toBe('"Alice" <sip:alice@edge-sip.test>;tag=a73kszlfl');
    expect(a.headers.get('call-id')).toBe('3848276298220188511@df7jal23ls0d.invalid');
  });

  it('keeps the INVITE\'s CSeq number with the method ACK, and one Via: the INVITE\'s top one', () => {
    const a = ackFor(invite, busy);
    expect(a.headers.getAll('cseq')).toEqual(['314159 ACK']);
    expect(a.headers.values('via')).toEqual([OUR_VIA]);
  });

  it('copies the INVITE\'s Route header fields', () => {
    expect(ackFor(invite, busy).headers.values('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    const direct = parse<SipRequest>(BRANCH_INVITE.replace('Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n', ''));
    expect(ackFor(direct, busy).headers.has('route')).toBe(false);
  });

  it('reads the response\'s To in compact form', () => {
    expect(ackFor(invite, parse<SipResponse>(BUSY.replace('To:', 't:'))).headers.getAll('to')).toEqual(['<sip:bob@edge-sip.test>;tag=8321234356']);
  });

  it('is a request without a body that passes the request checks', () => {
    const a = ackFor(invite, busy);
    expect(a.body.length).toBe(0);
    const v = validateRequest(parse<SipRequest>(new TextDecoder().decode(serialize(a))));
    expect(v.ok && [v.value.cseq.method, v.value.to.params.get('tag'), v.value.vias.length]).toEqual(['ACK', '8321234356', 1]);
  });
});
