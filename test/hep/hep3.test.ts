/**
 * HEPv3 encoding (sipcapture/hep): the packet layout a collector reads, and the decoder the tests use as a
 * receiver.
 */
import { describe, expect, it } from 'vitest';
import { decodeHep3, encodeHep3, HEP_CHUNK, HEP_MAX_BYTES, ipv6Octets, type HepPacket } from '../../src/hep/hep3.js';

const SIP = new TextEncoder().encode('OPTIONS sip:edge-sip.test SIP/2.0\r\nCall-ID: x\r\n\r\n');
const base: HepPacket = {
  family: 'IPv4', protocol: 17, srcIp: '192.0.2.10', dstIp: '198.51.100.1', srcPort: 5062, dstPort: 5060,
  time: 1_700_000_000_123, protoType: 1, captureId: 2001, authKey: 'myHep', payload: SIP,
};

/** The (vendor, type, value) chunks of an encoded packet, read by hand from the wire layout. */
function chunks(b: Uint8Array): Array<[number, number, Uint8Array]> {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Array<[number, number, Uint8Array]> = [];
  for (let at = 6; at < b.length; at += v.getUint16(at + 4)) out.push([v.getUint16(at), v.getUint16(at + 2), b.subarray(at + 6, at + v.getUint16(at + 4))]);
  return out;
}

describe('encodeHep3', () => {
  it('writes "HEP3", the total length, and vendor-0 chunks 1–12, 14 and 15 with their values', () => {
    const b = encodeHep3(base)!;
    expect(new TextDecoder().decode(b.subarray(0, 4))).toBe('HEP3');
    expect(new DataView(b.buffer).getUint16(4)).toBe(b.length);
    const c = new Map(chunks(b).map(([vendor, type, value]) => {
      expect(vendor).toBe(0);
      return [type, value];
    }));
    expect([...c.keys()]).toEqual([1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 14, 15]);
    expect([...c.get(HEP_CHUNK.family)!]).toEqual([2]);
    expect([...c.get(HEP_CHUNK.protocol)!]).toEqual([17]);
    expect([...c.get(HEP_CHUNK.srcIp4)!]).toEqual([192, 0, 2, 10]);
    expect([...c.get(HEP_CHUNK.dstIp4)!]).toEqual([198, 51, 100, 1]);
    expect([...c.get(HEP_CHUNK.srcPort)!]).toEqual([0x13, 0xc6]);
    expect(new DataView(c.get(HEP_CHUNK.timeSec)!.slice().buffer).getUint32(0)).toBe(1_700_000_000);
    expect(new DataView(c.get(HEP_CHUNK.timeUsec)!.slice().buffer).getUint32(0)).toBe(123_000);
    expect([...c.get(HEP_CHUNK.protoType)!]).toEqual([1]);
    expect(new TextDecoder().decode(c.get(HEP_CHUNK.authKey))).toBe('myHep');
    expect(c.get(HEP_CHUNK.payload)).toEqual(SIP);
  });

  it('leaves out the capture id and auth key when unset', () => {
    const types = chunks(encodeHep3({ ...base, captureId: null, authKey: null })!).map(([, t]) => t);
    expect(types).not.toContain(HEP_CHUNK.captureId);
    expect(types).not.toContain(HEP_CHUNK.authKey);
  });

  it('uses chunks 5 and 6 (16 octets) for IPv6, and AF_INET6 = 10', () => {
    const b = encodeHep3({ ...base, family: 'IPv6', srcIp: '2001:db8::1', dstIp: '[::ffff:192.0.2.1]' })!;
    const c = new Map(chunks(b).map(([, t, v]) => [t, v]));
    expect([...c.get(HEP_CHUNK.family)!]).toEqual([10]);
    expect(c.get(HEP_CHUNK.srcIp6)).toEqual(Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    expect(c.get(HEP_CHUNK.dstIp6)).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1));
  });

  it('sends an address that is not an IP literal as the unspecified address', () => {
    const c = new Map(chunks(encodeHep3({ ...base, srcIp: 'edge-sip.test' })!).map(([, t, v]) => [t, v]));
    expect([...c.get(HEP_CHUNK.srcIp4)!]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a packet past the 16-bit length', () => {
    expect(encodeHep3({ ...base, payload: new Uint8Array(HEP_MAX_BYTES) })).toBeNull();
  });
});

describe('ipv6Octets', () => {
  it('reads the RFC 4291 text forms and refuses others', () => {
    expect(ipv6Octets('::')).toEqual(new Uint8Array(16));
    expect(ipv6Octets('1:2:3:4:5:6:7:8')![15]).toBe(8);
    expect(ipv6Octets('fe80::1%eth0')![0]).toBe(0xfe);
    expect(ipv6Octets('1::2::3')).toBeNull();
    expect(ipv6Octets('1:2:3')).toBeNull();
    expect(ipv6Octets('12345::')).toBeNull();
  });
});

describe('decodeHep3', () => {
  it('reads back what was encoded, and its length', () => {
    const b = encodeHep3(base)!;
    const d = decodeHep3(b);
    expect(d.ok && d.value.length).toBe(b.length);
    expect(d.ok && d.value.packet).toEqual(base);
  });

  it('reads two packets from one TCP stream one after the other', () => {
    const a = encodeHep3(base)!;
    const b = encodeHep3({ ...base, srcPort: 1, family: 'IPv6', srcIp: '2001:db8:0:0:0:0:0:1', dstIp: '::1' })!;
    const stream = new Uint8Array([...a, ...b]);
    const first = decodeHep3(stream);
    if (!first.ok) throw new Error(first.error);
    const second = decodeHep3(stream.subarray(first.value.length));
    expect(second.ok && second.value.packet.srcPort).toBe(1);
    expect(second.ok && second.value.packet.srcIp).toBe('2001:db8:0:0:0:0:0:1');
  });

  it('gives a reason for what is not HEPv3', () => {
    const b = encodeHep3(base)!;
    expect(decodeHep3(new TextEncoder().encode('HEP2xxxxxx'))).toEqual({ ok: false, error: 'no "HEP3" magic' });
    expect(decodeHep3(b.subarray(0, 3)).ok).toBe(false);
    expect(decodeHep3(b.subarray(0, b.length - 1)).ok).toBe(false);
    const broken = b.slice();
    new DataView(broken.buffer).setUint16(10, 2); // first chunk's length below its own header
    expect(decodeHep3(broken).ok).toBe(false);
  });
});
