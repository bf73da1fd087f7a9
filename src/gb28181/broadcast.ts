/**
 * Voice broadcast (GB/T 28181-2016 §9.12, the same in 2022): the platform's `Notify/Broadcast`, the device's
 * `Response/Broadcast`, and the audio SDP of the INVITE the device then sends the platform (an offer for
 * G.711 it wants to receive, `a=recvonly`, with its `y=` SSRC) and the platform's answer (`a=sendonly`, from
 * the audio source). WVP `SIPCommander.audioBroadcastCmd`, `InviteRequestProcessor`. Pure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import { escapeXml, type ManscdpCharset } from './manscdp-build.js';
import type { ManscdpMessage } from './manscdp.js';
import { text } from './manscdp-fields.js';

const CRLF = '\r\n';

/**
 * The `<Notify><CmdType>Broadcast</CmdType>` body: `SourceID` the audio source (the platform), `TargetID` the
 * device's audio output channel. It has no `DeviceID` (§A.2.5.6).
 */
export function buildBroadcastNotify(sn: number, sourceId: string, targetId: string, charset: ManscdpCharset = 'GB2312'): string {
  return `<?xml version="1.0" encoding="${charset}"?>${CRLF}<Notify>${CRLF}<CmdType>Broadcast</CmdType>${CRLF}<SN>${sn}</SN>${CRLF}` +
    `<SourceID>${escapeXml(sourceId)}</SourceID>${CRLF}<TargetID>${escapeXml(targetId)}</TargetID>${CRLF}</Notify>${CRLF}`;
}

/** The device's `Response/Broadcast`: whether it accepted (`Result` OK), for which SN. */
export interface BroadcastResult {
  sn: number;
  deviceId: string;
  ok: boolean;
  /** `Reason` when the device sent one with ERROR. */
  reason?: string;
}

/** Read a `Response/Broadcast`; fails for any other message. A missing `Result` counts as OK (the INVITE decides). */
export function broadcastResult(m: ManscdpMessage): Result<BroadcastResult> {
  if (m.root !== 'Response' || m.cmdType.toLowerCase() !== 'broadcast') return fail(`not a Broadcast response: <${m.root}> ${m.cmdType}`);
  const result = (text(m.fields, 'Result') ?? 'OK').toUpperCase();
  const reason = text(m.fields, 'Reason');
  return ok({ sn: m.sn, deviceId: m.deviceId, ok: result !== 'ERROR', ...(result === 'ERROR' && reason ? { reason } : {}) });
}

/** What the device's INVITE offers: where it receives audio, over what, which payload types. */
export interface AudioOffer {
  ip: string;
  port: number;
  transport: 'UDP' | 'TCP';
  /** `a=setup` of the device for TCP media (RFC 4145); absent means `active`. */
  setup?: string;
  /** The device's `y=` SSRC, kept in the answer. */
  ssrc?: string;
  /** Payload types of the `m=audio` line, in the device's order. */
  payloads: number[];
  /** `a=rtpmap` encoding names by payload type, upper-case (`PCMA`). */
  rtpmap: Record<number, string>;
}

/** Address of a `c=`/`o=` line's `IN IP4 <addr>` tail. */
function address(value: string): string | undefined {
  const f = value.split(/\s+/);
  const at = f.indexOf('IN');
  return at < 0 ? undefined : f[at + 2]?.split('/')[0];
}

/**
 * Parse the device's offer: its first `m=audio` section (port, protocol, payload types, rtpmap, `a=setup`),
 * the `c=` in force there (media level before session level, `o=` last), and the `y=` SSRC.
 */
