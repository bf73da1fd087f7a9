/**
 * Voice broadcast (GB/T 28181 §9.12): the platform's Notify/Broadcast, the device's Response/Broadcast, the
 * device's audio offer and the platform's sendonly answer.
 */
import { describe, expect, it } from 'vitest';
import { answerBroadcast, broadcastResult, buildBroadcastNotify, g711Payload, parseAudioOffer } from '../../src/gb28181/broadcast.js';
import { parseManscdp } from '../../src/gb28181/manscdp.js';

const PLATFORM = '34020000002000000001';
const CHANNEL = '34020000001370000001';
const SOURCE = { ip: '198.51.100.30', port: 10_000 };

/** A Hikvision-style broadcast offer: G.711A over UDP, recvonly, its own SSRC. */
const UDP_OFFER = [
  'v=0', `o=${CHANNEL} 0 0 IN IP4 192.168.1.64`, 's=Play', 'c=IN IP4 192.168.1.64', 't=0 0',
  'm=audio 15062 RTP/AVP 8 96', 'a=recvonly', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:96 PS/90000', 'y=0100000099', 'f=v/////a/1/8/1', '',
].join('\r\n');

describe('buildBroadcastNotify', () => {
  it('writes Notify/Broadcast with SN, SourceID and TargetID and no DeviceID, CRLF line ends', () => {
    expect(buildBroadcastNotify(17, PLATFORM, CHANNEL)).toBe(
      `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Broadcast</CmdType>\r\n<SN>17</SN>\r\n<SourceID>${PLATFORM}</SourceID>\r\n<TargetID>${CHANNEL}</TargetID>\r\n</Notify>\r\n`,
    );
  });

  it('escapes what it is given', () => {
    expect(buildBroadcastNotify(1, 'a<b', 'c&d')).toContain('<SourceID>a&lt;b</SourceID>\r\n<TargetID>c&amp;d</TargetID>');
  });
});

describe('broadcastResult', () => {
  const response = (result: string, extra = '') => {
    const m = parseManscdp(`<?xml version="1.0"?>\r\n<Response>\r\n<CmdType>Broadcast</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>${CHANNEL}</DeviceID>\r\n${result}${extra}</Response>\r\n`);
    if (!m.ok) throw new Error(m.error);
    return broadcastResult(m.value);
  };

  it('reads OK and ERROR (with its Reason), any case; a missing Result counts as OK', () => {
    expect(response('<Result>OK</Result>\r\n')).toEqual({ ok: true, value: { sn: 17, deviceId: CHANNEL, ok: true } });
    expect(response('<Result>error</Result>\r\n', '<Reason>busy</Reason>\r\n')).toEqual({ ok: true, value: { sn: 17, deviceId: CHANNEL, ok: false, reason: 'busy' } });
    expect(response('')).toMatchObject({ ok: true, value: { ok: true } });
  });

  it('fails for any other message', () => {
    const m = parseManscdp(`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>${CHANNEL}</DeviceID></Response>`);
    if (!m.ok) throw new Error(m.error);
    expect(broadcastResult(m.value)).toEqual({ ok: false, error: 'not a Broadcast response: <Response> Catalog' });
  });
});

describe('parseAudioOffer', () => {
  it('reads the audio address, port, payloads, rtpmap and the y= SSRC', () => {
    expect(parseAudioOffer(UDP_OFFER)).toEqual({
      ok: true,
      value: { ip: '192.168.1.64', port: 15062, transport: 'UDP', payloads: [8, 96], rtpmap: { 8: 'PCMA', 96: 'PS' }, ssrc: '0100000099' },
    });
  });

  it('takes the audio section of a multi-media offer, its own c= before the session one, and a=setup for TCP', () => {
    const sdp = ['v=0', 'o=x 0 0 IN IP4 10.0.0.1', 's=Play', 'c=IN IP4 10.0.0.2', 't=0 0', 'm=video 9000 RTP/AVP 96', 'c=IN IP4 10.0.0.3', 'a=setup:passive',
      'm=audio 9002 TCP/RTP/AVP 0', 'c=IN IP4 10.0.0.4', 'a=setup:active', 'a=connection:new'].join('\n');
    expect(parseAudioOffer(sdp)).toEqual({ ok: true, value: { ip: '10.0.0.4', port: 9002, transport: 'TCP', payloads: [0], rtpmap: {}, setup: 'active' } });
  });

  it('fails without an audio section, a usable port or an address', () => {
    expect(parseAudioOffer('v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 9000 RTP/AVP 96\r\n')).toEqual({ ok: false, error: 'the offer has no m=audio line' });
    expect(parseAudioOffer('v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 8\r\n')).toEqual({ ok: false, error: 'the offer has no usable audio port: 0' });
    expect(parseAudioOffer('v=0\r\nm=audio 9000 RTP/AVP 8\r\n')).toEqual({ ok: false, error: 'the offer has no connection address' });
  });
});

