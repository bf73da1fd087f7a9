/**
 * `GET /sip`: the RFC 7118 WebSocket endpoint. Checks the upgrade and the
 * `sip` subprotocol, then hands the raw request to a fresh FlowObject, which
 * accepts the socket with hibernation and echoes the subprotocol.
 * @module
 */
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { FLOW_HEADERS } from '../objects/flow-object.js';

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
  headers.set(FLOW_HEADERS.transport, url.protocol === 'https:' ? 'WSS' : 'WS');
  headers.set(FLOW_HEADERS.ip, req.headers.get('cf-connecting-ip') ?? '127.0.0.1');
  const stub = c.env.FLOW.get(c.env.FLOW.newUniqueId());
  return stub.fetch(new Request(req.url, { method: 'GET', headers }));
}
