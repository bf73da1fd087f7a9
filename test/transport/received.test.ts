/**
 * Via `received` and `rport` on an incoming request (src/transport/received.ts): the top Via always gets
 * `received` with the peer's address as the edge saw it (RFC 3261 §18.2.1; WebSocket clients write `.invalid`
 * or private hosts), overwriting whatever the client claimed; `rport` is filled with the source port only when
 * the client asked for it and the port is known, which is the case for bridged UDP devices only (RFC 3581 §4;
 * Workers do not expose a WebSocket client's TCP port). IPv6 addresses go into `received` bare, as RFC 3261's
 * `via-received` grammar has them. The other Via entries are left as they were.
 */
import { describe, expect, it } from 'vitest';
import { stampReceived } from '../../src/transport/received.js';
import type { Flow } from '../../src/transport/flow.js';
import { parseMessage } from '../../src/sip/parse.js';
import { parseVia, type Via } from '../../src/sip/via.js';
import type { SipRequest } from '../../src/sip/message.js';

const WS: Flow = { id: 'f-ws', transport: 'WSS', remoteIp: '203.0.113.7', remotePort: null, advertise: null, connectedAt: 0 };
const UDP: Flow = { id: 'f-udp', transport: 'UDP', remoteIp: '198.51.100.9', remotePort: 40_312, advertise: '192.0.2.1:5060', connectedAt: 0 };

/** A REGISTER whose Via lines are `vias`, parsed as the flow would get it. */
function request(vias: string[]): SipRequest {
  const text = `REGISTER sip:edge-sip.test SIP/2.0\r\n${vias.map((v) => `${v}\r\n`).join('')}Max-Forwards: 70\r\n`
    + 'From: <sip:alice@edge-sip.test>;tag=r1\r\nTo: <sip:alice@edge-sip.test>\r\nCall-ID: rcv-1\r\nCSeq: 1 REGISTER\r\n'
    + 'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\nContent-Length: 0\r\n\r\n';
  const m = parseMessage(text);
  if (!m.ok || m.value.type !== 'request') throw new Error('bad fixture');
  return m.value;
}

/** Stamp the top Via of `req` as the flow does; the top Via as it now reads. */
function stamp(req: SipRequest, flow: Flow): Via {
  const top = parseVia(req.headers.values('via')[0]!);
  if (!top.ok) throw new Error(top.error);
  stampReceived(req, top.value, flow);
  const stamped = parseVia(req.headers.values('via')[0]!);
  if (!stamped.ok) throw new Error(stamped.error);
  return stamped.value;
}

/** The parameters of the request's top Via as it now reads. */
function topParams(req: SipRequest): Record<string, string | null> {
  const v = parseVia(req.headers.values('via')[0]!);
  if (!v.ok) throw new Error(v.error);
  return Object.fromEntries(v.value.params);
}

describe('stampReceived: received (RFC 3261 §18.2.1)', () => {
  it('adds received with the peer\'s address to a WebSocket client\'s .invalid sent-by', () => {
    const req = request(['Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7']);
    const stamped = stamp(req, WS);
    expect(req.headers.values('via')).toEqual(['SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;received=203.0.113.7']);
    expect(Object.fromEntries(stamped.params)).toEqual({ branch: 'z9hG4bKnashds7', received: '203.0.113.7' });
    expect([stamped.transport, stamped.host, stamped.port]).toEqual(['WSS', 'df7jal23ls0d.invalid', null]);
  });

  it('adds received even when the sent-by is the peer\'s own address', () => {
    const req = request(['Via: SIP/2.0/UDP 198.51.100.9:40312;branch=z9hG4bK1']);
    stamp(req, UDP);
    expect(topParams(req)).toEqual({ branch: 'z9hG4bK1', received: '198.51.100.9' });
  });

  it('replaces a received the client wrote itself', () => {
    const req = request(['Via: SIP/2.0/WS a.invalid;received=10.9.8.7;branch=z9hG4bK2']);
    stamp(req, WS);
    expect(topParams(req)).toEqual({ received: '203.0.113.7', branch: 'z9hG4bK2' });
  });

  it('writes an IPv6 peer bare, as via-received = IPv6address (RFC 3261 §25.1), and it reads back', () => {
    const req = request(['Via: SIP/2.0/WS [2001:db8::5]:5062;branch=z9hG4bK3']);
    const stamped = stamp(req, { ...WS, remoteIp: '2001:db8::9:255' });
    expect(req.headers.values('via')).toEqual(['SIP/2.0/WS [2001:db8::5]:5062;branch=z9hG4bK3;received=2001:db8::9:255']);
    expect(stamped.params.get('received')).toBe('2001:db8::9:255');
    expect(topParams(req).received).toBe('2001:db8::9:255');
  });
});

