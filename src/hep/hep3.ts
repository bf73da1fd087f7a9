/**
 * HEPv3 (the Homer Encapsulation Protocol, sipcapture/hep): one captured SIP message in a "HEP3" packet of
 * typed chunks, the format Homer, heplify-server and sngrep (`-L`) receive. Pure: encoder and decoder shared by
 * the udp-bridge (UDP) and the Worker (TCP, where packets are simply concatenated: each names its length).
 * @module
 */
import type { Result } from '../sip/message.js';

/** One captured packet. */
export interface HepPacket {
  /** Address family of `srcIp`/`dstIp`. */
  family: 'IPv4' | 'IPv6';
  /** IP protocol the message travelled over: 17 UDP, 6 TCP (a WebSocket). */
  protocol: 6 | 17;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** Capture time, Unix ms (encoded as seconds and microseconds). */
  time: number;
  /** Payload type: 1 = SIP. */
  protoType: number;
  /** Capture agent id (`HEP_CAPTURE_ID`), or null. */
  captureId: number | null;
  /** Shared key the collector checks (`HEP_AUTH_KEY`), or null. */
  authKey: string | null;
  /** The captured message. */
  payload: Uint8Array;
}

/** Chunk types of vendor 0 (generic), HEPv3 §"Chunk types". */
export const HEP_CHUNK = {
  family: 1, protocol: 2, srcIp4: 3, dstIp4: 4, srcIp6: 5, dstIp6: 6, srcPort: 7, dstPort: 8,
  timeSec: 9, timeUsec: 10, protoType: 11, captureId: 12, authKey: 14, payload: 15,
} as const;

/** HEPv3 address family values (AF_INET, AF_INET6). */
const AF_INET = 2;
const AF_INET6 = 10;
const MAGIC = [0x48, 0x45, 0x50, 0x33]; // "HEP3"
/** A packet's length field is 16 bits. */
export const HEP_MAX_BYTES = 65_535;
/** Payload type of SIP. */
export const HEP_SIP = 1;

/** `a.b.c.d` as 4 octets, or null. */
export function ipv4Octets(ip: string): Uint8Array | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

