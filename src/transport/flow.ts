/**
 * A flow (RFC 5626 §3): one connection between a peer and this service,
 * identified by the Durable Object that owns its WebSocket.
 * @module
 */

/** How the service is addressed from one flow: Via sent-by and Route host. */
export interface FlowAddress {
  transport: FlowTransport;
  /** host[:port] the peer reaches us at (the domain for WebSocket peers, the bridge for UDP). */
  host: string;
}

/** Transport token as written in Via (RFC 7118 §5.2, RFC 3261 §18). UDP and TCP devices come through the bridge. */
export type FlowTransport = 'WS' | 'WSS' | 'UDP' | 'TCP';

/**
 * Whether a flow is a device behind the udp-bridge (UDP, or one TCP connection): named after the device
 * address, it outlives its WebSockets (the bridge reconnects), and is addressed at the bridge.
 */
export function isBridged(transport: string): transport is 'UDP' | 'TCP' {
  return transport === 'UDP' || transport === 'TCP';
}

/** Header in which the bridge names the device's transport (`tcp`; absent: UDP). */
export const BRIDGE_TRANSPORT_HEADER = 'x-bridge-transport';

/** The bridged transport a {@link BRIDGE_TRANSPORT_HEADER} value names: TCP for `tcp`, else UDP. */
export function bridgedTransport(value: string | null): 'UDP' | 'TCP' {
  return value?.trim().toLowerCase() === 'tcp' ? 'TCP' : 'UDP';
}

/** What the service knows about a connection. Survives hibernation in the socket attachment. */
export interface Flow {
  /** Id of the FlowObject that owns the socket (hex Durable Object id). */
  id: string;
  transport: FlowTransport;
  /** The peer's real address as seen by the edge (or, for bridged UDP, by the bridge). */
  remoteIp: string;
  /** The peer's real port when known (Workers do not expose the TCP source port of WebSocket peers). */
  remotePort: number | null;
  /** For bridged (UDP and TCP) flows: the bridge's address as devices see it (Via sent-by and Route host towards them). */
  advertise: string | null;
  /** Unix ms when the connection was accepted. */
  connectedAt: number;
}

/** `ip:port` (or `ip`) of a flow's peer, IPv6 in brackets. */
export function flowSource(flow: Flow): string {
  const host = flow.remoteIp.includes(':') ? `[${flow.remoteIp}]` : flow.remoteIp;
  return flow.remotePort === null ? host : `${host}:${flow.remotePort}`;
}

/** How the service is addressed from a flow: WebSocket peers by domain, UDP and TCP devices at their bridge. */
export function flowAddress(flow: Flow, domain: string): FlowAddress {
  if (isBridged(flow.transport)) return { transport: flow.transport, host: flow.advertise ?? domain };
  return { transport: flow.transport, host: domain };
}

/** Headers the Worker sets when it hands an upgrade to a flow's object (never trusted from clients). */
export const FLOW_HEADERS = {
  transport: 'x-edge-flow-transport',
  ip: 'x-edge-flow-ip',
  port: 'x-edge-flow-port',
  advertise: 'x-edge-flow-advertise',
} as const;

/** The flow an upgrade describes, from the {@link FLOW_HEADERS} the Worker set. */
export function flowFromUpgrade(header: (name: string) => string | null, id: string, now: number): Flow {
  const port = Number.parseInt(header(FLOW_HEADERS.port) ?? '', 10);
  return {
    id,
    transport: (header(FLOW_HEADERS.transport) ?? 'WS') as FlowTransport,
    remoteIp: header(FLOW_HEADERS.ip) ?? '0.0.0.0',
    remotePort: Number.isInteger(port) && port > 0 && port < 65536 ? port : null,
    advertise: header(FLOW_HEADERS.advertise),
    connectedAt: now,
  };
}
