/**
 * GB/T 28181 SSRC allocation. An SSRC is 10 decimal digits: digit 1 is `0` for live view and `1` for history
 * (playback, download); digits 2–6 are digits 4–8 of the SIP domain ID; digits 7–10 are unique on the media
 * server (GB/T 28181-2016 Annex F; WVP `SSRCFactory`: `domain.substring(3, 8)`, serials 0001–9999 per media
 * server). For the domain `3402000000` live SSRCs are `020000nnnn`.
 * @module
 */
import { makeSsrc } from './sdp.js';

/** Serials a prefix offers: 1–9999 (0000 is skipped, as WVP does). */
export const SERIALS = 9_999;

/** The 6-digit prefix every SSRC of this kind shares on a media server. */
export function ssrcPrefix(realm: string, history: boolean): string {
  return makeSsrc(realm, !history, 0).slice(0, 6);
}

/**
 * The next free serial after `cursor` (wrapping past 9999 to 1), or null when all 9999 are taken. Allocation
 * walks forward so a released SSRC is not handed out again at once (late RTP of an ended stream cannot land in
 * a new one).
 */
export function nextSerial(used: ReadonlySet<number>, cursor: number): number | null {
  if (used.size >= SERIALS) return null;
  let s = cursor;
  for (let i = 0; i < SERIALS; i++) {
    s = (s % SERIALS) + 1;
    if (!used.has(s)) return s;
  }
  return null;
}

/** The SSRC of `serial` under `prefix`. */
export function ssrcOf(prefix: string, serial: number): string {
  return `${prefix}${String(serial).padStart(4, '0')}`;
}

/** The serial (last 4 digits) of an SSRC. */
export function serialOf(ssrc: string): number {
  return Number(ssrc.slice(-4));
}

/** Whether `s` is an SSRC a device may answer with: decimal, fits 32 bits (RFC 3550 §5.1). */
export function isSsrc(s: string): boolean {
  return /^\d{1,10}$/.test(s) && Number(s) <= 0xffff_ffff;
}

/** ZLMediaKit's name of an SSRC in single-port mode: 8 upper-case hex digits. */
export function ssrcHex(ssrc: string): string {
  return Number(ssrc).toString(16).toUpperCase().padStart(8, '0');
}
