/**
 * GB/T 28181 media through ZLMediaKit, the way WVP drives it: allocate the SSRC (the media server's object),
 * open an RTP receiver (`openRtpServer`), INVITE the device towards it (its AOR object sends INVITE and ACK),
 * adopt the device's own SSRC when it answers with another (`updateRtpServerSSRC`), and end it all in one
 * place (`stopMedia`): API stop, no reader, RTP timeout. The device's own end (its BYE, `MediaStatus` 121) is
 * ended the same way from its AOR object (`objects/aor-media.ts`). Runs in the Worker; the objects hold the state.
 * @module
 */
import type { Env } from '../env.js';
import type { GbConfig } from '../config.js';
import type { GbFailure, GbOutcome } from '../objects/aor-gb.js';
import type { LiveSession } from '../objects/gb-device.js';
import type { SessionName } from '../gb28181/sdp.js';
import { aorStub, mediaServerStub } from '../objects/stubs.js';
import { isActive, type MediaKind, type MediaSession } from './media-session.js';
import { playUrls, RTP_APP, ZlmClient, type PlayUrls, type ZlmConfig } from './zlm.js';

/** What to stream. */
export interface MediaRequest {
  kind: MediaKind;
  deviceId: string;
  channelId: string;
  /** TCP passive media (the media server listens, `tcp_mode` 1). */
  tcp: boolean;
  /** An `a=` stream selection (live view). */
  streamSelect?: string;
  /** Playback and download: the record's span (GB local times) and its `t=` (Unix seconds). */
  record?: { startTime: string; endTime: string; start: number; end: number };
  downloadSpeed?: number;
}

/** HTTP statuses the outcomes map to (chosen in `src/http/`, named here by reason). */
export type MediaFailure = GbFailure | 'no-ssrc' | 'media-server';

/** Outcome of a media operation. */
export type MediaOutcome = { ok: true; data: Record<string, unknown> } | { ok: false; failure: MediaFailure; error: string; sipStatus?: number };

const SESSION_NAMES: Record<MediaKind, SessionName> = { live: 'Play', playback: 'Playback', download: 'Download' };

/** The client of the configured media server (the Worker's `fetch`). */
export function zlmClient(zlm: ZlmConfig): ZlmClient {
  return new ZlmClient(zlm, (url, init) => fetch(url, init));
}

/** A session as the API shows it: with its play URLs. */
export function shown(zlm: ZlmConfig, s: MediaSession): MediaSession & { urls: PlayUrls; app: string } {
  return { ...s, app: RTP_APP, urls: playUrls(zlm.publicUrl, RTP_APP, s.stream) };
}

/** Start live view, playback or download of a channel through the media server. */
export async function startMedia(env: Env, gb: GbConfig, zlm: ZlmConfig, r: MediaRequest, waitMs: number): Promise<MediaOutcome> {
  const server = mediaServerStub(env, zlm.mediaServerId);
  const aor = `sip:${r.deviceId}@${gb.realm}`;
  const s = await server.allocate({
    kind: r.kind, deviceId: r.deviceId, channelId: r.channelId, aor, tcpMode: r.tcp ? 1 : 0,
    startTime: r.record?.startTime ?? null, endTime: r.record?.endTime ?? null,
  }, gb.realm);
  if (!s) return { ok: false, failure: 'no-ssrc', error: 'every SSRC of the media server is in use' };
  const client = zlmClient(zlm);
  const opened = await client.openRtpServer(s.stream, r.tcp ? 1 : 0, s.ssrc);
  if (!opened.ok) {
    await server.end(s.stream, 'failed', opened.error);
    return { ok: false, failure: 'media-server', error: opened.error };
  }
  const port = opened.value.port;
  await server.update(s.stream, { port, state: 'inviting' });
  const o = (await aorStub(env, aor).gbLiveStart(r.channelId, { ip: zlm.rtpIp, port, tcp: r.tcp }, waitMs, {
    ssrc: s.ssrc, session: SESSION_NAMES[r.kind], kind: r.kind, stream: s.stream,
    ...(r.record ? { time: { start: r.record.start, end: r.record.end } } : {}),
    ...(r.downloadSpeed !== undefined ? { downloadSpeed: r.downloadSpeed } : {}),
    ...(r.streamSelect !== undefined ? { streamSelect: r.streamSelect } : {}),
  })) as GbOutcome;
  if (!o.ok) {
    await server.end(s.stream, 'failed', o.error);
    await client.closeRtpServer(s.stream);
    return o;
  }
  const live = o.data as Omit<LiveSession, 'dialog'>;
  // The device may stream with its own SSRC (its y=): the receiver filters by SSRC, so tell it (WVP does too).
  let ssrcNote: string | undefined;
  if (live.deviceSsrc !== undefined) {
    const u = await client.updateRtpServerSSRC(s.stream, live.deviceSsrc);
    if (!u.ok) ssrcNote = u.error;
  }
  const now = await server.update(s.stream, { callId: live.callId, deviceSsrc: live.deviceSsrc ?? null, state: 'ready' });
  return {
    ok: true,
    data: {
      ...live, kind: r.kind, state: now?.state ?? 'ready', mediaServerId: zlm.mediaServerId, port,
      stream: { app: RTP_APP, stream: s.stream, ssrc: live.deviceSsrc ?? s.ssrc },
      urls: playUrls(zlm.publicUrl, RTP_APP, s.stream),
      ...(ssrcNote ? { warning: `updateRtpServerSSRC failed: ${ssrcNote}` } : {}),
    },
  };
}

/**
 * End a session once, whoever asks (API stop, a hook): mark it, BYE the device, close the receiver (unless
 * `closeReceiver` is false: ZLM already released it). Returns what the device answered; `no-session` when it had already ended.
 */
export async function stopMedia(env: Env, zlm: ZlmConfig, stream: string, end: { state: 'ended' | 'failed'; reason: string; closeReceiver: boolean }, waitMs: number): Promise<MediaOutcome> {
  const s = await mediaServerStub(env, zlm.mediaServerId).end(stream, end.state, end.reason);
  if (!s) return { ok: false, failure: 'no-session', error: `no active media session ${stream}` };
  const bye = s.callId ? ((await aorStub(env, s.aor).gbLiveStop(s.callId, waitMs)) as GbOutcome) : null;
  if (end.closeReceiver) await zlmClient(zlm).closeRtpServer(stream);
  const data: Record<string, unknown> = { stream, state: end.state, reason: end.reason };
  if (bye?.ok) Object.assign(data, bye.data as object);
  else if (bye) data.byeError = bye.error;
  return { ok: true, data };
}

/** The active media session of a dialog, if any. */
export async function sessionOfCall(env: Env, zlm: ZlmConfig, callId: string): Promise<MediaSession | null> {
  const s = await mediaServerStub(env, zlm.mediaServerId).byCall(callId);
  return s && isActive(s) ? s : null;
}
