import { describe, expect, it } from 'vitest';
import { buildPlayOffer, makeSsrc, parseAnswer, subjectHeader } from '../../src/gb28181/sdp.js';

const CHANNEL = '34020000001310000001';
const PLATFORM = '34020000002000000001';

describe('SSRC', () => {
  it('puts 0 for live, realm digits 4–8 (WVP substring(3, 8)) and a 4-digit serial', () => {
    expect(makeSsrc('3402000000', true, 1)).toBe('0200000001');
    expect(makeSsrc('4401060000', true, 42)).toBe('0106000042');
  });

  it('puts 1 for playback', () => {
    expect(makeSsrc('3402000000', false, 9999)).toBe('1200009999');
  });

  it('wraps the serial at 10000 and always gives 10 digits', () => {
    expect(makeSsrc('3402000000', true, 10_001)).toBe('0200000001');
    expect(makeSsrc('34', true, 5)).toHaveLength(10);
  });

  it('formats the Subject header', () => {
    expect(subjectHeader(CHANNEL, '0200000001', PLATFORM)).toBe(`${CHANNEL}:0200000001,${PLATFORM}:0`);
  });
});

describe('buildPlayOffer', () => {
  it('offers UDP PS/H264/MPEG4 receive-only with the y= SSRC and CRLF line ends', () => {
    expect(buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30000, ssrc: '0200000001', channelId: CHANNEL })).toBe(
      [
        'v=0', `o=${CHANNEL} 0 0 IN IP4 198.51.100.20`, 's=Play', 'c=IN IP4 198.51.100.20', 't=0 0',
        'm=video 30000 RTP/AVP 96 98 97', 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=rtpmap:98 H264/90000',
        'a=rtpmap:97 MPEG4/90000', 'y=0200000001', '',
      ].join('\r\n'),
    );
  });

  it('offers TCP-passive media with setup and connection attributes before y=', () => {
    const sdp = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30002, ssrc: '0200000002', channelId: CHANNEL, tcp: true });
    expect(sdp).toContain('m=video 30002 TCP/RTP/AVP 96 98 97\r\n');
    expect(sdp).toContain('a=setup:passive\r\na=connection:new\r\ny=0200000002\r\n');
  });

  it('uses the platform ID and session id in o= when given', () => {
    const sdp = buildPlayOffer({ mediaIp: '10.0.0.1', mediaPort: 1, ssrc: '0', channelId: CHANNEL, platformId: PLATFORM, sessionId: 77 });
    expect(sdp).toContain(`o=${PLATFORM} 77 0 IN IP4 10.0.0.1\r\n`);
  });
});

describe('parseAnswer', () => {
  const answer = [
    'v=0', `o=${CHANNEL} 0 0 IN IP4 203.0.113.7`, 's=Play', 'c=IN IP4 203.0.113.7', 't=0 0',
    'm=video 15060 RTP/AVP 96', 'a=sendonly', 'a=rtpmap:96 PS/90000', 'y=0200000001', 'f=', '',
  ].join('\r\n');

  it('reads the device stream source and its SSRC', () => {
    expect(parseAnswer(answer)).toEqual({ ok: true, value: { ip: '203.0.113.7', port: 15060, ssrc: '0200000001', transport: 'UDP' } });
  });

  it('reads TCP answers with a setup role and LF-only lines', () => {
    const sdp = 'v=0\no=x 0 0 IN IP4 1.2.3.4\ns=Play\nc=IN IP4 10.1.1.1\nt=0 0\nm=video 6000 TCP/RTP/AVP 96\na=setup:active\n';
    expect(parseAnswer(sdp)).toEqual({ ok: true, value: { ip: '10.1.1.1', port: 6000, transport: 'TCP', setup: 'active' } });
  });

  it('prefers a media-level c= line and falls back to o=', () => {
    expect(parseAnswer('v=0\r\nc=IN IP4 1.1.1.1\r\nm=video 5 RTP/AVP 96\r\nc=IN IP4 2.2.2.2\r\n')).toMatchObject({ ok: true, value: { ip: '2.2.2.2' } });
    expect(parseAnswer('v=0\r\no=a 0 0 IN IP4 3.3.3.3\r\nm=video 5 RTP/AVP 96\r\n')).toMatchObject({ ok: true, value: { ip: '3.3.3.3' } });
  });

  it('round-trips its own offer', () => {
    const offer = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30000, ssrc: '0200000001', channelId: CHANNEL, tcp: true });
    expect(parseAnswer(offer)).toEqual({ ok: true, value: { ip: '198.51.100.20', port: 30000, ssrc: '0200000001', transport: 'TCP', setup: 'passive' } });
  });

  it.each([
    ['no m= line', 'v=0\r\nc=IN IP4 1.1.1.1\r\n', /no m= line/],
    ['a refused stream', 'v=0\r\nc=IN IP4 1.1.1.1\r\nm=video 0 RTP/AVP 96\r\n', /port 0/],
    ['a bad port', 'v=0\r\nc=IN IP4 1.1.1.1\r\nm=video x RTP/AVP 96\r\n', /bad media port/],
    ['no address', 'v=0\r\nm=video 5 RTP/AVP 96\r\n', /no connection address/],
    ['empty input', '', /no m= line/],
  ])('fails on %s', (_what, sdp, reason) => {
    const r = parseAnswer(sdp);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});

describe('parseAnswer with several media sections', () => {
  it('describes the first m= section and still reads a trailing y=', () => {
    const sdp = 'v=0\r\nc=IN IP4 1.1.1.1\r\nm=video 5000 RTP/AVP 96\r\nm=audio 5002 TCP/RTP/AVP 8\r\nc=IN IP4 9.9.9.9\r\na=setup:active\r\ny=0200000003\r\n';
    expect(parseAnswer(sdp)).toEqual({ ok: true, value: { ip: '1.1.1.1', port: 5000, transport: 'UDP', ssrc: '0200000003' } });
  });
});
