/**
 * A device ending a media session the platform started (GB/T 28181 §9.8.3, §9.2.2 flows): its BYE in our INVITE
 * dialog (a camera or NVR ends a playback, a download, or a live stream as it shuts down), or a
 * `Notify/MediaStatus` 121 at the end of a history stream, after which the platform sends the BYE. Either way
 * the session ends as an API stop ends it: the media session is marked ended (freeing its SSRC) and the media
 * server's receiver closed (`closeRtpServer`). The device's requests come from its flow (`flow-broadcast.ts`,
 * `flow-device.ts`); the media-server work runs after the answer (`waitUntil`).
 * @module
 */
import { log } from '../log.js';
import { contentTypeCharset } from '../gb28181/charset.js';
import { parseManscdpBody } from '../gb28181/manscdp.js';
import { END_OF_MEDIA, endedSession, mediaStatusNotify } from '../gb28181/media-status.js';
import { zlmClient } from '../media/gb-media.js';
import { readZlmConfig } from '../media/zlm.js';
import { liveStop, type GbHost, type GbOutcome } from './aor-gb.js';
import type { LiveSession } from './gb-device.js';
import { mediaServerStub } from './stubs.js';

/** Why a session the device hung up on ended. */
export const DEVICE_HUNG_UP = 'device hung up';
/** Why a history session ended at the device's `MediaStatus` 121. */
export const END_OF_FILE = 'end of media (MediaStatus 121)';
/** How long the platform's BYE after a `MediaStatus` 121 waits for the device (as the hooks' BYE). */
const BYE_WAIT_MS = 5_000;

/**
 * The device's BYE in a media dialog of ours: 200 and the session forgotten, its media session ended and the
 * receiver closed after the answer; 481 for a dialog we do not hold (RFC 3261 §15.1.2).
 */
export function deviceBye(o: GbHost, callId: string): GbOutcome {
  const s = o.store.session(callId);
  if (!s) return { ok: true, data: { status: 481, reason: 'Call/Transaction Does Not Exist' } };
  o.store.putSession(null, callId);
  if (s.stream) later(o, 'device BYE', hungUp(o, s.stream));
  return { ok: true, data: { status: 200, reason: 'OK' } };
}

/**
 * A MESSAGE from the device: when it is `Notify/MediaStatus` 121, the history session it ends is ended
 * after the 200 (media session, BYE, receiver). Anything else is left alone, cheaply.
 */
export function mediaStatus(o: GbHost, body: Uint8Array, contentType: string | null, callId?: string): void {
  if (!o.gb || !mentions(body, 'MediaStatus')) return;
  const m = parseManscdpBody(body, contentTypeCharset(contentType ?? undefined));
  const st = m.ok ? mediaStatusNotify(m.value) : null;
  if (!st?.ok || st.value.notifyType !== END_OF_MEDIA) return;
  const s = endedSession(o.store.sessions(), st.value, o.gb.current.deviceId, callId);
  if (s) later(o, 'MediaStatus 121', endOfMedia(o, s));
}

/** End of a history stream: mark it ended (once: else its ender BYEs), BYE the device, close the receiver. */
async function endOfMedia(o: GbHost, s: LiveSession): Promise<void> {
  const zlm = s.stream ? readZlmConfig(o.env) : null;
  if (zlm && !(await mediaServerStub(o.env, zlm.mediaServerId).end(s.stream!, 'ended', END_OF_FILE))) return;
  await liveStop(o, s.callId, BYE_WAIT_MS);
  if (zlm) await zlmClient(zlm).closeRtpServer(s.stream!);
}

/** The device hung up: mark the media session ended (once) and close its receiver. */
async function hungUp(o: GbHost, stream: string): Promise<void> {
  const zlm = readZlmConfig(o.env);
  if (zlm && (await mediaServerStub(o.env, zlm.mediaServerId).end(stream, 'ended', DEVICE_HUNG_UP))) await zlmClient(zlm).closeRtpServer(stream);
}

/** Whether the ASCII `word` occurs in `body` (MANSCDP's tags are ASCII in GB2312 and UTF-8 alike). */
function mentions(body: Uint8Array, word: string): boolean {
  const first = word.charCodeAt(0);
  outer: for (let i = body.indexOf(first); i >= 0 && i + word.length <= body.length; i = body.indexOf(first, i + 1)) {
    for (let j = 1; j < word.length; j++) if (body[i + j] !== word.charCodeAt(j)) continue outer;
    return true;
  }
  return false;
}

/** Media-server work after an answer: its failure is logged, never thrown at the device. */
function later(o: GbHost, what: string, p: Promise<void>): void {
  o.waitUntil(p.catch((e: unknown) => log('error', `media session end failed (${what})`, { error: String(e) })));
}
