/**
 * HEPv3 copies of every SIP datagram the bridge receives from or sends to a device, over UDP to a collector
 * (sngrep `-L`, Homer/heplify-server). Built only when `--hep` is set: with it off the bridge holds null and
 * a datagram costs one null check.
 * @module
 */

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { encodeHep3, HEP_SIP } from '../../src/hep/hep3.js';
import type { HepTarget, HostPort } from './config.js';
import type { Logger } from './log.js';

/** Sends HEP copies; `capture` never throws and never waits. */
export interface HepSender {
  /** Copy one datagram: `in` from the device at `device`, `out` to it. */
  capture(direction: 'in' | 'out', device: { address: string; port: number }, bytes: Uint8Array): void;
  /** Packets sent and dropped (too large to encapsulate, or a send error). */
  readonly stats: { sent: number; dropped: number };
  close(): void;
}

/** Open the UDP socket towards the collector. `local` is the bridge's own address as devices see it. */
export function createHepSender(target: HepTarget, local: HostPort, now: () => number, log: Logger): HepSender {
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
    capture(direction, device, bytes) {
      const family = isIP(device.address) === 6 ? 'IPv6' : 'IPv4';
      const from = direction === 'in' ? device : { address: local.host, port: local.port };
      const to = direction === 'in' ? { address: local.host, port: local.port } : device;
      const packet = encodeHep3({
        family, protocol: 17, srcIp: from.address, dstIp: to.address, srcPort: from.port, dstPort: to.port,
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
