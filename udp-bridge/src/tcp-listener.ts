/**
 * The bridge's TCP listener (SIP over TCP, RFC 3261 §18.3): one {@link TcpConnection} and one WebSocket to
 * the Worker per accepted connection, bounded like UDP flows (most connections in total and per source IP,
 * new connections per IP per second), closed when idle, silent past the Worker's liveness limit, or broken.
 * @module
 */

import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { HostPort } from './config.js';
import { FlowTable } from './flow-table.js';
import { sourceIp, sourceKey } from './source.js';
import type { Source } from './source.js';
import { TcpConnection, type ConnectionDeps } from './tcp-connection.js';
import { hepLocal } from './hep.js';

/** A running TCP listener. */
export interface TcpListener {
  /** The bound address (the real port when configured with port 0). */
  address(): HostPort;
  /** Open connections. */
  readonly size: number;
  /** Connections from one source IP (as the per-IP limits count them). */
  connectionsFrom(ip: string): number;
  /** Close connections that are silent past their liveness limit or idle; part of the bridge's sweep. */
  sweep(now: number): void;
  /** Stop accepting and close every connection (their WebSockets with 4001). */
  close(): Promise<void>;
}

/** The {@link Source} of an accepted socket; null when it has already gone. */
function sourceOf(socket: Socket): Source | null {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return null;
  return { address: remoteAddress, port: remotePort, family: remoteAddress.includes(':') && !remoteAddress.startsWith('::ffff:') ? 'IPv6' : 'IPv4' };
}

/**
 * Listen on `at` and carry each connection's SIP to the Worker. `deps` are shared with the UDP side;
 * `advertiseFor` names the bridge's address for TCP devices once the port is bound.
 */
export async function startTcpListener(at: HostPort, shared: Omit<ConnectionDeps, 'gone' | 'advertise' | 'hepLeg'>, advertiseFor: (port: number) => string | null): Promise<TcpListener> {
  const { metrics, log, now } = shared;
  let deps: Omit<ConnectionDeps, 'gone'> = { ...shared, advertise: null, hepLeg: { transport: 'tcp', local: at } };
  const table = new FlowTable<TcpConnection>(deps.config, now);
  metrics.tcpConnections = () => table.size;
  let closing = false;

  const onConnection = (socket: Socket): void => {
    const source = sourceOf(socket);
    if (source === null || closing) return void socket.destroy();
    const refused = table.admit(sourceIp(source), now());
    if (refused !== null) {
      metrics.drop(refused);
      socket.destroy();
      return;
    }
    const id = sourceKey(source);
    metrics.tcp.accepted++;
    const conn = new TcpConnection(socket, source, id, {
      ...deps,
      gone: (c) => {
        if (table.get(c.id) === c) table.delete(c.id);
      },
    });
    table.add(id, conn);
    log.info('tcp connection opened', { from: id });
  };

  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    try {
      onConnection(socket);
    } catch (e) {
      metrics.drop('internal_error');
      log.error('failed to accept a TCP connection', { error: String(e) });
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: at.port, host: at.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error('tcp listener error', { error: err.message }));
  const bound = server.address() as AddressInfo;
  const advertise = advertiseFor(bound.port);
  // HEP copies of TCP messages name the connection's ends: the device and this listener as devices see it.
  deps = { ...shared, advertise, hepLeg: { transport: 'tcp', local: hepLocal(bound, advertise) } };

  return {
    address: () => ({ host: bound.address, port: bound.port }),
    get size() {
      return table.size;
    },
    connectionsFrom: (ip) => table.flowsOf(ip),
    sweep(t) {
      for (const [key, conn] of table.entries()) {
        if (conn.isSilent(t)) {
          table.delete(key);
          metrics.livenessTimeouts++;
          log.info('tcp connection closed: device silent past its liveness limit', { from: key });
          void conn.closeSilent();
        } else if (conn.isExpired(t)) {
          table.delete(key);
          log.info('tcp connection closed: idle', { from: key });
          void conn.close('idle');
        }
      }
      table.sweep();
    },
    async close() {
      closing = true;
      const all = table.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(all.map((c) => c.close('bridge shutting down')));
      await closed;
    },
  };
}

/** Where the TCP listener binds: `tcpListen`, or for `'udp'` the UDP address with the port number UDP got (0 stays 0). */
export function tcpListenAddress(listen: HostPort, tcpListen: HostPort | 'udp', udpBoundPort: number): HostPort {
  if (tcpListen !== 'udp') return tcpListen;
  return { host: listen.host, port: listen.port === 0 ? 0 : udpBoundPort };
}

/**
 * The bridge's TCP address as devices reach it, for the Via and Record-Route towards TCP devices: the UDP
 * advertised address when TCP got the same port, else its host with the TCP port.
 */
export function tcpAdvertised(udpAdvertise: string | null, udpBoundPort: number, tcpBoundPort: number): string | null {
  if (udpAdvertise === null || tcpBoundPort === udpBoundPort) return udpAdvertise;
  return udpAdvertise.replace(/:\d+$/, `:${tcpBoundPort}`);
}
