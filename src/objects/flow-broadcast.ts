/**
 * A GB/T 28181 device's side of a voice broadcast, as its flow handles it (GB/T 28181 §9.12): after the
 * platform's `Notify/Broadcast` the device INVITEs the source ID (the platform) with an audio offer, then ACKs
 * our 200, and may end the broadcast with BYE. Those requests name the source in the Request-URI and have no
 * Route of ours, so they are not proxied: the flow hands each to the device's AOR object, which holds the
 * broadcast, and turns its answer into the response. A BYE in one of the platform's own INVITE dialogs (live
 * view, playback, download: Request-URI our Contact, `sip:<platform ID>@…`) takes the same way; the AOR ends
 * that media session (`aor-media.ts`).
 * @module
 */
import type { Config } from '../config.js';
import { SipError } from '../sip/errors.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { RequestEssentials } from '../sip/validate.js';
import { flowAddress } from '../transport/flow.js';
import type { DialogAnswer } from './aor-broadcast.js';
import type { GbOutcome } from './aor-gb.js';
import type { FlowAttachment } from './attachments.js';
import type { FlowParts } from './flow-hosts.js';
import { aorStub } from './stubs.js';

const METHODS = new Set(['INVITE', 'ACK', 'BYE']);

/** Whether a request is a device's INVITE, ACK or BYE to the platform ID (broadcast source, or our media dialog's Contact). */
export function isBroadcastRequest(config: Config, req: SipRequest, ess: RequestEssentials): boolean {
  return config.gb !== null && METHODS.has(req.method) && ess.requestUri.user === config.gb.platformId && !req.headers.has('route');
}

/**
 * The device's AOR on this flow: the From user's, or (an audio or video channel ID in From) the flow's one GB device.
 * Null when the sender is not registered here.
 */
function deviceAor(p: FlowParts, att: FlowAttachment, fromUser: string): string | null {
  const realm = p.config.gb!.realm;
  const own = `sip:${fromUser}@${realm}`;
  if (p.aors.has(att, own)) return own;
  const devices = p.aors.devices(realm);
  return devices.length === 1 ? devices[0]! : null;
}

/** Handle a request {@link isBroadcastRequest} picked: the response to send (none for ACK). */
export async function broadcastRequest(p: FlowParts, att: FlowAttachment, req: SipRequest, ess: RequestEssentials): Promise<SipResponse | null> {
  const fromUser = ess.from.uri.user ?? '';
  const aor = deviceAor(p, att, fromUser);
  if (!aor) {
    if (req.method === 'ACK') return null;
    throw new SipError(404, 'Not Found (device not registered)');
  }
  const stub = aorStub(p.env, aor);
  const callId = ess.callId;
  if (req.method !== 'INVITE') {
    const r = (await stub.gbBroadcast({ op: req.method === 'ACK' ? 'ack' : 'bye', callId })) as GbOutcome;
    return req.method === 'ACK' ? null : answer(req, r);
  }
  const r = (await stub.gbBroadcast({
    op: 'invite',
    invite: {
      callId, sourceId: ess.requestUri.user!, fromUser, from: req.headers.get('from') ?? '', to: req.headers.get('to') ?? '',
      contact: uriText(req.headers.get('contact') ?? '') || req.headers.get('from')?.match(/<([^>]+)>/)?.[1] || `sip:${fromUser}@${p.config.gb!.realm}`,
      recordRoutes: req.headers.values('record-route'), offer: new TextDecoder().decode(req.body),
      flowId: att.flow.id, address: flowAddress(att.flow, p.config.domain),
    },
  })) as GbOutcome;
  return answer(req, r);
}

/** The URI inside a Contact value (`<uri>;params` or a bare URI). */
function uriText(value: string): string {
  return /<([^>]+)>/.exec(value)?.[1] ?? value.split(';')[0]!.trim();
}

/** The AOR's answer as the response to `req`. */
function answer(req: SipRequest, r: GbOutcome): SipResponse {
  if (!r.ok) throw new SipError(r.failure === 'not-a-device' ? 404 : 500, r.error);
  const a = r.data as DialogAnswer;
  return createResponse(req, a.status, {
    reason: a.reason,
    ...(a.toTag ? { toTag: a.toTag } : {}),
    ...(a.contact ? { headers: [['Contact', a.contact]] as const } : {}),
    ...(a.sdp ? { body: a.sdp, contentType: 'application/sdp' } : {}),
  });
}
