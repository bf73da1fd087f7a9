/**
 * Typed bridge configuration and its parser from command-line flags and environment variables (pure).
 * @module
 */

import { parseArgs } from 'node:util';
import { Timers } from '../../src/sip/timers.js';

/** A host and port to bind or connect to. IPv6 hosts are kept without brackets. */
export interface HostPort {
  host: string;
  port: number;
}

/** Everything the bridge needs to run; produced by {@link parseConfig}, or built directly by tests. */
export interface BridgeConfig {
  /** UDP address the devices send to (`--listen`). */
  listen: HostPort;
  /**
   * The bridge's address as devices reach it (`--advertise`): the Worker puts it in its Via and
   * Record-Route towards the devices, so their responses and in-dialog requests come back here.
   * null: the listening address, or with a wildcard listen address the host's first external IPv4.
   */
  advertise: HostPort | null;
  /** The Worker's WebSocket URL (`--upstream`), `ws:` or `wss:`. */
  upstream: string;
  /** Shared bridge token sent as `Authorization: Bearer …`; null sends no token (ordinary WS client). */
  token: string | null;
  /** Where to serve `/metrics` and `/healthz`; null disables the HTTP server. */
  metrics: HostPort | null;
  /** Largest datagram accepted, in bytes (never above {@link MAX_UDP_PAYLOAD}). */
  maxDatagramBytes: number;
  /** A flow without datagrams in or out for this long is closed (unless its registration is still valid). */
  idleTimeoutMs: number;
  /** Interval of WebSocket pings towards the Worker. */
  pingIntervalMs: number;
  /** Per-source token bucket: sustained datagrams per second. */
  ratePerSecond: number;
  /** Per-source token bucket: burst size. */
  rateBurst: number;
  /** Largest number of concurrent flows (device source addresses). */
  maxFlows: number;
  /** Largest number of concurrent flows from one source IP (a NAT, an NVR or a PBX uses several ports). */
  maxFlowsPerIp: number;
  /** New flows one source IP may open per second, sustained (token bucket). */
  newFlowsPerIpPerSecond: number;
  /** New flows one source IP may open at once (token bucket burst). */
  newFlowsPerIpBurst: number;
  /** Bytes of cached responses one flow may hold (oldest transactions evicted beyond). */
  cacheFlowBytes: number;
  /** Bytes of cached responses all flows together may hold (oldest transactions evicted beyond). */
  cacheTotalBytes: number;
  /** Messages held per flow while its WebSocket is (re)connecting. */
  bufferMessages: number;
  /** Bytes held per flow while its WebSocket is (re)connecting. */
  bufferBytes: number;
  /** First reconnect delay; doubles per failed attempt up to {@link BridgeConfig.reconnectMaxMs}. */
  reconnectMinMs: number;
  /** Largest reconnect delay. */
  reconnectMaxMs: number;
  /** Lifetime of a cached final response: Timer J/H = 64·T1 (RFC 3261 §17.2). */
  retransmissionTtlMs: number;
  /** Minimum log level written. */
  logLevel: LogLevel;
  /**
   * TCP address devices connect to (`--tcp-listen`, tcp-listener.ts): `'udp'` the UDP listen address, same
   * port number (with port 0, a free port of its own); null: no TCP listener (`off`).
   */
  tcpListen: HostPort | 'udp' | null;
  /** Largest SIP message (headers and body) accepted on a TCP connection; larger ones close it (413). */
  tcpMaxMessageBytes: number;
  /** HEPv3 collector every SIP message in and out (UDP and TCP devices) is copied to (`--hep udp:host:port`), or null (off). */
  hep: HepTarget | null;
}

/** Where and how the bridge sends HEPv3 (sipcapture/hep) copies. */
export interface HepTarget extends HostPort {
  /** Capture agent id (chunk 12), or null. */
  captureId: number | null;
  /** Auth key (chunk 14) the collector checks, or null. */
  authKey: string | null;
}

/** Log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';


/** "The maximum size of a UDP datagram payload" over IPv4: 65,535 − 8 (UDP) − 20 (IP). */
export const MAX_UDP_PAYLOAD = 65_507;

