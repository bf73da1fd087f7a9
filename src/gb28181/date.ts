/**
 * GB/T 28181 timestamps: local ISO-8601 without a zone (`2024-05-20T10:15:30.123`).
 * @module
 */

import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';

const MINUTE_MS = 60_000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Calendar fields of `nowMs` shifted into the zone `utcOffsetMinutes` east of UTC. */
function localFields(nowMs: number, utcOffsetMinutes: number): Date {
  return new Date(nowMs + utcOffsetMinutes * MINUTE_MS);
}

/**
 * `Date:` header value for the 200 to REGISTER: `YYYY-MM-DDTHH:mm:ss.SSS` in local time,
 * no zone (WVP `GbSipDate`). Cameras set their clocks from it, so the offset must be the
 * cameras' zone (e.g. +480 for China), not the server's.
 */
export function gbDate(nowMs: number, utcOffsetMinutes: number): string {
  const d = localFields(nowMs, utcOffsetMinutes);
  return `${gbDateTime(nowMs, utcOffsetMinutes)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** `YYYY-MM-DDTHH:mm:ss` local time without zone: the form of RecordInfo `StartTime`/`EndTime`. */
export function gbDateTime(nowMs: number, utcOffsetMinutes: number): string {
  const d = localFields(nowMs, utcOffsetMinutes);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Lenient shape: unpadded fields, `T` or space, optional fraction, optional `Z` / `±hh:mm` zone. */
const GB_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parse a device timestamp (`DeviceTime`, record `StartTime` …) into epoch milliseconds.
 * Accepts the non-standard forms seen in the field (`2024-5-1T8:3:9`, millis, a zone);
 * without a zone the text is read as local time at `utcOffsetMinutes`.
 */
export function parseGbDate(text: string, utcOffsetMinutes: number): Result<number> {
  const m = GB_TIME.exec(text.trim());
  if (m === null) return fail(`Not a GB timestamp: ${JSON.stringify(text.slice(0, 40))}`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return fail(`Timestamp out of range: ${text}`);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(utc).getUTCDate() !== d) return fail(`No such day: ${text}`);
  return ok(utc - zoneMinutes(m[8], utcOffsetMinutes) * MINUTE_MS);
}

/** Offset in minutes of an ISO zone designator, or the fallback when there is none. */
function zoneMinutes(zone: string | undefined, fallback: number): number {
  if (zone === undefined) return fallback;
  if (zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return zone.startsWith('-') ? -minutes : minutes;
}
