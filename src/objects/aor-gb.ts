/**
 * The GB/T 28181 operations of an AOR object, kept out of the class so it stays a thin shell. Each checks
 * that the device can be reached and names why not; `src/http/gb-api.ts` turns the reasons into HTTP
 * statuses.
 * @module
 */
import type { Env } from '../env.js';
import type { GbConfig } from '../config.js';
import type { ControlCommand, QueryCmdType, QueryExtra } from '../gb28181/manscdp-build.js';
import { newDevice, type DeviceState } from '../gb28181/device.js';
import type { Binding } from '../registrar/bindings.js';
import type { AorStore } from './aor-store.js';
import { GbDevice, type InviteOptions, type LiveSession } from './gb-device.js';
import { directoryEntry } from './aor-leases.js';
import { gbDirectoryStub } from './stubs.js';
import { buildMansrtsp, MANSRTSP, type PlaybackControl } from '../gb28181/mansrtsp.js';
import type { PlatformRequests } from './platform-requests.js';

export { broadcast, broadcastMessage, type BroadcastOp } from './aor-broadcast.js';
export { mediaStatus } from './aor-media.js';

/** A device as the API shows it. */
export interface DeviceView extends DeviceState {
  sessions: Array<Omit<LiveSession, 'dialog'>>;
}

/** Why a GB operation has no data. */
export type GbFailure = 'not-a-device' | 'offline' | 'no-session' | 'timeout' | 'refused';

/** Outcome of a GB operation. */
export type GbOutcome =
  | { ok: true; data: unknown; partial?: boolean }
  | { ok: false; failure: GbFailure; error: string; sipStatus?: number };

/** What the operations need from the AOR object (lent by it, never public). */
export interface GbHost {
  gb: GbDevice | null;
  platform: PlatformRequests;
  store: AorStore;
  /** Live bindings, most preferred first. */
  live(): Binding[];
  now(): number;
  /** The Worker's environment (the media server's vars, object namespaces). */
  env: Env;
  /** Keep the object alive for work that runs after an answer (`ctx.waitUntil`). */
  waitUntil(p: Promise<unknown>): void;
}

/**
 * The device of the AOR object `ctx` names, when its domain is the GB realm (null otherwise): its state from
 * `store`, persisted there, and its directory row sent when it moves in a way the list shows.
 */
export function deviceOf(ctx: DurableObjectState, env: Env, gb: GbConfig | null, store: AorStore, now: number): GbDevice | null {
  const [user, host] = (ctx.id.name ?? '').replace(/^sips?:/, '').split('@');
  if (!gb || host !== gb.realm || !user) return null;
  return new GbDevice(gb, store.device() ?? newDevice(user), (s, before) => {
    store.putDevice(s);
    const entry = directoryEntry(before, s, Date.now());
    if (entry) ctx.waitUntil(gbDirectoryStub(env, gb.realm).upsert(entry).catch(() => undefined));
  }, now);
}

const fail = (failure: GbFailure, error: string, sipStatus?: number): GbOutcome =>
  ({ ok: false, failure, error, ...(sipStatus !== undefined ? { sipStatus } : {}) });

function reachable(o: GbHost): GbOutcome | null {
  if (!o.gb) return fail('not-a-device', 'not a GB28181 device');
  if (!o.gb.current.online || o.live().length === 0) return fail('offline', `device ${o.gb.current.deviceId} is offline`);
  return null;
}

/** The device's answer to a platform request, as an outcome. */
function answered(r: { status: number; reason: string }, what: string): GbOutcome | null {
  if (r.status === 408) return fail('timeout', `the device did not answer the ${what}`, 408);
  if (r.status >= 300) return fail('refused', `device answered ${r.status} ${r.reason}`, r.status);
  return null;
}

/** The device and its live sessions. */
export function view(o: GbHost): DeviceView | null {
  if (!o.gb) return null;
  return { ...o.gb.current, sessions: o.store.sessions().map(({ dialog: _d, ...s }) => s) };
}

/** Query the device and wait for its asynchronous answer. */
export async function query(o: GbHost, cmdType: QueryCmdType, waitMs: number, extra?: QueryExtra): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const r = await o.gb!.query(o.platform, o.live(), cmdType, waitMs, extra);
  if (r.kind === 'rejected') return answered(r, 'query')!;
  if (r.kind === 'timeout') return fail('timeout', `no ${cmdType} answer from the device within ${waitMs} ms`);
  return { ok: true, data: r.data, partial: !r.complete };
}

/** DeviceControl to the device (or a channel, `targetId`). */
export async function control(o: GbHost, targetId: string, command: ControlCommand, waitMs: number): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const r = await o.gb!.control(o.platform, o.live(), targetId, command, waitMs);
  return answered(r, 'control') ?? { ok: true, data: { status: r.status, reason: r.reason } };
}

/** Start live view: INVITE, 2xx with the device's SDP answer, ACK; the session is kept for BYE. */
export async function liveStart(o: GbHost, channelId: string, media: { ip: string; port: number; tcp?: boolean }, waitMs: number, opts?: InviteOptions): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const { result, session } = await o.gb!.startLive(o.platform, o.live(), channelId, media, waitMs, o.now(), opts);
  if (!session) return answered(result, 'INVITE') ?? fail('refused', 'no dialog in the answer', result.status);
  o.store.putSession(session, session.callId);
  const { dialog: _d, ...shown } = session;
  return { ok: true, data: shown };
}

/** Stop live view with BYE and forget the session. */
export async function liveStop(o: GbHost, callId: string, waitMs: number): Promise<GbOutcome> {
  const session = o.store.session(callId);
  if (!session) return fail('no-session', `no live session ${callId}`);
  const r = await o.platform.sendInDialog(session.dialog, 'BYE', waitMs);
  // A silent device keeps the session (the operator may retry); 481 means the device already forgot it.
  if (r.status === 408) return fail('timeout', 'the device did not answer the BYE', 408);
  o.store.putSession(null, callId);
  if (r.status >= 300 && r.status !== 481) return fail('refused', `device answered ${r.status} ${r.reason}`, r.status);
  return { ok: true, data: { status: r.status, reason: r.reason } };
}

/**
 * Playback control: an in-dialog INFO with a MANSRTSP body (GB/T 28181 §9.8.3) whose CSeq is the INFO's own,
 * so it counts up within the dialog; the device's final status and the body sent.
 */
export async function sessionInfo(o: GbHost, callId: string, control: PlaybackControl, waitMs: number): Promise<GbOutcome> {
  const session = o.store.session(callId);
  if (!session) return fail('no-session', `no session ${callId}`);
  const mansrtsp = buildMansrtsp(control, session.dialog.cseq + 1);
  const r = await o.platform.sendInDialog(session.dialog, 'INFO', waitMs, { contentType: MANSRTSP, body: mansrtsp });
  o.store.putSession(session, callId); // the dialog's CSeq moved on
  return answered(r, 'INFO') ?? { ok: true, data: { status: r.status, reason: r.reason, mansrtsp } };
}
