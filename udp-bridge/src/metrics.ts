/**
 * Bridge counters, their Prometheus text rendering, and a tiny HTTP server for `/metrics` and `/healthz`.
 * @module
 */

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CACHE_EVICTIONS } from './cache-budget.js';
import type { CacheEviction } from './cache-budget.js';
import type { HostPort } from './config.js';
import { FRAME_ERRORS, type FrameError } from './stream-framer.js';

/**
 * Why a datagram was not relayed. A datagram that would open a flow is refused with `flow_limit` (the table
 * is full), `flow_limit_per_ip` (its IP has its most flows) or `new_flow_rate` (its IP opens flows too fast).
 */
export type DropReason = 'oversized' | 'not_sip' | 'rate_limited' | 'flow_limit' | 'flow_limit_per_ip' | 'new_flow_rate' | 'buffer_full' | 'internal_error';

/** Every drop reason, so each series exists (at 0) from the start. */
export const DROP_REASONS: readonly DropReason[] = ['oversized', 'not_sip', 'rate_limited', 'flow_limit', 'flow_limit_per_ip', 'new_flow_rate', 'buffer_full', 'internal_error'];

/** What became of a control frame from the Worker: applied (by type), or ignored and why. */
export type ControlOutcome = 'liveness' | 'unknown_type' | 'malformed';

/** Every control-frame outcome, so each series exists (at 0) from the start. */
export const CONTROL_OUTCOMES: readonly ControlOutcome[] = ['liveness', 'unknown_type', 'malformed'];

/** Direction of a datagram: `in` from a device, `out` to a device. */
export type Direction = 'in' | 'out';

/** The bridge's counters; plain fields so the hot path is a property increment. */
export class Metrics {
  readonly datagrams: Record<Direction, number> = { in: 0, out: 0 };
  readonly bytes: Record<Direction, number> = { in: 0, out: 0 };
  readonly drops: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  reconnects = 0;
  retransmissionsAbsorbed = 0;
  /** Device-bound requests sent again because the device had not answered yet (Timer A/E). */
  requestRetransmissions = 0;
  keepalives = 0;
  /** Control frames from the Worker, by outcome (see control.ts). */
  readonly controlFrames: Record<ControlOutcome, number> = { liveness: 0, unknown_type: 0, malformed: 0 };
  /** Flows closed with 4000 because the device was silent past its liveness limit. */
  livenessTimeouts = 0;
  /** SIP over TCP (tcp-listener.ts): connections accepted, messages and bytes each way, streams closed for bad framing. */
  readonly tcp = {
    accepted: 0,
    messages: { in: 0, out: 0 } as Record<Direction, number>,
    bytes: { in: 0, out: 0 } as Record<Direction, number>,
    framingErrors: Object.fromEntries(FRAME_ERRORS.map((r) => [r, 0])) as Record<FrameError, number>,
  };
  /** Open TCP connections; read at render time. */
  tcpConnections: () => number = () => 0;
  /** Current number of flows; read at render time. */
  flows: () => number = () => 0;
  /** Flows whose WebSocket is open right now; read at render time. */
  connectedFlows: () => number = () => 0;
  /** Bytes held by every flow's response cache; read at render time. */
  cacheBytes: () => number = () => 0;
  /** Cached transactions evicted before their time, by reason (the shared budget's own record). */
  cacheEvictions: Readonly<Record<CacheEviction, number>> = { entries: 0, flow_bytes: 0, total_bytes: 0 };

  /** Count one datagram of `size` bytes. */
  datagram(direction: Direction, size: number): void {
    this.datagrams[direction]++;
    this.bytes[direction] += size;
  }

  /** Count one dropped datagram. */
  drop(reason: DropReason): void {
    this.drops[reason]++;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const byDirection = (r: Record<Direction, number>): [string, number][] => [
      ['{direction="in"}', r.in],
      ['{direction="out"}', r.out],
    ];
    family('sip_bridge_datagrams_total', 'counter', 'UDP datagrams received from (in) and sent to (out) devices.', byDirection(this.datagrams));
    family('sip_bridge_bytes_total', 'counter', 'UDP payload bytes received from (in) and sent to (out) devices.', byDirection(this.bytes));
    family('sip_bridge_flows', 'gauge', 'Device flows (source addresses) currently tracked.', [['', this.flows()]]);
    family('sip_bridge_flows_connected', 'gauge', 'Flows whose WebSocket to the Worker is open.', [['', this.connectedFlows()]]);
    family('sip_bridge_drops_total', 'counter', 'Datagrams dropped, by reason.', DROP_REASONS.map((r) => [`{reason="${r}"}`, this.drops[r]]));
    family('sip_bridge_reconnects_total', 'counter', 'WebSocket reconnection attempts after a connection was lost or refused.', [['', this.reconnects]]);
    family('sip_bridge_retransmissions_absorbed_total', 'counter', 'Request retransmissions answered locally and not forwarded.', [['', this.retransmissionsAbsorbed]]);
    family('sip_bridge_request_retransmissions_total', 'counter', 'Device-bound requests retransmitted until the device answered (Timer A/E).', [['', this.requestRetransmissions]]);
    family('sip_bridge_keepalives_total', 'counter', 'CRLF keep-alives answered locally.', [['', this.keepalives]]);
    family('sip_bridge_control_frames_total', 'counter', 'Control frames from the Worker: applied (by type) or ignored (unknown_type, malformed).', CONTROL_OUTCOMES.map((o) => [`{outcome="${o}"}`, this.controlFrames[o]]));
    family('sip_bridge_response_cache_bytes', 'gauge', 'Bytes held by the response caches of all flows (responses and per-transaction overhead).', [['', this.cacheBytes()]]);
    family('sip_bridge_response_cache_evictions_total', 'counter', 'Cached transactions evicted early: entries (count per flow), flow_bytes (bytes per flow), total_bytes (bytes over all flows).', CACHE_EVICTIONS.map((r) => [`{reason="${r}"}`, this.cacheEvictions[r]]));
    family('sip_bridge_liveness_timeouts_total', 'counter', 'Flows closed (code 4000) because the device sent nothing for longer than the liveness limit the Worker set.', [['', this.livenessTimeouts]]);
    family('sip_bridge_tcp_connections', 'gauge', 'Open TCP connections from devices.', [['', this.tcpConnections()]]);
    family('sip_bridge_tcp_connections_accepted_total', 'counter', 'TCP connections accepted (refusals are drops: flow_limit, flow_limit_per_ip, new_flow_rate).', [['', this.tcp.accepted]]);
    family('sip_bridge_tcp_messages_total', 'counter', 'SIP messages framed from (in) and written to (out) TCP connections.', byDirection(this.tcp.messages));
    family('sip_bridge_tcp_bytes_total', 'counter', 'Bytes read from (in) and written to (out) TCP connections.', byDirection(this.tcp.bytes));
    family('sip_bridge_tcp_framing_errors_total', 'counter', 'TCP connections closed because their stream lost its SIP framing, by reason.', FRAME_ERRORS.map((r) => [`{reason="${r}"}`, this.tcp.framingErrors[r]]));
    return `${lines.join('\n')}\n`;
  }
}

/** A running metrics endpoint. */
export interface MetricsServer {
  address(): HostPort;
  close(): Promise<void>;
}

/** Serve `GET /metrics` (Prometheus text) and `GET /healthz` on `at`. */
export async function startMetricsServer(at: HostPort, metrics: Metrics, healthy: () => boolean): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
    } else if (path === '/healthz') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'shutting down\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: () => {
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
