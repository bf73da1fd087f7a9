/**
 * Server transport duties on an incoming request: record where it really
 * came from in the top Via (RFC 3261 §18.2.1 `received`, RFC 3581 `rport`).
 * @module
 */
import type { SipRequest } from '../sip/message.js';
import { formatVia, type Via } from '../sip/via.js';
import type { Flow } from './flow.js';

/**
 * Add `received` (always: WebSocket peers write `.invalid` or private hosts)
 * and fill `rport` when the client asked for it and the port is known.
 * Rewrites the top Via entry of `req` in place.
 */
export function stampReceived(req: SipRequest, top: Via, flow: Flow): void {
  const rport = top.params.get('rport');
  let text: string;
  if (!top.params.has('received') && (rport === undefined || flow.remotePort === null)) {
    // The usual case: `received` goes last and nothing else moves, so no copy of the parameters is needed.
    text = `${formatVia(top)};received=${flow.remoteIp}`;
  } else {
    const params = new Map(top.params);
    params.set('received', flow.remoteIp);
    if (rport !== undefined && flow.remotePort !== null) params.set('rport', String(flow.remotePort));
    text = formatVia({ ...top, params });
  }
  req.headers.shift('via');
  req.headers.prepend('Via', text);
}
