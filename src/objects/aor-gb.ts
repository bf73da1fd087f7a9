/**
 * The GB/T 28181 operations of an AOR object, kept out of the class so it
 * stays a thin shell. Each checks the device can be reached (404 unknown,
 * 409 offline) and maps the device's silence to a timeout (504 at the API).
 * @module
 */
import type { ControlCommand, QueryCmdType, QueryExtra } from '../gb28181/manscdp-build.js';
import type { DeviceState } from '../gb28181/device.js';
import type { AorObject } from './aor-object.js';
import type { LiveSession } from './gb-device.js';

/** A device as the API shows it. */
export interface DeviceView extends DeviceState {
  sessions: Array<Omit<LiveSession, 'dialog'>>;
}

/** Outcome of a GB operation, with the HTTP status the API should use. */
export type GbOutcome =
  | { ok: true; data: unknown; partial?: boolean }
  | { ok: false; http: 404 | 409 | 502 | 504; error: string; sipStatus?: number };

function reachable(o: AorObject): GbOutcome | null {
  if (!o.gb) return { ok: false, http: 404, error: 'not a GB28181 device' };
  if (!o.gb.current.online || o.live().length === 0) return { ok: false, http: 409, error: `device ${o.gb.current.deviceId} is offline` };
  return null;
}

/** A MESSAGE from the device: 404 unless it is registered (GB/T 28181 §9.6), else keepalive or an answer. */
export function onMessage(o: AorObject, body: Uint8Array, contentType: string | null): { status: number; reason: string } {
  if (!o.gb || o.live().length === 0) return { status: 404, reason: 'Not Found (device not registered)' };
  const res = o.gb.onMessage(body, contentType, o.now());
  o.schedule();
  return res;
}

/** The device and its live sessions. */
export function view(o: AorObject): DeviceView | null {
  if (!o.gb) return null;
  return { ...o.gb.current, sessions: o.store.sessions().map(({ dialog: _d, ...s }) => s) };
}

/** Query the device and wait for its asynchronous answer. */
export async function query(o: AorObject, cmdType: QueryCmdType, waitMs: number, extra?: QueryExtra): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const r = await o.gb!.query(o.platform, o.live(), cmdType, waitMs, extra);
  if (r.kind === 'rejected') return { ok: false, http: r.status === 408 ? 504 : 502, error: `device answered ${r.status} ${r.reason}`, sipStatus: r.status };
  if (r.kind === 'timeout') return { ok: false, http: 504, error: `no ${cmdType} answer from the device within ${waitMs} ms` };
  return { ok: true, data: r.data, partial: !r.complete };
}

/** DeviceControl to the device (or a channel, `targetId`). */
export async function control(o: AorObject, targetId: string, command: ControlCommand, waitMs: number): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const r = await o.gb!.control(o.platform, o.live(), targetId, command, waitMs);
  if (r.status === 408) return { ok: false, http: 504, error: 'the device did not answer', sipStatus: 408 };
  if (r.status >= 300) return { ok: false, http: 502, error: `device answered ${r.status} ${r.reason}`, sipStatus: r.status };
  return { ok: true, data: { status: r.status, reason: r.reason } };
}

/** Start live view: INVITE, 2xx with the device's SDP answer, ACK; the session is kept for BYE. */
export async function liveStart(o: AorObject, channelId: string, media: { ip: string; port: number; tcp?: boolean }, waitMs: number): Promise<GbOutcome> {
  const blocked = reachable(o);
  if (blocked) return blocked;
  const { result, session } = await o.gb!.startLive(o.platform, o.live(), channelId, media, waitMs, o.now());
  if (!session) {
    if (result.status === 408) return { ok: false, http: 504, error: 'the device did not answer the INVITE', sipStatus: 408 };
    return { ok: false, http: 502, error: `device answered ${result.status} ${result.reason}`, sipStatus: result.status };
  }
  o.store.putSession(session, session.callId);
  const { dialog: _d, ...view } = session;
  return { ok: true, data: view };
}

/** Stop live view with BYE and forget the session. */
export async function liveStop(o: AorObject, callId: string, waitMs: number): Promise<GbOutcome> {
  const session = o.store.session(callId);
  if (!session) return { ok: false, http: 404, error: `no live session ${callId}` };
  const r = await o.platform.sendInDialog(session.dialog, 'BYE', waitMs);
  // A silent device keeps the session (the operator may retry); 481 means the device already forgot it.
  if (r.status === 408) return { ok: false, http: 504, error: 'the device did not answer the BYE', sipStatus: 408 };
  o.store.putSession(null, callId);
  if (r.status >= 300 && r.status !== 481) return { ok: false, http: 502, error: `device answered ${r.status} ${r.reason}`, sipStatus: r.status };
  return { ok: true, data: { status: r.status, reason: r.reason } };
}
