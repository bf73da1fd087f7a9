/**
 * HEPv3 copies of every SIP message the bridge receives from or sends to a device, a UDP datagram or a message
 * on a device's TCP connection (protocol 6, the connection's addresses), over UDP to a collector (sngrep `-L`,
 * Homer/heplify-server). Built only when `--hep` is set: with it off the bridge holds null and a message costs
 * one null check.
 * @module
 */

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { encodeHep3, HEP_SIP } from '../../src/hep/hep3.js';
import type { HepTarget, HostPort } from './config.js';
import type { Logger } from './log.js';

/** The bridge's side of a copy: the transport the device speaks and the bridge's address there as devices see it. */
export interface HepLeg {
  transport: 'udp' | 'tcp';
  local: HostPort;
}

/**
 * The bridge's address on a socket bound at `bound`, as devices see it: the advertised one (`host:port`) when
 * bound to a wildcard address, else the bound one.
 */
export function hepLocal(bound: { address: string; port: number }, advertise: string | null): HostPort {
  const wildcard = bound.address === '0.0.0.0' || bound.address === '::';
  if (!wildcard || advertise === null) return { host: bound.address, port: bound.port };
  const colon = advertise.lastIndexOf(':');
  return { host: advertise.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(advertise.slice(colon + 1)) };
}

/** Sends HEP copies; `capture` never throws and never waits. */
export interface HepSender {
  /** Copy one message: `in` from the device at `device`, `out` to it, over `leg`. */
  capture(direction: 'in' | 'out', device: { address: string; port: number }, bytes: Uint8Array, leg: HepLeg): void;
  /** Packets sent and dropped (too large to encapsulate, or a send error). */
  readonly stats: { sent: number; dropped: number };
  close(): void;
}

/** Open the UDP socket towards the collector. */
export function createHepSender(target: HepTarget, now: () => number, log: Logger): HepSender {
  const v6 = isIP(target.host) === 6;
  const socket: Socket = createSocket(v6 ? 'udp6' : 'udp4');
  socket.on('error', (err) => log.warn('hep socket error', { error: err.message }));
  const stats = { sent: 0, dropped: 0 };
  let warned = false;
  const afterSend = (err: Error | null): void => {
    if (!err) return;
    stats.dropped++;
    if (!warned) log.warn('hep send failed', { collector: `${target.host}:${target.port}`, error: err.message });
    warned = true;
  };
  return {
    stats,
    capture(direction, device, bytes, leg) {
      const family = isIP(device.address) === 6 ? 'IPv6' : 'IPv4';
      const local = { address: leg.local.host, port: leg.local.port };
      const from = direction === 'in' ? device : local;
      const to = direction === 'in' ? local : device;
      const packet = encodeHep3({
        family, protocol: leg.transport === 'tcp' ? 6 : 17, srcIp: from.address, dstIp: to.address, srcPort: from.port, dstPort: to.port,
        time: now(), protoType: HEP_SIP, captureId: target.captureId, authKey: target.authKey, payload: bytes,
      });
      if (packet === null) {
        stats.dropped++;
        return;
      }
      stats.sent++;
      socket.send(packet, target.port, target.host, afterSend);
    },
    close: () => socket.close(),
  };
}
