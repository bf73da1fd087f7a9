/**
 * A flow (RFC 5626 §3): one connection between a peer and this service,
 * identified by the Durable Object that owns its WebSocket.
 * @module
 */

/** Transport token as written in Via (RFC 7118 §5.2). */
export type FlowTransport = 'WS' | 'WSS' | 'UDP';

/** What the service knows about a connection. Survives hibernation in the socket attachment. */
export interface Flow {
  /** Id of the FlowObject that owns the socket (hex Durable Object id). */
  id: string;
  transport: FlowTransport;
  /** The peer's real address as seen by the edge (or, for bridged UDP, by the bridge). */
  remoteIp: string;
  /** The peer's real port when known (Workers do not expose the TCP source port of WebSocket peers). */
  remotePort: number | null;
  /** Unix ms when the connection was accepted. */
  connectedAt: number;
}

/** `ip:port` (or `ip`) of a flow's peer, IPv6 in brackets. */
export function flowSource(flow: Flow): string {
  const host = flow.remoteIp.includes(':') ? `[${flow.remoteIp}]` : flow.remoteIp;
  return flow.remotePort === null ? host : `${host}:${flow.remotePort}`;
}
