/**
 * The bridge: one UDP socket, the table of device flows keyed by source address, and datagram dispatch.
 * @module
 */

import { networkInterfaces } from 'node:os';
import { createSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { RemoteInfo, Socket } from 'node:dgram';
import { CacheBudget } from './cache-budget.js';
import { MAX_UDP_PAYLOAD } from './config.js';
import type { BridgeConfig, HostPort } from './config.js';
import { CLOSE_KEEPALIVE_TIMEOUT, KEEPALIVE_TIMEOUT_REASON } from './control.js';
import { Flow } from './flow.js';
import { FlowTable } from './flow-table.js';
import { sourceIp, sourceKey } from './source.js';
import type { Source } from './source.js';
import { redact, redactUrl, silentLogger } from './log.js';
import type { Logger } from './log.js';
import { Metrics, startMetricsServer } from './metrics.js';
import type { MetricsServer } from './metrics.js';
import { MAX_TRACKED_SOURCES, RateLimiter } from './rate-limit.js';
import { inspectMessage } from './sip-scan.js';
import { startTcpListener, tcpAdvertised, tcpListenAddress } from './tcp-listener.js';
import type { TcpListener } from './tcp-listener.js';
import { createHepSender, hepLocal, type HepLeg } from './hep.js';

/** How often idle flows, expired cache entries and refilled rate buckets are swept. */
export const SWEEP_INTERVAL_MS = 1_000;

/** The RFC 5626 §4.4.1 keep-alive pong: one CRLF, sent for a double-CRLF ping. */
const CRLF = Buffer.from('\r\n');

/** A running bridge. */
export interface Bridge {
  /** The bound UDP address (the real port when configured with port 0). */
  address(): HostPort;
  /** The bound TCP address (SIP over TCP), or null when TCP is off. */
  tcpAddress(): HostPort | null;
  /** Open TCP connections. */
  tcpConnections(): number;
  /** The bound metrics HTTP address, or null when metrics are off. */
  metricsAddress(): HostPort | null;
  /** Live counters. */
  readonly metrics: Metrics;
  /** Number of flows in the table. */
  flowCount(): number;
  /** Number of flows from one source IP (as the per-IP limits count it). */
  flowsFrom(ip: string): number;
  /**
   * Run the periodic sweep now: flows silent past their liveness limit, idle flows, expired cache entries,
   * refilled rate buckets. It runs by itself every {@link SWEEP_INTERVAL_MS}; tests with an injected clock call it.
   */
  sweep(): void;
  /** Stop receiving, close every WebSocket ("going away") and the metrics server. Idempotent. */
  close(): Promise<void>;
}

/** Injected clock, randomness and logger (defaults: real ones, and no logging). */
export interface BridgeDeps {
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

/** True when a datagram holds only CR and LF octets (an RFC 5626 keep-alive, not a SIP message). */
export function isCrlfOnly(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 13 && bytes[i] !== 10) return false;
  return true;
}

/**
 * dgram's address lookup before each send: the bridge only sends to addresses it received from, IP literals,
 * so it answers at once, where `dns.lookup` would defer every datagram by a tick. Names still go to DNS.
 */
function literalLookup(host: string, options: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(host);
  if (family !== 0) cb(null, host, family);
  else dnsLookup(host, options as number, cb);
}

/** The {@link Source} of a datagram. */
function sourceOf(rinfo: RemoteInfo): Source {
  return { address: rinfo.address, port: rinfo.port, family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4' };
}

/**
 * `host:port` devices reach the bridge at: `--advertise`, else the listening
 * address (with the port actually bound), else, for a wildcard listen
 * address, the host's first external IPv4 address.
 */
export function advertisedAddress(config: BridgeConfig, boundPort: number): string | null {
  const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  if (config.advertise) return hostPort(config.advertise.host, config.advertise.port);
  const wildcard = config.listen.host === '0.0.0.0' || config.listen.host === '::';
  if (!wildcard) return hostPort(config.listen.host, boundPort);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return hostPort(a.address, boundPort);
  }
  return hostPort('127.0.0.1', boundPort);
}

/** Receive buffer asked of the kernel for the UDP socket (capped by net.core.rmem_max). */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** Bind the UDP socket (and the metrics server) and start relaying. */
export async function startBridge(config: BridgeConfig, deps: BridgeDeps = {}): Promise<Bridge> {
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const metrics = new Metrics();
  const flows = new FlowTable<Flow>(config, now);
  // Every source sending now has a bucket, so the map is bounded by recent sources, and by this under a spoofing flood.
  const limiter = new RateLimiter(config.ratePerSecond, config.rateBurst, now, Math.max(MAX_TRACKED_SOURCES, 2 * config.maxFlows));
  const cacheBudget = new CacheBudget(config.cacheTotalBytes);
  const maxBytes = Math.min(config.maxDatagramBytes, MAX_UDP_PAYLOAD);
  let closing: Promise<void> | null = null;
  let tcp: TcpListener | null = null;
  metrics.flows = () => flows.size;
  metrics.cacheBytes = () => cacheBudget.used;
  metrics.cacheEvictions = cacheBudget.evictions;
  metrics.connectedFlows = () => {
    let n = 0;
    for (const f of flows.values()) if (f.connected) n++;
    return n;
  };

  const socket: Socket = createSocket({ type: config.listen.host.includes(':') ? 'udp6' : 'udp4', lookup: literalLookup });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(config.listen.port, config.listen.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => log.error('udp socket error', { error: err.message }));
  // Bursts of devices (a site coming back) overflowed the default ~208 KiB receive buffer in the fuzzer's runs.
  try {
    socket.setRecvBufferSize(RECV_BUFFER_BYTES);
  } catch (e) {
    log.warn('could not enlarge the UDP receive buffer', { error: String(e) });
  }
  const bound = socket.address();
  const advertise = advertisedAddress(config, bound.port);
  // HEP copies (off unless --hep): the bridge's side of each datagram is the address devices send to.
  const hep = config.hep === null ? null : createHepSender(config.hep, now, log);
  const udpLeg: HepLeg = { transport: 'udp', local: hepLocal(bound, advertise) };

  const sendTo = (address: string, port: number, bytes: Uint8Array): void => {
    if (closing !== null) return;
    if (bytes.length > MAX_UDP_PAYLOAD) {
      metrics.drop('oversized');
      return;
    }
    metrics.datagram('out', bytes.length);
    if (hep !== null && !isCrlfOnly(bytes)) hep.capture('out', { address, port }, bytes, udpLeg);
    socket.send(bytes, port, address, afterSend);
  };
  // One callback for every send (the error names the address): without one, dgram drops send errors silently.
  const afterSend = (err: Error | null): void => {
    if (err) log.warn('udp send failed', { error: err.message });
  };

  // Only a datagram that reads as SIP gets here (inspectMessage): only SIP opens an upstream WebSocket.
  const openFlow = (source: Source, key: string, t: number): Flow | null => {
    const refused = flows.admit(sourceIp(source), t);
    if (refused !== null) {
      metrics.drop(refused);
      return null;
    }
    const { address, port } = source;
    const flow = new Flow(source, key, { config, metrics, log, now, random, advertise, cacheBudget, sendToDevice: (b) => sendTo(address, port, b) });
    flows.add(key, flow);
    log.info('flow opened', { flow: key });
    return flow;
  };

  const onDatagram = (bytes: Buffer, rinfo: RemoteInfo): void => {
    metrics.datagram('in', bytes.length);
    const key = rinfo.family === 'IPv4' ? `${rinfo.address}:${rinfo.port}` : sourceKey(sourceOf(rinfo));
    const t = now();
    let flow = flows.get(key);
    // Any datagram from the device, even one dropped below, shows it is alive (for its liveness limit).
    flow?.heard(t);
    if (bytes.length > maxBytes) return metrics.drop('oversized');
    if (!limiter.allow(key, t)) return metrics.drop('rate_limited');
    if (isCrlfOnly(bytes)) {
      // RFC 5626 §4.4.1: answer a CRLFCRLF ping with a CRLF pong, locally; a lone CRLF (a pong) needs nothing.
      metrics.keepalives++;
      if (bytes.includes('\r\n\r\n')) sendTo(rinfo.address, rinfo.port, CRLF);
      return;
    }
    const msg = inspectMessage(bytes);
    if (msg === 'not_sip') {
      metrics.drop('not_sip');
      // A truncated SIP message may still carry credentials: redact before logging any of it.
      log.debug('dropped a datagram that is not SIP', { from: key, size: bytes.length, preview: redact(bytes.subarray(0, 200).toString('latin1')) });
      return;
    }
    if (hep !== null) hep.capture('in', rinfo, bytes, udpLeg);
    flow ??= openFlow(sourceOf(rinfo), key, t) ?? undefined;
    flow?.fromDevice(bytes, msg);
  };

  socket.on('message', (bytes, rinfo) => {
    try {
      onDatagram(bytes, rinfo);
    } catch (e) {
      metrics.drop('internal_error');
      log.error('failed to handle a datagram', { from: `${rinfo.address}:${rinfo.port}`, error: String(e) });
    }
  });

  const sweepNow = (): void => {
    const t = now();
    for (const [key, flow] of flows.entries()) {
      if (flow.isSilent(t)) {
        // The Worker asked for this limit (a control frame, control.ts) and treats the close as "device offline".
        flows.delete(key);
        metrics.livenessTimeouts++;
        log.info('flow closed: device silent past its liveness limit', { flow: key, silentMs: t - flow.lastHeard, timeoutMs: flow.livenessTimeoutMs });
        void flow.close(KEEPALIVE_TIMEOUT_REASON, CLOSE_KEEPALIVE_TIMEOUT);
      } else if (flow.isExpired(t)) {
        flows.delete(key);
        void flow.close('idle');
        log.info('flow expired', { flow: key });
      } else flow.cache.sweep();
    }
    tcp?.sweep(t);
    limiter.sweep();
    flows.sweep();
  };
  // Every second: a silent flow is closed at most one interval after its limit passes.
  const sweep = setInterval(sweepNow, SWEEP_INTERVAL_MS);
  sweep.unref();

  let metricsServer: MetricsServer | null = null;
  try {
    if (config.tcpListen !== null) {
      // SIP over TCP: one WebSocket per connection, reliable, so no retransmission machinery (tcp-connection.ts).
      const at = tcpListenAddress(config.listen, config.tcpListen, bound.port);
      tcp = await startTcpListener(at, { config, metrics, log, now, random, cacheBudget, limiter, hep }, (port) => tcpAdvertised(advertise, bound.port, port));
    }
    if (config.metrics !== null) metricsServer = await startMetricsServer(config.metrics, metrics, () => closing === null);
  } catch (e) {
    clearInterval(sweep);
    socket.close();
    await tcp?.close();
    throw e;
  }

  const udp = socket.address();
  log.info('bridge listening', {
    udp: `${udp.address}:${udp.port}`,
    tcp: tcp === null ? null : `${tcp.address().host}:${tcp.address().port}`,
    upstream: redactUrl(config.upstream),
    token: config.token === null ? 'none' : 'set',
    metrics: metricsServer === null ? null : `${metricsServer.address().host}:${metricsServer.address().port}`,
  });

  const shutdown = async (): Promise<void> => {
    clearInterval(sweep);
    socket.removeAllListeners('message');
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const all = flows.clear();
    await Promise.all([...all.map((f) => f.close('bridge shutting down')), tcp?.close()]);
    if (metricsServer !== null) await metricsServer.close();
    hep?.close();
    log.info('bridge stopped', { flows: all.length });
  };

  return {
    address: () => ({ host: udp.address, port: udp.port }),
    tcpAddress: () => tcp?.address() ?? null,
    tcpConnections: () => tcp?.size ?? 0,
    metricsAddress: () => metricsServer?.address() ?? null,
    metrics,
    flowCount: () => flows.size,
    flowsFrom: (ip) => flows.flowsOf(ip),
    sweep: sweepNow,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