/** Defaults for every setting (see the README flag table). */
export const DEFAULT_CONFIG: Readonly<BridgeConfig> = {
  listen: { host: '0.0.0.0', port: 5060 },
  advertise: null,
  upstream: 'ws://127.0.0.1:8787/sip',
  token: null,
  metrics: null,
  maxDatagramBytes: 64 * 1024,
  idleTimeoutMs: 15 * 60_000,
  pingIntervalMs: 20_000,
  ratePerSecond: 50,
  rateBurst: 100,
  maxFlows: 10_000,
  maxFlowsPerIp: 64,
  newFlowsPerIpPerSecond: 10,
  newFlowsPerIpBurst: 50,
  cacheFlowBytes: 256 * 1024,
  cacheTotalBytes: 64 * 1024 * 1024,
  bufferMessages: 64,
  bufferBytes: 256 * 1024,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  retransmissionTtlMs: Timers.LINGER,
  logLevel: 'info',
  tcpListen: 'udp',
  tcpMaxMessageBytes: 64 * 1024,
  hep: null,
};

/** What the command line asked for: run with a config, or print the help text. */
export type ParsedCommand = { kind: 'run'; config: BridgeConfig } | { kind: 'help' };

/** Result of {@link parseConfig}: the command, or a message for the operator. */
export type ConfigResult = { ok: true; value: ParsedCommand } | { ok: false; error: string };

/** Flag name → environment variable. Flags win over the environment, the environment over defaults. */
export const ENV_NAMES = {
  listen: 'BRIDGE_LISTEN',
  advertise: 'BRIDGE_ADVERTISE',
  upstream: 'BRIDGE_UPSTREAM',
  token: 'BRIDGE_TOKEN',
  metrics: 'BRIDGE_METRICS',
  'max-datagram': 'BRIDGE_MAX_DATAGRAM',
  'idle-timeout': 'BRIDGE_IDLE_TIMEOUT',
  rate: 'BRIDGE_RATE',
  burst: 'BRIDGE_BURST',
  'max-flows': 'BRIDGE_MAX_FLOWS',
  'max-flows-per-ip': 'BRIDGE_MAX_FLOWS_PER_IP',
  'new-flows-per-ip': 'BRIDGE_NEW_FLOWS_PER_IP',
  'new-flows-burst': 'BRIDGE_NEW_FLOWS_BURST',
  'cache-flow-bytes': 'BRIDGE_CACHE_FLOW_BYTES',
  'cache-total-bytes': 'BRIDGE_CACHE_TOTAL_BYTES',
  'log-level': 'BRIDGE_LOG_LEVEL',
  'tcp-listen': 'BRIDGE_TCP_LISTEN',
  'tcp-max-message': 'BRIDGE_TCP_MAX_MESSAGE',
  // The same names as the Worker's HEP variables.
  hep: 'HEP_COLLECTOR',
  'hep-id': 'HEP_CAPTURE_ID',
  'hep-key': 'HEP_AUTH_KEY',
} as const;

type FlagName = keyof typeof ENV_NAMES;

const OPTIONS = {
  listen: { type: 'string' },
  advertise: { type: 'string' },
  upstream: { type: 'string' },
  token: { type: 'string' },
  metrics: { type: 'string' },
  'max-datagram': { type: 'string' },
  'idle-timeout': { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'max-flows': { type: 'string' },
  'max-flows-per-ip': { type: 'string' },
  'new-flows-per-ip': { type: 'string' },
  'new-flows-burst': { type: 'string' },
  'cache-flow-bytes': { type: 'string' },
  'cache-total-bytes': { type: 'string' },
  'log-level': { type: 'string' },
  'tcp-listen': { type: 'string' },
  'tcp-max-message': { type: 'string' },
  hep: { type: 'string' },
  'hep-id': { type: 'string' },
  'hep-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Raised inside the parser and turned into a failed {@link ConfigResult}. */
class ConfigError extends Error {}

/**
 * Parse `host:port`, `[v6]:port`, `:port` or a bare port. Missing host → `defaultHost`.
 * Throws a message naming the setting when malformed.
 */
export function parseHostPort(text: string, what: string, defaultHost = '0.0.0.0'): HostPort {
  const t = text.trim();
  let host = defaultHost;
  let portText = t;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0 || t[close + 1] !== ':') throw new ConfigError(`${what}: expected [ipv6]:port, got "${text}"`);
    host = t.slice(1, close);
    portText = t.slice(close + 2);
  } else if (t.includes(':')) {
    const colon = t.lastIndexOf(':');
    if (t.indexOf(':') !== colon) throw new ConfigError(`${what}: IPv6 addresses need brackets, e.g. [::]:5060`);
    host = t.slice(0, colon) || defaultHost;
    portText = t.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) throw new ConfigError(`${what}: bad port in "${text}"`);
  return { host, port: Number(portText) };
}

