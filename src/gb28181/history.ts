/**
 * Playback and download of recordings (GB/T 28181 §9.8, §9.9): the `t=` times of the INVITE from a RecordInfo
 * item's `StartTime`/`EndTime`, which are local times without a zone (A.2.1), and the speeds a device accepts.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import { parseGbDate } from './date.js';

/** Longest record span one INVITE may ask for (a day; devices split their records far shorter). */
export const MAX_SPAN_S = 86_400;

/**
 * `t=<start> <end>` of a Playback or Download INVITE: the item's local times read at `utcOffsetMinutes`, as
 * Unix seconds (what WVP, Monibuca and the cameras use; §1.11 of the notes), start before end.
 */
export function historyTimes(startTime: string, endTime: string, utcOffsetMinutes: number): Result<{ start: number; end: number }> {
  const a = parseGbDate(startTime, utcOffsetMinutes);
  if (!a.ok) return fail(`startTime: ${a.error}`);
  const b = parseGbDate(endTime, utcOffsetMinutes);
  if (!b.ok) return fail(`endTime: ${b.error}`);
  const start = Math.floor(a.value / 1000);
  const end = Math.floor(b.value / 1000);
  if (end <= start) return fail('endTime must be after startTime');
  if (end - start > MAX_SPAN_S) return fail(`at most ${MAX_SPAN_S} s may be asked for at once`);
  return ok({ start, end });
}

/** Download speeds (`a=downloadspeed:`) devices accept: multiples of real time. */
export const DOWNLOAD_SPEEDS = [1, 2, 4, 8] as const;

/** Playback speeds (`Scale:`): slow motion to fast forward, as WVP offers them. */
export const SCALES = [0.25, 0.5, 1, 2, 4, 8] as const;
