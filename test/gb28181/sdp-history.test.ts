import { describe, expect, it } from 'vitest';
import { buildPlayOffer, streamAttribute } from '../../src/gb28181/sdp.js';
import { historyTimes, MAX_SPAN_S } from '../../src/gb28181/history.js';

const CHANNEL = '34020000001310000001';

describe('Playback and Download offers (GB/T 28181 §9.8, §9.9)', () => {
  it('Playback: s=Playback, u=<channel>:0 after s=, t=<start> <end>, y= with the history SSRC', () => {
    const sdp = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30010, ssrc: '1200000001', channelId: CHANNEL, session: 'Playback', time: { start: 1716170400, end: 1716172200 } });
    expect(sdp.split('\r\n')).toEqual([
      'v=0', `o=${CHANNEL} 0 0 IN IP4 198.51.100.20`, 's=Playback', `u=${CHANNEL}:0`, 'c=IN IP4 198.51.100.20', 't=1716170400 1716172200',
      'm=video 30010 RTP/AVP 96 98 97', 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=rtpmap:98 H264/90000', 'a=rtpmap:97 MPEG4/90000', 'y=1200000001', '',
    ]);
  });

  it('Download: a=downloadspeed: before y=, after the TCP attributes', () => {
    const sdp = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30012, ssrc: '1200000002', channelId: CHANNEL, session: 'Download', time: { start: 1, end: 2 }, downloadSpeed: 4, tcp: true });
    expect(sdp).toMatch(/\r\na=setup:passive\r\na=connection:new\r\na=downloadspeed:4\r\ny=1200000002\r\n$/);
    expect(sdp).toContain('\r\ns=Download\r\nu=');
  });

  it('live view has no u= line and t=0 0', () => {
    const sdp = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30000, ssrc: '0200000001', channelId: CHANNEL });
    expect(sdp).not.toContain('u=');
    expect(sdp).toContain('\r\nt=0 0\r\n');
  });
});

describe('stream selection', () => {
  it('writes GB/T 28181-2022 a=streamnumber and the vendor variants', () => {
    expect(streamAttribute('streamnumber', 0)).toBe('streamnumber:0');
    expect(streamAttribute('streamnumber', 1)).toBe('streamnumber:1');
    expect(streamAttribute('stream', 1)).toBe('stream:1');
    expect(streamAttribute('streamprofile', 0)).toBe('streamprofile:0');
    expect(streamAttribute('streamMode', 0)).toBe('streamMode:main');
    expect(streamAttribute('streamMode', 1)).toBe('streamMode:sub');
  });

  it('puts the selection just before y=', () => {
    const sdp = buildPlayOffer({ mediaIp: '198.51.100.20', mediaPort: 30000, ssrc: '0200000001', channelId: CHANNEL, streamSelect: 'streamnumber:1' });
    expect(sdp).toMatch(/a=rtpmap:97 MPEG4\/90000\r\na=streamnumber:1\r\ny=0200000001\r\n$/);
  });
});

describe('historyTimes', () => {
  it('reads GB local times at the configured offset as Unix seconds', () => {
    const r = historyTimes('2024-05-20T10:00:00', '2024-05-20T10:30:00', 480);
    expect(r).toEqual({ ok: true, value: { start: Date.UTC(2024, 4, 20, 2) / 1000, end: Date.UTC(2024, 4, 20, 2, 30) / 1000 } });
    expect(historyTimes('2024-05-20T10:00:00', '2024-05-20T10:30:00', 0)).toEqual({ ok: true, value: { start: Date.UTC(2024, 4, 20, 10) / 1000, end: Date.UTC(2024, 4, 20, 10, 30) / 1000 } });
  });

  it('refuses an end before the start, bad times and spans over a day, saying which', () => {
    expect(historyTimes('2024-05-20T10:30:00', '2024-05-20T10:00:00', 480)).toMatchObject({ ok: false, error: expect.stringMatching(/after/) });
    expect(historyTimes('nonsense', '2024-05-20T10:00:00', 480)).toMatchObject({ ok: false, error: expect.stringMatching(/^startTime/) });
    expect(historyTimes('2024-05-20T10:00:00', '2024-02-30T10:00:00', 480)).toMatchObject({ ok: false, error: expect.stringMatching(/^endTime/) });
    expect(historyTimes('2024-05-20T00:00:00', '2024-05-21T00:00:01', 480)).toMatchObject({ ok: false, error: expect.stringContaining(String(MAX_SPAN_S)) });
  });
});
