/**
 * The Worker's HEP collector (`HEP_COLLECTOR = "host:port"`, TCP: Workers cannot send UDP) and the HEPv3
 * packet of a traced message. Pure.
 * @module
 */
import type { TraceMessage } from '../trace/record.js';
import { encodeHep3, HEP_SIP, ipv4Octets, ipv6Octets } from './hep3.js';

/** Where traced messages are sent, and the agent's id and key. */
export interface HepCollector {
  hostname: string;
  port: number;
  captureId: number | null;
  authKey: string | null;
}

/** The collector from the Worker's vars; null when unset or malformed (HEP stays off). */
export function hepCollector(vars: { HEP_COLLECTOR?: string; HEP_CAPTURE_ID?: string; HEP_AUTH_KEY?: string }): HepCollector | null {
  const text = (vars.HEP_COLLECTOR ?? '').trim().replace(/^tcp:/, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65_535) return null;
  const id = Number.parseInt(vars.HEP_CAPTURE_ID ?? '', 10);
  return { hostname: m[1]!.replace(/^\[|\]$/g, ''), port, captureId: Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff ? id : null, authKey: vars.HEP_AUTH_KEY || null };
}

/** `ip`, `ip:port` or `[v6]:port` as a flow writes its peer; anything else is no address. */
function peerAddress(peer: string): { ip: string; port: number; v6: boolean } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(peer);
  if (v6 && ipv6Octets(v6[1]!)) return { ip: v6[1]!, port: Number(v6[2] ?? 0), v6: true };
  const [ip, port] = peer.split(':');
  if (ip && ipv4Octets(ip)) return { ip, port: Number(port ?? 0), v6: false };
  return { ip: '0.0.0.0', port: 0, v6: false };
}

/**
 * The HEPv3 packet of a traced message: the peer at its address (a WebSocket peer without its port, which
 * Workers do not expose), the service as the unspecified address (a Worker has none of its own); TCP for
 * WebSocket flows, UDP for bridged devices. Null when it does not fit a packet.
 */
export function hepOfTrace(m: TraceMessage, c: HepCollector): Uint8Array | null {
  const peer = peerAddress(m.peer);
  const service = { ip: peer.v6 ? '::' : '0.0.0.0', port: 0 };
  const [src, dst] = m.direction === 'in' ? [peer, service] : [service, peer];
  return encodeHep3({
    family: peer.v6 ? 'IPv6' : 'IPv4', protocol: m.transport === 'udp' ? 17 : 6, srcIp: src.ip, dstIp: dst.ip, srcPort: src.port, dstPort: dst.port,
    time: m.time, protoType: HEP_SIP, captureId: c.captureId, authKey: c.authKey, payload: new TextEncoder().encode(m.text),
  });
}
