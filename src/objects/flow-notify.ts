/**
 * NOTIFYs from a GB/T 28181 device to the platform (its subscriptions' events, RFC 6665 §4.1.3), as its
 * flow handles them: only from a device registered on this flow (else 404, as for its MESSAGEs), handed
 * with the dialog identifiers to the device's AOR, whose answer (200, 481, 489, 400) goes back.
 * @module
 */
import { SipError } from '../sip/errors.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { RequestEssentials } from '../sip/validate.js';
import type { DeviceHost } from './flow-device.js';

/** Handle a NOTIFY whose Request-URI names the platform. */
export async function deviceNotify(host: DeviceHost, req: SipRequest, ess: RequestEssentials, _now?: number): Promise<SipResponse> {
  const device = ess.from.uri.user;
  const aor = device ? `sip:${device}@${host.gb.realm}` : '';
  if (!host.hasAor(aor)) throw new SipError(404, 'Not Found (device not registered)');
  const o = await host.gbEvents(aor, {
    op: 'notify',
    notify: {
      callId: ess.callId, localTag: ess.to.params.get('tag') ?? null, remoteTag: ess.from.params.get('tag') ?? null,
      event: req.headers.get('event') ?? null, subscriptionState: req.headers.get('subscription-state') ?? null,
      // slice(): a parsed body may be a view into a shared slab, and RPC would copy the whole slab.
      contentType: req.headers.get('content-type') ?? null, body: req.body.slice(),
    },
  });
  const r = o.ok ? (o.data as { status: number; reason: string }) : { status: 481, reason: 'Subscription Does Not Exist' };
  return createResponse(req, r.status, { reason: r.reason });
}
