import { describe, expect, it } from 'vitest';
import { formatVia, parseVia, viaBranch } from '../../src/sip/via.js';

describe('parseVia', () => {
  it('reads protocol, transport, host, port and parameters', () => {
    const r = parseVia('SIP/2.0/wss Df7jal23ls0d.invalid:443;branch=z9hG4bK776;rport;received=192.0.2.1');
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toMatchObject({ protocol: 'SIP/2.0', transport: 'WSS', host: 'df7jal23ls0d.invalid', port: 443 });
    expect(viaBranch(r.value)).toBe('z9hG4bK776');
    expect(r.value.params.get('rport')).toBe(null);
  });

  it('tolerates LWS around slashes, colon and parameters (RFC 4475 wsinv)', () => {
    const r = parseVia('SIP  /   2.0 /UDP    192.0.2.2 : 5060 ;branch = 390skdjuw');
    expect(r.ok && [r.value.transport, r.value.host, r.value.port, viaBranch(r.value)]).toEqual(['UDP', '192.0.2.2', 5060, '390skdjuw']);
  });

  it('reads IPv6 sent-by and received with or without brackets (RFC 5118 §4.5)', () => {
    const a = parseVia('SIP/2.0/UDP [2001:db8::9:1]:5070;received=2001:db8::9:255;branch=z9hG4bKas3');
    expect(a.ok && [a.value.host, a.value.port, a.value.params.get('received'), viaBranch(a.value)]).toEqual([
      '[2001:db8::9:1]', 5070, '2001:db8::9:255', 'z9hG4bKas3',
    ]);
    const b = parseVia('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255]');
    expect(b.ok && b.value.params.get('received')).toBe('[2001:db8::9:255]');
  });

  it.each([
    ['SIP/2.0/UDP', 'Missing space before Via sent-by'],
    ['SIP/2.0 host', 'Malformed Via sent-protocol'],
    ['SIP/2.0/UDP 192.0.2.15;;', 'Bad Via parameters: Empty parameter name'],
    ['SIP/2.0/UDP 2001:db8::1', 'Bad Via sent-by: IPv6 address must be enclosed in [ ]'],
    ['SIP/2.0/UDP host:99999', 'Bad Via sent-by: Port 99999 out of range'],
  ])('rejects %j', (text, reason) => {
    expect(parseVia(text)).toEqual({ ok: false, error: reason });
  });

  it('returns null for a Via without branch (RFC 2543)', () => {
    const r = parseVia('SIP/2.0/UDP iftgw.example.com');
    expect(r.ok && viaBranch(r.value)).toBe(null);
  });

  it('formats a Via back to text', () => {
    const r = parseVia('SIP / 2.0 / ws  h.invalid ;branch=z9hG4bK1;rport=5');
    expect(r.ok && formatVia(r.value)).toBe('SIP/2.0/WS h.invalid;branch=z9hG4bK1;rport=5');
  });
});
