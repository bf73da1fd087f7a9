/**
 * Requests the proxy builds towards a branch: the forwarded copy (RFC 3261
 * §16.6), CANCEL (§9.1) and the ACK for a non-2xx final response (§17.1.1.3).
 * @module
 */
import { SipHeaders, type SipRequest, type SipResponse } from '../sip/message.js';
import { formatVia } from '../sip/via.js';
import type { FlowAddress } from '../transport/flow.js';

/** What changes in a forwarded copy. */
export interface ForwardOptions {
  /** New Request-URI (the registered contact), or null to keep it (in-dialog requests). */
  uri: string | null;
  /** Our Via for this branch. */
  via: { address: FlowAddress; branch: string };
  /** Record-Route values to put on top, if the request creates a dialog. */
  recordRoute?: readonly string[];
  /** Number of Route entries of ours to remove from the top (in-dialog requests). */
  popRoutes?: number;
}

/** Our Via value for a branch (RFC 3261 §16.6 step 8). */
export function viaValue(address: FlowAddress, branch: string): string {
  const [host, port] = splitHostPort(address.host);
  return formatVia({ protocol: 'SIP/2.0', transport: address.transport, host, port, params: new Map([['branch', branch]]) });
}

function splitHostPort(hostport: string): [string, number | null] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostport);
  return m ? [m[1]!, m[2] ? Number(m[2]) : null] : [hostport, null];
}

/**
 * Copy a request for forwarding: Request-URI, Max-Forwards decremented
 * (the caller has checked it is above 0), our Via on top, Record-Route.
 * The body is shared, never modified.
 */
export function forwardCopy(req: SipRequest, maxForwards: number | null, o: ForwardOptions): SipRequest {
  const headers = req.headers.clone();
  for (let i = 0; i < (o.popRoutes ?? 0); i++) headers.shift('route');
  headers.set('Max-Forwards', String(maxForwards === null ? 70 : maxForwards - 1));
  headers.prepend('Via', viaValue(o.via.address, o.via.branch));
  if (o.recordRoute) for (const rr of [...o.recordRoute].reverse()) headers.prepend('Record-Route', rr);
  return { type: 'request', method: req.method, uri: o.uri ?? req.uri, version: req.version, headers, body: req.body };
}

/**
 * CANCEL for a forwarded INVITE (RFC 3261 §9.1): same Request-URI, top Via,
 * Call-ID, From, To, CSeq number and Route as the request it cancels.
 */
export function cancelFor(invite: SipRequest): SipRequest {
  const h = new SipHeaders();
  const via = invite.headers.values('via')[0];
  if (via) h.append('Via', via);
  h.append('Max-Forwards', '70');
  for (const name of ['From', 'To', 'Call-ID']) {
    const v = invite.headers.get(name);
    if (v !== undefined) h.append(name, v);
  }
  for (const r of invite.headers.getAll('route')) h.append('Route', r);
  const seq = (invite.headers.get('cseq') ?? '1').trim().split(/\s+/)[0];
  h.append('CSeq', `${seq} CANCEL`);
  return { type: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers: h, body: new Uint8Array(0) };
}

/** ACK for a non-2xx final response to a forwarded INVITE (RFC 3261 §17.1.1.3): hop by hop, To from the response. */
export function ackFor(invite: SipRequest, res: SipResponse): SipRequest {
  const ack = cancelFor(invite);
  const to = res.headers.get('to');
  if (to !== undefined) ack.headers.set('To', to);
  const seq = (invite.headers.get('cseq') ?? '1').trim().split(/\s+/)[0];
  ack.headers.set('CSeq', `${seq} ACK`);
  return { ...ack, method: 'ACK' };
}
