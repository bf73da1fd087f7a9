/**
 * Voice broadcast in a device's AOR object (GB/T 28181 §9.12): the API's start sends `Notify/Broadcast` and
 * waits, bounded, for the device's INVITE to the source; the INVITE (brought by the device's flow,
 * `flow-broadcast.ts`) is answered from the audio source the start named, or 488; the session is kept
 * (SQLite) for the API's stop (BYE) and the device's own BYE. Operations name why they fail, as `aor-gb.ts`.
 * @module
 */
import type { GbConfig } from '../config.js';
import { answerBroadcast, broadcastResult, buildBroadcastNotify, type AudioSource } from '../gb28181/broadcast.js';
import { contentTypeCharset } from '../gb28181/charset.js';
import { parseManscdpBody } from '../gb28181/manscdp.js';
import { makeSsrc } from '../gb28181/sdp.js';
import type { FlowAddress } from '../transport/flow.js';
import type { GbFailure, GbHost, GbOutcome } from './aor-gb.js';
import { MANSCDP, type GbDevice } from './gb-device.js';
import type { PlatformDialog } from './platform-requests.js';
import { randomHex } from './stubs.js';
import { deviceBye } from './aor-media.js';

/** A broadcast the device accepted: its INVITE answered, the dialog the platform holds as UAS. */
export interface BroadcastSession {
  callId: string;
  sourceId: string;
  targetId: string;
  /** Where the device receives the audio (its offer), and the SSRC both sides use. */
  device: { ip: string; port: number; transport: 'UDP' | 'TCP'; setup?: string };
  ssrc: string;
  /** Where the audio comes from (our answer). */
  audio: AudioSource;
  offer: string;
  answer: string;
  /** `answered` until the device's ACK, then `confirmed`. */
  state: 'answered' | 'confirmed';
  startedAt: number;
  /** Our 200's To tag and Contact, replayed to a retransmitted INVITE. */
  toTag: string;
  contact: string;
  dialog: PlatformDialog;
}

/** A broadcast session as the API shows it. */
export type BroadcastView = Omit<BroadcastSession, 'dialog' | 'toTag' | 'contact'>;

/** The device's INVITE (or ACK, BYE) as its flow hands it over. */
export interface BroadcastInvite {
  callId: string;
  /** Request-URI user: the source the device calls. */
  sourceId: string;
  /** From user: the device or its audio channel. */
  fromUser: string;
  /** From and To values as received, Contact URI, Record-Route values in order. */
  from: string;
  to: string;
  contact: string;
  recordRoutes: string[];
  offer: string;
  flowId: string;
  /** How the device reaches us (our Contact and Via for the BYE). */
  address: FlowAddress;
}

/** One operation of {@link broadcast}. */
export type BroadcastOp =
  | { op: 'start'; sourceId: string; targetId: string; audio: AudioSource; waitMs: number }
  | { op: 'list' }
  | { op: 'stop'; callId: string; waitMs: number }
  | { op: 'invite'; invite: BroadcastInvite }
  | { op: 'ack' | 'bye'; callId: string };

/** The SIP answer to a request of the device (the `data` of the outcome of `invite`, `ack`, `bye`). */
export interface DialogAnswer {
  status: number;
  reason: string;
  toTag?: string;
  contact?: string;
  sdp?: string;
}

/** A start waiting for the device's INVITE. In memory: it is an RPC in progress, alive as long as the object. */
interface Waiter {
  sn: number;
  sourceId: string;
  targetId: string;
  audio: AudioSource;
  finish(o: GbOutcome): void;
}

/** The waiters of each device object (keyed by its `GbDevice`, which lives as long as the object). */
const waiters = new WeakMap<GbDevice, Waiter[]>();
let snCounter = Date.now() % 100_000;

const fail = (failure: GbFailure, error: string, sipStatus?: number): GbOutcome =>
  ({ ok: false, failure, error, ...(sipStatus !== undefined ? { sipStatus } : {}) });
const sip = (a: DialogAnswer): GbOutcome => ({ ok: true, data: a });

/** Run one broadcast operation on the device `o` (GB side `gb`). */
export function broadcast(o: GbHost, gb: GbConfig, op: BroadcastOp): Promise<GbOutcome> | GbOutcome {
  if (!o.gb) return fail('not-a-device', 'not a GB28181 device');
  switch (op.op) {
    case 'start': return start(o, o.gb, gb, op);
    case 'list': return { ok: true, data: { broadcasts: o.store.broadcasts().map(view), pending: (waiters.get(o.gb) ?? []).map((w) => ({ sourceId: w.sourceId, targetId: w.targetId })) } };
    case 'stop': return stop(o, op.callId, op.waitMs);
    case 'invite': return invite(o, o.gb, gb, op.invite);
    case 'ack': return ack(o, op.callId);
    case 'bye': return bye(o, op.callId);
  }
}

function view({ dialog: _d, toTag: _t, contact: _c, ...shown }: BroadcastSession): BroadcastView {
  return shown;
}

