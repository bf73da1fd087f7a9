/**
 * MESSAGEs from a GB/T 28181 device to the platform, as its flow handles them: only from a device registered
 * on this flow (else 404, GB/T 28181 §9.6); a keepalive is answered here when the flow holds the device's
 * lease, so the minute-by-minute heartbeat costs no hop and no write; anything else goes to the device's AOR.
 * A device's INVITE, ACK and BYE to the platform (voice broadcast, and a BYE ending one of our media sessions) are
 * in `flow-broadcast.ts`, re-exported here.
 * @module
 */
import { SipError } from '../sip/errors.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { RequestEssentials } from '../sip/validate.js';
import { contentTypeCharset } from '../gb28181/charset.js';
import { parseManscdpBody } from '../gb28181/manscdp.js';
import { holdsLiveBinding, keepaliveLocally, type Lease } from '../registrar/lease.js';
import type { GbConfig } from '../config.js';
import type { GbOutcome } from './aor-gb.js';
import type { GbEventOp } from './gb-events.js';

export { broadcastRequest, isBroadcastRequest } from './flow-broadcast.js';

/** What the flow lends to device MESSAGE handling. */
export interface DeviceHost {
  gb: GbConfig;
  flowId: string;
  hasAor(aor: string): boolean;
  lease(aor: string): Lease | null;
  setLease(aor: string, lease: Lease | null): void;
  canHoldLease(aor: string): boolean;
  /** Tell the AOR the device's bindings on this flow lapsed. */
  lapsed(aor: string): Promise<void>;
  /** The AOR object's `gbMessage`. */
  gbMessage(aor: string, body: Uint8Array, contentType: string | null, wantsLease: boolean, callId: string): Promise<{ status: number; reason: string; lease: Lease | null }>;
  /** The AOR object's `gbEvents` (a NOTIFY of one of its subscriptions). */
  gbEvents(aor: string, op: GbEventOp): Promise<GbOutcome>;
}

/** Whether a MANSCDP body is a `<Notify><CmdType>Keepalive`. */
export function isKeepalive(body: Uint8Array, contentType: string | null): boolean {
  const parsed = parseManscdpBody(body, contentTypeCharset(contentType ?? undefined));
  return parsed.ok && parsed.value.root === 'Notify' && parsed.value.cmdType === 'Keepalive';
}

/** Handle a MESSAGE whose Request-URI names the platform. */
export async function deviceMessage(host: DeviceHost, req: SipRequest, ess: RequestEssentials, now: number): Promise<SipResponse> {
  const device = ess.from.uri.user;
  const aor = device ? `sip:${device}@${host.gb.realm}` : '';
  if (!host.hasAor(aor)) throw new SipError(404, 'Not Found (device not registered)');
  const contentType = req.headers.get('content-type') ?? null;
  const lease = host.lease(aor);
  if (lease && isKeepalive(req.body, contentType)) {
    if (!holdsLiveBinding(lease, now)) {
      // The device let its registration lapse here (the AOR holds it to the lease's horizon): GB/T 28181
      // §9.6 answers 404, so the device registers again, and the AOR marks it offline.
      host.setLease(aor, null);
      await host.lapsed(aor);
      throw new SipError(404, 'Not Found (registration expired)');
    }
    const next = keepaliveLocally(lease, now);
    if (next) {
      host.setLease(aor, next);
      return createResponse(req, 200);
    }
  }
  // slice(): a parsed body may be a view into a shared slab, and RPC would copy the whole slab.
  const r = await host.gbMessage(aor, req.body.slice(), contentType, host.canHoldLease(aor), ess.callId);
  if (r.lease || r.status === 404) host.setLease(aor, r.lease);
  return createResponse(req, r.status, { reason: r.reason });
}
