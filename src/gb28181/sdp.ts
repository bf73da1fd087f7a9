/**
 * Live-view SDP for GB/T 28181 INVITEs: the platform's offer (media goes to a media server such
 * as ZLMediaKit, never through the Worker), the SSRC carried in the `y=` line and the
 * `Subject` header, and the device's answer.
 * @module
 */

import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';

/** Parameters of a `s=Play` offer. */
export interface PlayOffer {
  /** Media server address that receives the PS-over-RTP stream. */
  mediaIp: string;
  mediaPort: number;
  /** 10 decimal digits, see {@link makeSsrc}. */
  ssrc: string;
  channelId: string;
  /** When given, the `o=` username instead of the channel ID. */
  platformId?: string;
  /** TCP-passive (media server listens): `TCP/RTP/AVP` with `a=setup:passive`, `a=connection:new`. */
  tcp?: boolean;
  /** `o=` session id; default 0. */
  sessionId?: string | number;
  /** `s=`: live view (default), or history from a RecordInfo item (§1.11: `u=<channelId>:0`, `t=<start> <end>`). */
  session?: SessionName;
  /** History only: the record's start and end, Unix seconds (see `historyTimes` in `history.ts`). */
  time?: { start: number; end: number };
  /** Download only: `a=downloadspeed:` (1, 2, 4 … times real time). */
  downloadSpeed?: number;
  /** Main or sub stream: an `a=` value from {@link streamAttribute}, e.g. `streamnumber:1`. */
  streamSelect?: string;
}

/** The `s=` names of the INVITEs a platform sends (GB/T 28181 §9.2, §9.8, §9.9). */
export type SessionName = 'Play' | 'Playback' | 'Download';

/**
 * How a device is told which stream to send: GB/T 28181-2022 `a=streamnumber:0|1`, or a vendor's variant
 * (WVP's list: `stream:0|1`, Dahua `streamprofile:0|1`, Mercury/TP-LINK `streamMode:main|sub`).
 */
export const STREAM_VARIANTS = ['streamnumber', 'stream', 'streamprofile', 'streamMode'] as const;
export type StreamVariant = (typeof STREAM_VARIANTS)[number];

/** The `a=` value selecting stream `n` (0 main, 1 sub) in `variant`'s words. */
export function streamAttribute(variant: StreamVariant, n: 0 | 1): string {
  if (variant === 'streamMode') return `streamMode:${n === 0 ? 'main' : 'sub'}`;
  return `${variant}:${n}`;
}

/** What the device's 200 OK SDP says about where its stream comes from. */
export interface PlayAnswer {
  ip: string;
  port: number;
  /** The `y=` value when present; devices may pick their own (adopt it, as WVP does). */
  ssrc?: string;
  transport: 'UDP' | 'TCP';
  /** `a=setup` value for TCP media. */
  setup?: string;
}

const CRLF = '\r\n';

/** `IP4` or `IP6` for an address literal. */
const addrType = (ip: string): string => (ip.includes(':') ? 'IP6' : 'IP4');

/**
 * The SDP body of a live-view (or playback, download) INVITE: `s=Play`, `m=video` offering PS (96), H.264 (98) and
 * MPEG-4 (97), `a=recvonly` and the `y=` SSRC; CRLF line ends.
 */
export function buildPlayOffer(o: PlayOffer): string {
  const at = addrType(o.mediaIp);
  const lines = [
    'v=0',
    `o=${o.platformId ?? o.channelId} ${o.sessionId ?? 0} 0 IN ${at} ${o.mediaIp}`,
    `s=${o.session ?? 'Play'}`,
    ...(o.session && o.session !== 'Play' ? [`u=${o.channelId}:0`] : []),
    `c=IN ${at} ${o.mediaIp}`,
    o.time ? `t=${o.time.start} ${o.time.end}` : 't=0 0',
    `m=video ${o.mediaPort} ${o.tcp === true ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96 98 97`,
    'a=recvonly',
    'a=rtpmap:96 PS/90000',
    'a=rtpmap:98 H264/90000',
    'a=rtpmap:97 MPEG4/90000',
  ];
  if (o.tcp === true) lines.push('a=setup:passive', 'a=connection:new');
  if (o.downloadSpeed !== undefined) lines.push(`a=downloadspeed:${o.downloadSpeed}`);
  if (o.streamSelect !== undefined) lines.push(`a=${o.streamSelect}`);
  lines.push(`y=${o.ssrc}`);
  return lines.join(CRLF) + CRLF;
}

/**
 * A 10-digit SSRC: digit 1 is `0` for live or `1` for playback/download, digits 2–6 are
 * digits 4–8 of the SIP domain/realm (GB/T 28181 Annex; WVP `SSRCFactory` uses
 * `substring(3, 8)`: `3402000000` → `20000`), digits 7–10 the serial mod 10000.
 * A realm shorter than 8 digits is right-padded with zeros.
 */
export function makeSsrc(realm: string, live: boolean, serial: number): string {
  const domain = realm.padEnd(8, '0').slice(3, 8);
  const seq = String(Math.abs(Math.trunc(serial)) % 10000).padStart(4, '0');
  return `${live ? '0' : '1'}${domain}${seq}`;
}

/** `Subject` header of the INVITE: `<channelId>:<ssrc>,<platformId>:0`. */
export function subjectHeader(channelId: string, ssrc: string, platformId: string): string {
  return `${channelId}:${ssrc},${platformId}:0`;
}

/** Address of a `c=` (or `o=`) line's `IN IP4 <addr>` tail. */
function connectionAddress(fields: readonly string[]): string | undefined {
  const at = fields.indexOf('IN');
  const addr = at < 0 ? undefined : fields[at + 2];
  return addr?.split('/')[0];
}

/**
 * Parse the device's answer SDP: the first `m=` line's port and protocol, its `c=` (media
 * level before session level, `o=` as a last resort), `a=setup` and the `y=` SSRC.
 * Fails when there is no `m=` line, no address, or the port is 0 (stream refused).
 */
export function parseAnswer(sdp: string): Result<PlayAnswer> {
  let sessionIp: string | undefined;
  let originIp: string | undefined;
  let mediaIp: string | undefined;
  let media: string[] | undefined;
  let setup: string | undefined;
  let ssrc: string | undefined;
  let later = false;
  for (const raw of sdp.split('\n')) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2).trim();
    const fields = value.split(/\s+/);
    const type = line[0];
    if (type === 'y') ssrc ??= value;
    else if (type === 'm' && media !== undefined) later = true; // only the first media section matters
    else if (later) continue;
    else if (type === 'o') originIp ??= connectionAddress(fields);
    else if (type === 'c' && media === undefined) sessionIp ??= connectionAddress(fields);
    else if (type === 'c') mediaIp ??= connectionAddress(fields);
    else if (type === 'm') media ??= fields;
    else if (type === 'a' && media !== undefined && value.startsWith('setup:')) setup ??= value.slice(6);
  }
  if (media === undefined) return fail('Answer SDP has no m= line');
  const port = Number(media[1]?.split('/')[0]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`Answer SDP has a bad media port: ${media[1] ?? ''}`);
  if (port === 0) return fail('Answer SDP refused the stream (port 0)');
  const ip = mediaIp ?? sessionIp ?? originIp;
  if (ip === undefined) return fail('Answer SDP has no connection address');
  const out: PlayAnswer = { ip, port, transport: (media[2] ?? '').toUpperCase().includes('TCP') ? 'TCP' : 'UDP' };
  if (ssrc !== undefined && ssrc !== '') out.ssrc = ssrc;
  if (setup !== undefined) out.setup = setup;
  return ok(out);
}