/** `Notify/Broadcast` to the device, then wait for its INVITE (or a refusal, or the end of the wait). */
async function start(o: GbHost, dev: GbDevice, gb: GbConfig, op: Extract<BroadcastOp, { op: 'start' }>): Promise<GbOutcome> {
  if (!dev.current.online || o.live().length === 0) return fail('offline', `device ${dev.current.deviceId} is offline`);
  snCounter = (snCounter + 1) % 1_000_000_000;
  let finish!: (x: GbOutcome) => void;
  const done = new Promise<GbOutcome>((resolve) => (finish = resolve));
  const w: Waiter = { sn: snCounter, sourceId: op.sourceId, targetId: op.targetId, audio: op.audio, finish: (x) => finish(x) };
  waiters.set(dev, [...(waiters.get(dev) ?? []), w]);
  const timer = setTimeout(() => finish(fail('timeout', `the device did not INVITE the broadcast source within ${op.waitMs} ms`)), op.waitMs);
  // The INVITE may come before the device's 200 to the MESSAGE: whichever settles first wins.
  void o.platform.send({
    method: 'MESSAGE', aor: `sip:${dev.current.deviceId}@${gb.realm}`, from: `sip:${gb.platformId}@${gb.realm}`,
    contentType: MANSCDP, body: buildBroadcastNotify(w.sn, op.sourceId, op.targetId), timeoutMs: op.waitMs,
  }, o.live()).then((r) => {
    if (r.status === 408) finish(fail('timeout', 'the device did not answer the Broadcast notify', 408));
    else if (r.status >= 300) finish(fail('refused', `device answered ${r.status} ${r.reason}`, r.status));
  });
  const outcome = await done;
  clearTimeout(timer);
  waiters.set(dev, (waiters.get(dev) ?? []).filter((x) => x !== w));
  return outcome;
}

/**
 * A MESSAGE from the device while a broadcast waits: a `Response/Broadcast` with `Result` ERROR ends the wait
 * (refused); OK changes nothing, the INVITE follows. Cheap when nothing waits.
 */
export function broadcastMessage(dev: GbDevice | null, body: Uint8Array, contentType: string | null): void {
  const list = dev ? waiters.get(dev) : undefined;
  if (!list?.length) return;
  const m = parseManscdpBody(body, contentTypeCharset(contentType ?? undefined));
  const r = m.ok ? broadcastResult(m.value) : null;
  if (!r?.ok || r.value.ok) return;
  const reason = r.value.reason ? ` (${r.value.reason})` : '';
  list.find((w) => w.sn === r.value.sn)?.finish(fail('refused', `the device refused the broadcast: Result ERROR${reason}`));
}

/** The device's INVITE to the source: answered from the waiting start's audio source (200), or 488, or 404. */
function invite(o: GbHost, dev: GbDevice, gb: GbConfig, inv: BroadcastInvite): GbOutcome {
  const known = o.store.broadcast(inv.callId);
  // A retransmitted INVITE (our 200 was lost, RFC 3261 §13.3.1.4) gets the same answer.
  if (known) return sip({ status: 200, reason: 'OK', toTag: known.toTag, contact: known.contact, sdp: known.answer });
  const list = (waiters.get(dev) ?? []).filter((w) => w.sourceId === inv.sourceId);
  const w = list.find((x) => x.targetId === inv.fromUser) ?? list[0];
  if (!w) return sip({ status: 404, reason: 'Not Found (no broadcast is pending for this device)' });
  const answer = answerBroadcast(inv.offer, w.audio, inv.sourceId, makeSsrc(gb.realm, true, w.sn % 10_000));
  if (!answer.ok) {
    w.finish(fail('refused', `the device's INVITE was answered ${answer.status}: ${answer.reason}`, answer.status));
    return sip({ status: answer.status, reason: answer.reason });
  }
  const toTag = randomHex(6);
  const contact = `<sip:${inv.sourceId}@${inv.address.host}${inv.address.transport === 'TCP' ? ';transport=tcp' : ''}>`;
  const { offer } = answer;
  const session: BroadcastSession = {
    callId: inv.callId, sourceId: inv.sourceId, targetId: w.targetId, ssrc: answer.ssrc, audio: w.audio, offer: inv.offer, answer: answer.sdp,
    device: { ip: offer.ip, port: offer.port, transport: offer.transport, ...(offer.setup ? { setup: offer.setup } : {}) },
    state: 'answered', startedAt: o.now(), toTag, contact,
    // As UAS (RFC 3261 §12.1.1): our side is the INVITE's To with our tag, the route set its Record-Route in order.
    dialog: { callId: inv.callId, from: `${inv.to};tag=${toTag}`, to: inv.from, remoteTarget: inv.contact, routes: inv.recordRoutes, flowId: inv.flowId, address: inv.address, cseq: 0 },
  };
  o.store.putBroadcast(session, inv.callId);
  w.finish({ ok: true, data: view(session) });
  return sip({ status: 200, reason: 'OK', toTag, contact, sdp: answer.sdp });
}

/** The device's ACK: the session is confirmed. ACK gets no answer. */
function ack(o: GbHost, callId: string): GbOutcome {
  const s = o.store.broadcast(callId);
  if (s && s.state !== 'confirmed') o.store.putBroadcast({ ...s, state: 'confirmed' }, callId);
  return sip({ status: 0, reason: '' });
}

/** The device's BYE: the broadcast ends (200); else it may end a media session of ours (`aor-media.ts`), or 481. */
function bye(o: GbHost, callId: string): GbOutcome {
  if (!o.store.broadcast(callId)) return deviceBye(o, callId);
  o.store.putBroadcast(null, callId);
  return sip({ status: 200, reason: 'OK' });
}

/** The API's stop: BYE in the dialog, and the session is forgotten (kept when the device stays silent, to retry). */
async function stop(o: GbHost, callId: string, waitMs: number): Promise<GbOutcome> {
  const s = o.store.broadcast(callId);
  if (!s) return fail('no-session', `no broadcast session ${callId}`);
  const r = await o.platform.sendInDialog(s.dialog, 'BYE', waitMs);
  if (r.status === 408) {
    o.store.putBroadcast(s, callId); // with the CSeq the BYE used (sendInDialog counts it)
    return fail('timeout', 'the device did not answer the BYE', 408);
  }
  o.store.putBroadcast(null, callId);
  if (r.status >= 300 && r.status !== 481) return fail('refused', `device answered ${r.status} ${r.reason}`, r.status);
  return { ok: true, data: { status: r.status, reason: r.reason } };
}
