/**
 * One request on a flow, from validation to its handler (REGISTER, a device's MESSAGE or NOTIFY to the platform,
 * OPTIONS to the service, everything else to the proxy), and the one place errors become responses: a
 * `SipError` to its response, anything else to a logged 500.
 * @module
 */
import { log } from '../log.js';
import { SipError } from '../sip/errors.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { CAPABILITIES } from '../sip/methods.js';
import { createResponse, errorResponse } from '../sip/response.js';
import { validateRequest } from '../sip/validate.js';
import { checkExtensions } from '../proxy/request-checks.js';
import { stampReceived } from '../transport/received.js';
import type { FlowAttachment } from './attachments.js';
import { broadcastRequest, deviceMessage, isBroadcastRequest } from './flow-device.js';
import { deviceNotify } from './flow-notify.js';
import { echoGbVersion } from '../gb28181/version.js';
import { deviceHost, registerHost, routerHost, type FlowParts } from './flow-hosts.js';
import { handleRegister } from './flow-register.js';
import type { FlowRouter } from './flow-routing.js';

/** Handle one request; returns the response to send, if any (a promise when it awaits another object). */
export function onRequest(router: FlowRouter, parts: FlowParts, ws: WebSocket, att: FlowAttachment, req: SipRequest): SipResponse | null | Promise<SipResponse | null> {
  const echo = (res: SipResponse | null) => (res ? echoGbVersion(req, res) : res); // GB/T 28181-2022 Annex I
  try {
    const res = dispatch(router, parts, ws, att, req);
    return res instanceof Promise ? res.catch((err: unknown) => failed(att, req, err)).then(echo) : echo(res);
  } catch (err) {
    return echo(failed(att, req, err));
  }
}

function dispatch(router: FlowRouter, parts: FlowParts, ws: WebSocket, att: FlowAttachment, req: SipRequest): SipResponse | null | Promise<SipResponse | null> {
  const checked = validateRequest(req);
  if (!checked.ok) throw checked.error;
  const ess = checked.value;
  stampReceived(req, ess.vias[0]!, att.flow);
  checkExtensions(req, ess);
  const gb = parts.config.gb;
  switch (req.method) {
    case 'REGISTER':
      return handleRegister(registerHost(parts, ws, att), req, ess);
    case 'MESSAGE':
    case 'NOTIFY': // to the platform: a GB device's MESSAGE, or its subscription's event (GB/T 28181 §9.11)
      if (gb && ess.requestUri.user === gb.platformId) return (req.method === 'NOTIFY' ? deviceNotify : deviceMessage)(deviceHost(parts, ws, att), req, ess, Date.now());
      return router.route(req, ess, routerHost(parts, ws, att));
    case 'OPTIONS':
      // To the service itself (no user): its capabilities (RFC 3261 §11.2); else relayed like any request.
      if (ess.requestUri.user === null && !req.headers.has('route') && router.isLocal(ess.requestUri, routerHost(parts, ws, att))) return createResponse(req, 200, { headers: CAPABILITIES });
      return router.route(req, ess, routerHost(parts, ws, att));
    default: // a GB device's INVITE, ACK, BYE to the platform (broadcast §9.12, or a BYE ending our media dialog), or proxied
      return isBroadcastRequest(parts.config, req, ess) ? broadcastRequest(parts, att, req, ess) : router.route(req, ess, routerHost(parts, ws, att));
  }
}

/** Errors map to responses here only: a SipError to its response, anything else to a logged 500. */
function failed(att: FlowAttachment, req: SipRequest, err: unknown): SipResponse {
  if (err instanceof SipError) return errorResponse(req, err);
  log('error', 'request failed', { flow: att.flow.id, method: req.method, callId: req.headers.get('call-id'), error: String(err) });
  return errorResponse(req, new SipError(500, 'Server Internal Error'));
}
