/**
 * A media session: one RTP receiver on the media server, the SSRC it expects, and the INVITE dialog that feeds
 * it (live view, playback or download). Pure transitions; `MediaServerObject` persists them, the hooks and the
 * API drive them.
 * @module
 */

/** What the session streams. */
export type MediaKind = 'live' | 'playback' | 'download';

/**
 * `opening`: SSRC allocated, receiver being opened; `inviting`: INVITE sent; `ready`: ACKed, no RTP yet;
 * `live`: the media server registered the stream (`on_stream_changed`); `ended`: stopped (BYE);
 * `failed`: the INVITE failed or no RTP came (`on_rtp_server_timeout`).
 */
export type MediaState = 'opening' | 'inviting' | 'ready' | 'live' | 'ended' | 'failed';

/** A session as stored and listed. */
export interface MediaSession {
  /** ZLM stream id (app `rtp`): `<channelId>_<ssrc>`. */
  stream: string;
  /** The SSRC we allocated and offered (`y=`). */
  ssrc: string;
  /** The device's own SSRC when it answered with another one (the receiver was told, `updateRtpServerSSRC`). */
  deviceSsrc: string | null;
  kind: MediaKind;
  deviceId: string;
  channelId: string;
  /** The device's AOR (its object holds the dialog). */
  aor: string;
  callId: string | null;
  state: MediaState;
  /** RTP port of the receiver; 0 until opened. */
  port: number;
  tcpMode: 0 | 1 | 2;
  /** Playback and download: the record's span as asked (GB local times). */
  startTime: string | null;
  endTime: string | null;
  createdAt: number;
  liveAt: number | null;
  endedAt: number | null;
  /** Why it ended or failed. */
  reason: string | null;
}

/** What a new session starts from. */
export type NewSession = Pick<MediaSession, 'kind' | 'deviceId' | 'channelId' | 'aor' | 'tcpMode' | 'startTime' | 'endTime'>;

/** Whether the session still holds its SSRC and receiver. */
export function isActive(s: MediaSession): boolean {
  return s.state !== 'ended' && s.state !== 'failed';
}

/** The stream id of a session: channel and SSRC, unique on the media server as the SSRC is. */
export function streamId(channelId: string, ssrc: string): string {
  return `${channelId}_${ssrc}`;
}

/** A fresh session in `opening`. */
export function opened(n: NewSession, ssrc: string, now: number): MediaSession {
  return {
    ...n, stream: streamId(n.channelId, ssrc), ssrc, deviceSsrc: null, callId: null, state: 'opening', port: 0,
    createdAt: now, liveAt: null, endedAt: null, reason: null,
  };
}

/** The fields the orchestrator moves along while it opens and invites. */
export type SessionPatch = Partial<Pick<MediaSession, 'port' | 'callId' | 'deviceSsrc' | 'state'>>;

const RANK: Record<MediaState, number> = { opening: 0, inviting: 1, ready: 2, live: 3, ended: 4, failed: 4 };

/**
 * Apply a patch to an active session. An ended one stays ended (a late step cannot revive it), and the state
 * only moves forward: a hook that marked the stream live before the INVITE's answer was recorded stays.
 */
export function patched(s: MediaSession, p: SessionPatch): MediaSession {
  if (!isActive(s)) return s;
  const { state, ...rest } = p;
  return { ...s, ...rest, ...(state !== undefined && RANK[state] > RANK[s.state] && RANK[state] < 4 ? { state } : {}) };
}

/** `on_stream_changed`: registered → `live` (first time noted); unregistered while live → back to `ready`. */
export function streamChanged(s: MediaSession, regist: boolean, now: number): MediaSession {
  if (!isActive(s)) return s;
  if (regist) return { ...s, state: 'live', liveAt: s.liveAt ?? now };
  return s.state === 'live' ? { ...s, state: 'ready' } : s;
}

/** End an active session (`ended` or `failed`, with why); null when it had already ended. */
export function ended(s: MediaSession, state: 'ended' | 'failed', reason: string, now: number): MediaSession | null {
  if (!isActive(s)) return null;
  return { ...s, state, reason, endedAt: now };
}