export function parseAudioOffer(sdp: string): Result<AudioOffer> {
  let sessionIp: string | undefined;
  let originIp: string | undefined;
  let mediaIp: string | undefined;
  let media: string[] | undefined;
  let ssrc: string | undefined;
  let setup: string | undefined;
  let section: 'session' | 'audio' | 'other' = 'session';
  const rtpmap: Record<number, string> = {};
  for (const raw of sdp.split('\n')) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2).trim();
    if (type === 'y') ssrc ??= value;
    else if (type === 'm') section = media === undefined && /^audio\s/i.test(value) ? ((media = value.split(/\s+/)), 'audio') : 'other';
    else if (section === 'session' && type === 'o') originIp ??= address(value);
    else if (section === 'session' && type === 'c') sessionIp ??= address(value);
    else if (section !== 'audio') continue;
    else if (type === 'c') mediaIp ??= address(value);
    else if (type === 'a' && value.startsWith('setup:')) setup ??= value.slice(6).trim();
    else if (type === 'a' && value.startsWith('rtpmap:')) {
      const m = /^rtpmap:(\d+)\s+([^/\s]+)/.exec(value);
      if (m) rtpmap[Number(m[1])] = m[2]!.toUpperCase();
    }
  }
  if (media === undefined) return fail('the offer has no m=audio line');
  const port = Number(media[1]?.split('/')[0]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(`the offer has no usable audio port: ${media[1] ?? ''}`);
  const ip = mediaIp ?? sessionIp ?? originIp;
  if (ip === undefined) return fail('the offer has no connection address');
  const payloads = media.slice(3).map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n <= 127);
  const out: AudioOffer = { ip, port, transport: (media[2] ?? '').toUpperCase().includes('TCP') ? 'TCP' : 'UDP', payloads, rtpmap };
  if (ssrc) out.ssrc = ssrc;
  if (setup) out.setup = setup;
  return ok(out);
}

/** G.711 payloads a broadcast source sends, preferred first: PCMA (8), the GB default, then PCMU (0). */
const G711 = [{ pt: 8, name: 'PCMA' }, { pt: 0, name: 'PCMU' }] as const;

/** The G.711 payload type of the offer to answer with (by number or by rtpmap name), or null. */
export function g711Payload(offer: AudioOffer): { pt: number; name: 'PCMA' | 'PCMU' } | null {
  for (const c of G711) {
    const pt = offer.payloads.find((p) => (offer.rtpmap[p] ?? (p === c.pt ? c.name : '')) === c.name);
    if (pt !== undefined) return { pt, name: c.name };
  }
  return null;
}

/** The audio source the platform answers with (where the G.711 RTP comes from). */
export interface AudioSource {
  ip: string;
  port: number;
}

/** The answer to a broadcast INVITE, or why the offer cannot be served (488, RFC 3261 §21.4.26). */
export type BroadcastAnswer =
  | { ok: true; sdp: string; offer: AudioOffer; ssrc: string }
  | { ok: false; status: 488; reason: string };

/**
 * Answer the device's offer from `source`: `m=audio <source port>` with the offer's protocol and the chosen
 * G.711 payload, `a=sendonly`, the device's SSRC (or `ssrc` when it sent none), `f=v/////a/1/8/1` (G.711,
 * 64 kbit/s, 8 kHz) and for TCP the opposite `a=setup` (RFC 4145) with `a=connection:new`. 488 when there is no
 * source, no audio section, or no G.711 in it.
 */
export function answerBroadcast(offerSdp: string, source: AudioSource | null, sourceId: string, ssrc: string): BroadcastAnswer {
  if (!source) return { ok: false, status: 488, reason: 'Not Acceptable Here (no broadcast audio source is configured)' };
  const offer = parseAudioOffer(offerSdp);
  if (!offer.ok) return { ok: false, status: 488, reason: `Not Acceptable Here (${offer.error})` };
  const codec = g711Payload(offer.value);
  if (!codec) return { ok: false, status: 488, reason: 'Not Acceptable Here (the offer has no PCMA or PCMU audio)' };
  const at = source.ip.includes(':') ? 'IP6' : 'IP4';
  const tcp = offer.value.transport === 'TCP';
  const y = offer.value.ssrc ?? ssrc;
  const lines = [
    'v=0', `o=${sourceId} 0 0 IN ${at} ${source.ip}`, 's=Play', `c=IN ${at} ${source.ip}`, 't=0 0',
    `m=audio ${source.port} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} ${codec.pt}`, 'a=sendonly', `a=rtpmap:${codec.pt} ${codec.name}/8000`,
  ];
  if (tcp) lines.push(`a=setup:${offer.value.setup === 'passive' ? 'active' : 'passive'}`, 'a=connection:new');
  lines.push(`y=${y}`, 'f=v/////a/1/8/1');
  return { ok: true, sdp: lines.join(CRLF) + CRLF, offer: offer.value, ssrc: y };
}
