/**
 * GET /sip: the upgrade rules and the udp-bridge's trusted source address.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/http/sip-ws.js';
import { SipTestClient } from '../support/sip-client.js';

async function upgrade(headers: Record<string, string>): Promise<Response> {
  return exports.default.fetch('http://edge/sip', { headers: { Upgrade: 'websocket', ...headers } });
}

const OPTIONS =
  'OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.64:5060;branch=z9hG4bKb1;rport\r\nMax-Forwards: 70\r\n' +
  'From: <sip:cam@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: b1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('GET /sip', () => {
  it('refuses an upgrade that does not offer the sip subprotocol, saying why', async () => {
    const res = await upgrade({ 'Sec-WebSocket-Protocol': 'chat, superchat' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('"sip"');
  });

  it('accepts "sip" among several offered subprotocols and echoes only it', async () => {
    const res = await upgrade({ 'Sec-WebSocket-Protocol': 'chat, sip' });
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-protocol')).toBe('sip');
    res.webSocket!.accept();
    res.webSocket!.close();
  });

  it('takes the device address from an authenticated bridge for Via received/rport', async () => {
    const res = await upgrade({ 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': '203.0.113.7:40122' });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    const c = new SipTestClient(res.webSocket!);
    const ok = await c.request(OPTIONS);
    expect(ok.headers.get('via')).toBe('SIP/2.0/UDP 192.168.1.64:5060;branch=z9hG4bKb1;rport=40122;received=203.0.113.7');
    c.close();
  });

  it('refuses a wrong bridge token, and ignores a forwarded address without one', async () => {
    const wrong = await upgrade({ 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer guess', 'x-bridge-source': '203.0.113.7:40122' });
    expect(wrong.status).toBe(401);
    const plain = await upgrade({ 'Sec-WebSocket-Protocol': 'sip', 'x-bridge-source': '203.0.113.7:40122', 'x-edge-flow-ip': '198.51.100.1' });
    plain.webSocket!.accept();
    const c = new SipTestClient(plain.webSocket!);
    const via = (await c.request(OPTIONS)).headers.get('via')!;
    expect(via).not.toContain('203.0.113.7');
    expect(via).not.toContain('198.51.100.1');
    c.close();
  });
});

describe('parseSource', () => {
  it('reads IPv4 and bracketed IPv6 addresses with a port', () => {
    expect(parseSource('192.0.2.1:5060')).toEqual({ ip: '192.0.2.1', port: 5060 });
    expect(parseSource('[2001:db8::1]:5062')).toEqual({ ip: '2001:db8::1', port: 5062 });
    expect(parseSource('2001:db8::1:5062')).toBeNull();
    expect(parseSource('192.0.2.1:0')).toBeNull();
    expect(parseSource('host:5060')).toBeNull();
  });
});