describe('stampReceived: rport (RFC 3581 §4)', () => {
  it('fills an empty rport with the device\'s UDP source port on a bridged flow', () => {
    const req = request(['Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK4']);
    const stamped = stamp(req, UDP);
    expect(topParams(req)).toEqual({ rport: '40312', branch: 'z9hG4bK4', received: '198.51.100.9' });
    expect(stamped.params.get('rport')).toBe('40312');
  });

  it('overwrites a port the client put in rport with the real one', () => {
    const req = request(['Via: SIP/2.0/UDP 192.168.1.64:5060;rport=5060;branch=z9hG4bK5']);
    stamp(req, UDP);
    expect(topParams(req).rport).toBe('40312');
  });

  it('adds no rport when the device did not ask for one', () => {
    const req = request(['Via: SIP/2.0/UDP 192.168.1.64:5060;branch=z9hG4bK6']);
    stamp(req, UDP);
    expect(topParams(req)).toEqual({ branch: 'z9hG4bK6', received: '198.51.100.9' });
  });

  it('leaves rport empty on a WebSocket flow, whose source port is unknown', () => {
    const req = request(['Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7;rport']);
    stamp(req, WS);
    expect(topParams(req)).toEqual({ branch: 'z9hG4bK7', rport: null, received: '203.0.113.7' });
  });

  it('fills rport for a bridged IPv6 device', () => {
    const req = request(['Via: SIP/2.0/UDP [fe80::1]:5060;rport;branch=z9hG4bK8']);
    stamp(req, { ...UDP, remoteIp: '2001:db8::64', remotePort: 5061 });
    expect(topParams(req)).toEqual({ rport: '5061', branch: 'z9hG4bK8', received: '2001:db8::64' });
  });
});

describe('stampReceived: the other Via entries', () => {
  it('stamps only the top Via, which stays on top, and leaves the ones below untouched', () => {
    const req = request(['Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK9', 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKold;rport']);
    stamp(req, UDP);
    const vias = req.headers.values('via');
    expect(vias).toHaveLength(2);
    expect(topParams(req)).toEqual({ rport: '40312', branch: 'z9hG4bK9', received: '198.51.100.9' });
    expect(vias[1]).toBe('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKold;rport');
  });

  it('splits a comma-joined Via line and keeps the rest of it in order', () => {
    const req = request(['Via: SIP/2.0/WS a.invalid;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKc']);
    stamp(req, WS);
    expect(req.headers.values('via')).toEqual([
      'SIP/2.0/WS a.invalid;branch=z9hG4bKa;received=203.0.113.7',
      'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb',
      'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKc',
    ]);
  });

  it('stamps a Via written in compact form (v:) and keeps the Via lines before the other headers', () => {
    const req = request(['v: SIP/2.0/WS a.invalid;branch=z9hG4bKd']);
    stamp(req, WS);
    expect(req.headers.values('via')).toEqual(['SIP/2.0/WS a.invalid;branch=z9hG4bKd;received=203.0.113.7']);
    expect(req.headers.fields.findIndex((f) => f.key === 'via')).toBe(0);
    expect(req.headers.count('via')).toBe(1);
  });
});