function positiveInt(text: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${what}: expected a positive integer, got "${text}"`);
  const n = Number(text.trim());
  if (n < 1 || n > max) throw new ConfigError(`${what}: ${n} is out of range (1…${max})`);
  return n;
}

function upstreamUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`upstream: not a URL: "${text}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError('upstream: must be a ws:// or wss:// URL');
  return url.toString();
}

function logLevel(text: string): LogLevel {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new ConfigError(`log-level: expected debug, info, warn or error, got "${text}"`);
}

/** `udp:host:port` (the scheme sngrep's `-L` and heplify use; only UDP from the bridge) with the optional id and key. */
function hepTarget(text: string, id: string | undefined, key: string | undefined): HepTarget {
  const m = /^udp:(.+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`hep: expected udp:host:port, got "${text}"`);
  const at = parseHostPort(m[1]!, 'hep', '127.0.0.1');
  if (at.port === 0) throw new ConfigError('hep: the collector needs a port');
  if (key !== undefined && /[\r\n]/.test(key)) throw new ConfigError('hep-key: must not contain CR or LF');
  return { ...at, captureId: id === undefined ? null : positiveInt(id, 'hep-id', 0xffff_ffff), authKey: key ?? null };
}

/**
 * Build the configuration from argv (without `node` and the script) and an environment map.
 * Pure: reads nothing but its arguments.
 */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ConfigResult {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
    if (values.help === true) return { ok: true, value: { kind: 'help' } };
    if (positionals.length > 0) return { ok: false, error: `unexpected argument "${positionals[0]}"` };
    const pick = (name: FlagName): string | undefined => {
      const v = values[name] ?? env[ENV_NAMES[name]];
      return v === undefined || v === '' ? undefined : v;
    };
    const d = DEFAULT_CONFIG;
    const listen = pick('listen');
    const metrics = pick('metrics');
    const advertise = pick('advertise');
    const maxDatagram = pick('max-datagram');
    const idle = pick('idle-timeout');
    const rate = pick('rate');
    const burst = pick('burst');
    const maxFlows = pick('max-flows');
    const level = pick('log-level');
    const tcp = pick('tcp-listen');
    const hepFlag = pick('hep');
    const int = (name: FlagName, fallback: number): number => {
      const v = pick(name);
      return v === undefined ? fallback : positiveInt(v, name);
    };
    const config: BridgeConfig = {
      ...d,
      listen: listen === undefined ? d.listen : parseHostPort(listen, 'listen'),
      advertise: advertise === undefined ? null : parseHostPort(advertise, 'advertise'),
      upstream: upstreamUrl(pick('upstream') ?? d.upstream),
      token: pick('token') ?? null,
      metrics: metrics === undefined ? null : parseHostPort(metrics, 'metrics', '127.0.0.1'),
      maxDatagramBytes: maxDatagram === undefined ? d.maxDatagramBytes : Math.min(positiveInt(maxDatagram, 'max-datagram'), MAX_UDP_PAYLOAD),
      idleTimeoutMs: idle === undefined ? d.idleTimeoutMs : positiveInt(idle, 'idle-timeout') * 1000,
      ratePerSecond: rate === undefined ? d.ratePerSecond : positiveInt(rate, 'rate'),
      rateBurst: burst === undefined ? d.rateBurst : positiveInt(burst, 'burst'),
      maxFlows: maxFlows === undefined ? d.maxFlows : positiveInt(maxFlows, 'max-flows'),
      maxFlowsPerIp: int('max-flows-per-ip', d.maxFlowsPerIp),
      newFlowsPerIpPerSecond: int('new-flows-per-ip', d.newFlowsPerIpPerSecond),
      newFlowsPerIpBurst: int('new-flows-burst', d.newFlowsPerIpBurst),
      cacheFlowBytes: int('cache-flow-bytes', d.cacheFlowBytes),
      cacheTotalBytes: int('cache-total-bytes', d.cacheTotalBytes),
      logLevel: level === undefined ? d.logLevel : logLevel(level),
      tcpListen: tcp === undefined ? d.tcpListen : tcp === 'off' ? null : parseHostPort(tcp, 'tcp-listen'),
      tcpMaxMessageBytes: int('tcp-max-message', d.tcpMaxMessageBytes),
      hep: hepFlag === undefined ? null : hepTarget(hepFlag, pick('hep-id'), pick('hep-key')),
    };
    return { ok: true, value: { kind: 'run', config } };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