describe('g711Payload', () => {
  const offer = (payloads: number[], rtpmap: Record<number, string> = {}) => ({ ip: '1.2.3.4', port: 1, transport: 'UDP' as const, payloads, rtpmap });
  it('prefers PCMA, then PCMU, by static number or by rtpmap name', () => {
    expect(g711Payload(offer([0, 8]))).toEqual({ pt: 8, name: 'PCMA' });
    expect(g711Payload(offer([0]))).toEqual({ pt: 0, name: 'PCMU' });
    expect(g711Payload(offer([97], { 97: 'PCMA' }))).toEqual({ pt: 97, name: 'PCMA' });
    expect(g711Payload(offer([8], { 8: 'G729' }))).toBeNull(); // an rtpmap that remaps 8 wins
    expect(g711Payload(offer([18], { 18: 'G729' }))).toBeNull();
  });
});

describe('answerBroadcast', () => {
  it('answers a UDP offer from the source: sendonly PCMA, the device SSRC kept, f= G.711', () => {
    const a = answerBroadcast(UDP_OFFER, SOURCE, PLATFORM, '0200000001');
    expect(a).toMatchObject({ ok: true, ssrc: '0100000099' });
    expect(a.ok && a.sdp).toBe([
      'v=0', `o=${PLATFORM} 0 0 IN IP4 198.51.100.30`, 's=Play', 'c=IN IP4 198.51.100.30', 't=0 0',
      'm=audio 10000 RTP/AVP 8', 'a=sendonly', 'a=rtpmap:8 PCMA/8000', 'y=0100000099', 'f=v/////a/1/8/1', '',
    ].join('\r\n'));
  });

  it('answers TCP with the opposite setup (RFC 4145; absent means active), and uses its own SSRC when the device sent none', () => {
    const tcp = (setup: string | null) => ['v=0', 'c=IN IP4 10.0.0.4', 'm=audio 9002 TCP/RTP/AVP 0', ...(setup ? [`a=setup:${setup}`] : [])].join('\r\n');
    const active = answerBroadcast(tcp('active'), SOURCE, PLATFORM, '0200000001');
    expect(active.ok && active.sdp).toContain('m=audio 10000 TCP/RTP/AVP 0\r\na=sendonly\r\na=rtpmap:0 PCMU/8000\r\na=setup:passive\r\na=connection:new\r\ny=0200000001\r\n');
    const passive = answerBroadcast(tcp('passive'), SOURCE, PLATFORM, '0200000001');
    expect(passive.ok && passive.sdp).toContain('a=setup:active');
    const none = answerBroadcast(tcp(null), SOURCE, PLATFORM, '0200000001');
    expect(none.ok && none.sdp).toContain('a=setup:passive');
  });

  it('writes IP6 for an IPv6 source', () => {
    const a = answerBroadcast(UDP_OFFER, { ip: '2001:db8::5', port: 10_000 }, PLATFORM, '0');
    expect(a.ok && a.sdp).toContain('c=IN IP6 2001:db8::5');
  });

  it('is 488 without a source, without audio, or without G.711', () => {
    expect(answerBroadcast(UDP_OFFER, null, PLATFORM, '0')).toEqual({ ok: false, status: 488, reason: 'Not Acceptable Here (no broadcast audio source is configured)' });
    expect(answerBroadcast('v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 9 RTP/AVP 96\r\n', SOURCE, PLATFORM, '0')).toEqual({ ok: false, status: 488, reason: 'Not Acceptable Here (the offer has no m=audio line)' });
    expect(answerBroadcast('v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 9 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n', SOURCE, PLATFORM, '0')).toEqual({ ok: false, status: 488, reason: 'Not Acceptable Here (the offer has no PCMA or PCMU audio)' });
  });
});