/** An IPv6 address (RFC 4291 §2.2 text forms, brackets allowed) as 16 octets, or null. */
export function ipv6Octets(ip: string): Uint8Array | null {
  let text = ip.replace(/^\[|\]$/g, '').split('%')[0]!;
  const out = new Uint8Array(16);
  // A trailing dotted quad (::ffff:192.0.2.1) is two 16-bit groups.
  const cut = text.lastIndexOf(':');
  if (text.includes('.') && cut >= 0) {
    const o = ipv4Octets(text.slice(cut + 1));
    if (!o) return null;
    text = `${text.slice(0, cut + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const words = [...head, ...rest];
  if (!words.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return null;
  const total = words.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const values = [...head.map((w) => parseInt(w, 16)), ...Array(8 - total).fill(0), ...rest.map((w) => parseInt(w, 16))];
  values.forEach((v, i) => {
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return words.join(':');
}

/**
 * Encode a packet. Addresses that do not parse as the family's are sent as the unspecified address (a
 * WebSocket peer seen only by name). Null when the packet would pass the 16-bit length.
 */
export function encodeHep3(p: HepPacket): Uint8Array | null {
  const enc = new TextEncoder();
  const v6 = p.family === 'IPv6';
  const addr = (ip: string) => (v6 ? ipv6Octets(ip) ?? new Uint8Array(16) : ipv4Octets(ip) ?? new Uint8Array(4));
  const chunks: Array<[number, Uint8Array]> = [
    [HEP_CHUNK.family, Uint8Array.of(v6 ? AF_INET6 : AF_INET)],
    [HEP_CHUNK.protocol, Uint8Array.of(p.protocol)],
    [v6 ? HEP_CHUNK.srcIp6 : HEP_CHUNK.srcIp4, addr(p.srcIp)],
    [v6 ? HEP_CHUNK.dstIp6 : HEP_CHUNK.dstIp4, addr(p.dstIp)],
    [HEP_CHUNK.srcPort, u16(p.srcPort)],
    [HEP_CHUNK.dstPort, u16(p.dstPort)],
    [HEP_CHUNK.timeSec, u32(Math.floor(p.time / 1000))],
    [HEP_CHUNK.timeUsec, u32((p.time % 1000) * 1000)],
    [HEP_CHUNK.protoType, Uint8Array.of(p.protoType)],
  ];
  if (p.captureId !== null) chunks.push([HEP_CHUNK.captureId, u32(p.captureId)]);
  if (p.authKey !== null) chunks.push([HEP_CHUNK.authKey, enc.encode(p.authKey)]);
  chunks.push([HEP_CHUNK.payload, p.payload]);
  const total = 6 + chunks.reduce((n, [, v]) => n + 6 + v.length, 0);
  if (total > HEP_MAX_BYTES) return null;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, total);
  let at = 6;
  for (const [type, value] of chunks) {
    view.setUint16(at, 0); // vendor 0: generic
    view.setUint16(at + 2, type);
    view.setUint16(at + 4, 6 + value.length);
    out.set(value, at + 6);
    at += 6 + value.length;
  }
  return out;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

/**
 * Decode one packet at the start of `bytes`; `length` is how many bytes it took (the next one follows on a
 * TCP stream). Unknown chunks and vendors are skipped.
 */
export function decodeHep3(bytes: Uint8Array): Result<{ packet: HepPacket; length: number }> {
  if (bytes.length < 6) return { ok: false, error: 'shorter than a HEP3 header' };
  if (!MAGIC.every((m, i) => bytes[i] === m)) return { ok: false, error: 'no "HEP3" magic' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint16(4);
  if (total < 6 || total > bytes.length) return { ok: false, error: `length ${total} does not fit the ${bytes.length} bytes` };
  const p: HepPacket = { family: 'IPv4', protocol: 17, srcIp: '', dstIp: '', srcPort: 0, dstPort: 0, time: 0, protoType: 0, captureId: null, authKey: null, payload: new Uint8Array(0) };
  let sec = 0;
  let usec = 0;
  for (let at = 6; at < total;) {
    if (at + 6 > total) return { ok: false, error: `truncated chunk header at ${at}` };
    const vendor = view.getUint16(at);
    const type = view.getUint16(at + 2);
    const len = view.getUint16(at + 4);
    if (len < 6 || at + len > total) return { ok: false, error: `chunk ${type} of length ${len} at ${at} overruns the packet` };
    const v = bytes.subarray(at + 6, at + len);
    const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
    at += len;
    if (vendor !== 0) continue;
    if (type === HEP_CHUNK.family && v.length === 1) p.family = v[0] === AF_INET6 ? 'IPv6' : 'IPv4';
    else if (type === HEP_CHUNK.protocol && v.length === 1) p.protocol = v[0] === 6 ? 6 : 17;
    else if ((type === HEP_CHUNK.srcIp4 && v.length === 4) || (type === HEP_CHUNK.srcIp6 && v.length === 16)) p.srcIp = ipText(v);
    else if ((type === HEP_CHUNK.dstIp4 && v.length === 4) || (type === HEP_CHUNK.dstIp6 && v.length === 16)) p.dstIp = ipText(v);
    else if (type === HEP_CHUNK.srcPort && v.length === 2) p.srcPort = dv.getUint16(0);
    else if (type === HEP_CHUNK.dstPort && v.length === 2) p.dstPort = dv.getUint16(0);
    else if (type === HEP_CHUNK.timeSec && v.length === 4) sec = dv.getUint32(0);
    else if (type === HEP_CHUNK.timeUsec && v.length === 4) usec = dv.getUint32(0);
    else if (type === HEP_CHUNK.protoType && v.length === 1) p.protoType = v[0]!;
    else if (type === HEP_CHUNK.captureId && v.length === 4) p.captureId = dv.getUint32(0);
    else if (type === HEP_CHUNK.authKey) p.authKey = new TextDecoder().decode(v);
    else if (type === HEP_CHUNK.payload) p.payload = v.slice();
  }
  p.time = sec * 1000 + Math.floor(usec / 1000);
  return { ok: true, value: { packet: p, length: total } };
}
