/**
 * Media status notification (GB/T 28181 §9.8.3, A.2.5.5): a device that reaches the end of a history stream
 * (playback or download) sends `MESSAGE <Notify><CmdType>MediaStatus</CmdType><NotifyType>121</NotifyType>`;
 * the platform answers 200 and then ends the session with BYE. Which session the notify ends, among the
 * device's, is chosen here too. Pure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import type { ManscdpMessage } from './manscdp.js';
import { str } from './manscdp-fields.js';

/** `NotifyType` of the end of a history media stream ("121: 历史媒体文件发送结束"). */
export const END_OF_MEDIA = '121';

/** A parsed `Notify/MediaStatus`. */
export interface MediaStatus {
  sn: number;
  /** `DeviceID`: the channel whose stream ended (some devices name themselves). */
  deviceId: string;
  notifyType: string;
}

/** `Notify/MediaStatus` → its fields; fails for another message or without a `NotifyType`. */
export function mediaStatusNotify(m: ManscdpMessage): Result<MediaStatus> {
  if (m.root !== 'Notify' || m.cmdType.toLowerCase() !== 'mediastatus') return fail(`Expected Notify/MediaStatus, got ${m.root}/${m.cmdType}`);
  const notifyType = str(m.fields, 'NotifyType').trim();
  if (!/^\d{1,4}$/.test(notifyType)) return fail('MediaStatus has no numeric NotifyType');
  return ok({ sn: m.sn, deviceId: m.deviceId, notifyType });
}

/** What {@link endedSession} needs to know of a session. */
export interface StatusCandidate {
  callId: string;
  channelId: string;
  kind?: 'live' | 'playback' | 'download';
  startedAt: number;
}

/**
 * The history session (playback or download) a `MediaStatus` 121 ends: the one whose dialog carried the
 * MESSAGE (same Call-ID, as some devices send it), else the oldest of those on the channel it names, else —
 * when it names the device itself — the device's oldest. Null when none matches: live view never ends so.
 */
export function endedSession<T extends StatusCandidate>(sessions: readonly T[], status: MediaStatus, deviceId: string, callId?: string): T | null {
  const history = sessions.filter((s) => s.kind === 'playback' || s.kind === 'download');
  const inDialog = history.find((s) => s.callId === callId);
  if (inDialog) return inDialog;
  const oldest = (list: T[]) => list.reduce<T | null>((a, s) => (a === null || s.startedAt < a.startedAt ? s : a), null);
  const onChannel = oldest(history.filter((s) => s.channelId === status.deviceId));
  if (onChannel) return onChannel;
  return status.deviceId === deviceId ? oldest(history) : null;
}
