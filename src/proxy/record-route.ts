/**
 * Record-Route values that let in-dialog requests traverse the service
 * (RFC 3261 §16.6 step 4). WebSocket UAs use `.invalid` Contact hosts, so
 * every in-dialog request must come back through us and name both flows.
 * Two entries are added (RFC 5658 double record-routing): one facing the
 * callee's transport, one facing the caller's. The flow names are signed so a
 * stranger cannot forge a route into someone's connection.
 * @module
 */
import { hmacSha256, timingSafeEqual, toHex } from '../auth/hash.js';
import type { SipUri } from '../sip/uri.js';
import type { FlowAddress } from '../transport/flow.js';

/** The dialog's two flows and the original caller's From tag. */
export interface DialogFlows {
  /** Caller's flow (FlowObject id). */
  a: string;
  /** Callee's flow. */
  b: string;
  /** From tag of the dialog-creating request: tells the direction of later requests. */
  ftag: string;
  /** Call-ID of the dialog: signed, not written, so a route serves its own dialog only. */
  callId: string;
}

const enc = new TextEncoder();

/** Signature over the dialog: its flows, the caller's From tag and the Call-ID. */
export function signFlows(secret: Uint8Array, d: DialogFlows): string {
  return toHex(hmacSha256(secret, enc.encode(`rr2|${d.a}|${d.b}|${d.ftag}|${d.callId}`)).subarray(0, 8));
}

/** SIP URI (text) of the service as seen from a flow, with `lr`. */
function routeUri(addr: FlowAddress, params: string): string {
  const transport = addr.transport === 'UDP' ? '' : `;transport=${addr.transport.toLowerCase()}`;
  return `<sip:${addr.host}${transport};lr;${params}>`;
}

/** The two Record-Route values, callee-facing first (the order they stand in the message). */
export function recordRoutes(secret: Uint8Array, d: DialogFlows, callee: FlowAddress, caller: FlowAddress): [string, string] {
  const params = `ftag=${d.ftag};fa=${d.a};fb=${d.b};fs=${signFlows(secret, d)}`;
  return [routeUri(callee, params), routeUri(caller, params)];
}

/**
 * Read a Route URI written by {@link recordRoutes} for the request of dialog `callId`; null when it is not
 * ours, or the signature is wrong, or it was written for another dialog.
 */
export function ourRoute(secret: Uint8Array, uri: SipUri, callId: string): DialogFlows | null {
  const a = uri.params.get('fa');
  const b = uri.params.get('fb');
  const ftag = uri.params.get('ftag');
  const fs = uri.params.get('fs');
  if (!a || !b || !ftag || !fs) return null;
  const d = { a, b, ftag, callId };
  return timingSafeEqual(signFlows(secret, d), fs) ? d : null;
}

/** Whether a request belongs to the dialog a route names: one of its tags is the caller's From tag. */
export function inDialogOf(d: DialogFlows, fromTag: string | null | undefined, toTag: string | null | undefined): boolean {
  return fromTag === d.ftag || toTag === d.ftag;
}
