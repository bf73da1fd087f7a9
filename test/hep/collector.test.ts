/**
 * The Worker's HEP collector setting and the packet of a traced message.
 */
import { describe, expect, it } from 'vitest';
import { decodeHep3 } from '../../src/hep/hep3.js';
import { hepCollector, hepOfTrace } from '../../src/hep/collector.js';
import type { TraceMessage } from '../../src/trace/record.js';

const msg: TraceMessage = { seq: 1, time: 1_700_000_000_000, direction: 'in', flowId: 'f', transport: 'udp', peer: '192.0.2.7:5062', aor: 'sip:b@x', method: 'REGISTER', callId: 'c', cseq: '1 REGISTER', text: 'REGISTER sip:x SIP/2.0\r\n\r\n' };

describe('hepCollector', () => {
  it('is off unless HEP_COLLECTOR names host:port (tcp: allowed), and reads the capture id and key', () => {
    expect(hepCollector({})).toBeNull();
    expect(hepCollector({ HEP_COLLECTOR: 'udp:1.2.3.4:9060' })).toBeNull();
    expect(hepCollector({ HEP_COLLECTOR: 'homer.example:0' })).toBeNull();
    expect(hepCollector({ HEP_COLLECTOR: 'homer.example:9061' })).toEqual({ hostname: 'homer.example', port: 9061, captureId: null, authKey: null });
    expect(hepCollector({ HEP_COLLECTOR: 'tcp:[2001:db8::1]:9060', HEP_CAPTURE_ID: '7', HEP_AUTH_KEY: 'k' })).toEqual({ hostname: '2001:db8::1', port: 9060, captureId: 7, authKey: 'k' });
    expect(hepCollector({ HEP_COLLECTOR: 'h:1', HEP_CAPTURE_ID: 'x' })!.captureId).toBeNull();
  });
});

describe('hepOfTrace', () => {
  const c = { hostname: 'h', port: 1, captureId: 9, authKey: null };
  it('puts the peer at its address, the service at the unspecified one, UDP for a bridged device', () => {
    const d = decodeHep3(hepOfTrace(msg, c)!);
    expect(d.ok && d.value.packet).toMatchObject({ srcIp: '192.0.2.7', srcPort: 5062, dstIp: '0.0.0.0', dstPort: 0, protocol: 17, time: msg.time, captureId: 9 });
  });

  it('sends a WebSocket message as TCP, towards the peer when it goes out, and an unknown peer as 0.0.0.0', () => {
    const out = decodeHep3(hepOfTrace({ ...msg, direction: 'out', transport: 'ws', peer: 'ws' }, c)!);
    expect(out.ok && out.value.packet).toMatchObject({ srcIp: '0.0.0.0', dstIp: '0.0.0.0', protocol: 6 });
    const v6 = decodeHep3(hepOfTrace({ ...msg, peer: '[2001:db8::5]:5060' }, c)!);
    expect(v6.ok && v6.value.packet).toMatchObject({ family: 'IPv6', srcIp: '2001:db8:0:0:0:0:0:5', srcPort: 5060, dstIp: '0:0:0:0:0:0:0:0' });
  });
});
