/**
 * `GET /sip`: the RFC 7118 WebSocket endpoint. Checks the upgrade and the
 * `sip` subprotocol, then hands the raw request to a fresh FlowObject, which
 * accepts the socket with hibernation and echoes the subprotocol.
 * @module
 */
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { BRIDGE_TRANSPORT_HEADER, bridgedTransport, FLOW_HEADERS } from '../transport/flow.js';
import { bridgedFlowStub, newFlowStub } from '../objects/stubs.js';

/** Subprotocols offered in `Sec-WebSocket-Protocol` (a comma-separated list). */
export function offeredProtocols(header: string | null): string[] {
  return (header ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** Route handler for the WebSocket upgrade. */
export async function sipWebSocket(c: Context<{ Bindings: Env }>): Promise<Response> {
  const req = c.req.raw;
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return c.text('Expected a WebSocket upgrade with subprotocol "sip" (RFC 7118)', 426, { Upgrade: 'websocket' });
  }
  if (!offeredProtocols(req.headers.get('sec-websocket-protocol')).includes('sip')) {
    return c.text('WebSocket subprotocol "sip" must be offered (RFC 7118 §4)', 400);
  }
  const url = new URL(req.url);
  const headers = new Headers(req.headers);
  for (const h of Object.values(FLOW_HEADERS)) headers.delete(h);
  const bridged = bridgeSource(req.headers);
  if (bridged === 'refused') return c.text('A udp-bridge must name the device address in x-bridge-source (ip:port)', 400);
  let stub;
  if (bridged) {
    // One flow object per device address (and transport), so a bridge reconnect reaches the same flow.
    const transport = bridgedTransport(req.headers.get(BRIDGE_TRANSPORT_HEADER));
    headers.set(FLOW_HEADERS.transport, transport);
    headers.set(FLOW_HEADERS.ip, bridged.ip);
    headers.set(FLOW_HEADERS.port, String(bridged.port));
    const advertise = req.headers.get(BRIDGE_ADVERTISE_HEADER);
    if (advertise && parseSource(advertise)) headers.set(FLOW_HEADERS.advertise, advertise);
    stub = bridgedFlowStub(c.env, transport, bridged.ip, bridged.port);
  } else {
    headers.set(FLOW_HEADERS.transport, url.protocol === 'https:' ? 'WSS' : 'WS');
    headers.set(FLOW_HEADERS.ip, req.headers.get('cf-connecting-ip') ?? '127.0.0.1');
    stub = newFlowStub(c.env);
  }
  headers.delete('authorization');
  return stub.fetch(new Request(req.url, { method: 'GET', headers }));
}

/** Header in which a udp-bridge names its own address as devices reach it (host:port). */
export const BRIDGE_ADVERTISE_HEADER = 'x-bridge-advertise';

/** Header in which an authenticated udp-bridge names the device's UDP source address. */
export const BRIDGE_SOURCE_HEADER = 'x-bridge-source';

/**
 * The device address forwarded by a udp-bridge (its token already checked by `bridgeToken`): null for an
 * ordinary client (no Authorization), refused when a bridge names no valid address.
 */
export function bridgeSource(headers: Headers): { ip: string; port: number } | null | 'refused' {
  if (headers.get('authorization') === null) return null;
  return parseSource(headers.get(BRIDGE_SOURCE_HEADER) ?? '') ?? 'refused';
}

/** Parse `ip:port` or `[ipv6]:port`. */
export function parseSource(text: string): { ip: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { ip: (m[1] ?? m[2])!, port };
}
