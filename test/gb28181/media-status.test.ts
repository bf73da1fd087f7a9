import { describe, expect, it } from 'vitest';
import { parseManscdp, parseManscdpBody } from '../../src/gb28181/manscdp.js';
import { END_OF_MEDIA, endedSession, mediaStatusNotify, type StatusCandidate } from '../../src/gb28181/media-status.js';

function parsed(xml: string) {
  const m = parseManscdp(xml);
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

const DEVICE = '34020000001320000001';
const CHANNEL = '34020000001310000001';
const OTHER = '34020000001310000002';
const notify = (inner: string, deviceId = CHANNEL, cmdType = 'MediaStatus') =>
  `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n${inner}</Notify>\r\n`;

describe('Notify/MediaStatus (GB/T 28181 §9.8.3, A.2.5.5)', () => {
  it('reads SN, DeviceID and NotifyType; 121 is the end of a history stream', () => {
    expect(mediaStatusNotify(parsed(notify('<NotifyType>121</NotifyType>\r\n')))).toEqual({ ok: true, value: { sn: 17, deviceId: CHANNEL, notifyType: '121' } });
    expect(END_OF_MEDIA).toBe('121');
  });

  it('reads a GB2312 body with the tags as devices vary them', () => {
    const bytes = new TextEncoder().encode(notify('<notifytype> 121 </notifytype>', CHANNEL, 'mediastatus'));
    const m = parseManscdpBody(bytes, 'gb2312');
    if (!m.ok) throw new Error(m.error);
    expect(mediaStatusNotify(m.value)).toMatchObject({ ok: true, value: { notifyType: '121' } });
  });

  it('names what is wrong: another CmdType or root, no NotifyType, a NotifyType that is not a number', () => {
    expect(mediaStatusNotify(parsed(notify('<NotifyType>121</NotifyType>', CHANNEL, 'Keepalive')))).toEqual({ ok: false, error: 'Expected Notify/MediaStatus, got Notify/Keepalive' });
    expect(mediaStatusNotify(parsed(notify('<NotifyType>121</NotifyType>').replace(/Notify>/g, 'Response>')))).toMatchObject({ ok: false });
    expect(mediaStatusNotify(parsed(notify('')))).toEqual({ ok: false, error: 'MediaStatus has no numeric NotifyType' });
    expect(mediaStatusNotify(parsed(notify('<NotifyType>end</NotifyType>')))).toEqual({ ok: false, error: 'MediaStatus has no numeric NotifyType' });
  });
});

describe('which session a MediaStatus 121 ends', () => {
  const s = (callId: string, channelId: string, kind: StatusCandidate['kind'], startedAt: number): StatusCandidate => ({ callId, channelId, startedAt, ...(kind ? { kind } : {}) });
  const live = s('live-1', CHANNEL, 'live', 1);
  const older = s('pb-old', CHANNEL, 'playback', 2);
  const newer = s('dl-new', CHANNEL, 'download', 3);
  const other = s('pb-other', OTHER, 'playback', 0);
  const status = (deviceId: string) => ({ sn: 1, deviceId, notifyType: '121' });

  it('the history session of the MESSAGE dialog (same Call-ID) first', () => {
    expect(endedSession([live, older, newer], status(CHANNEL), DEVICE, 'dl-new')).toBe(newer);
  });

  it('else the oldest history session on the channel named', () => {
    expect(endedSession([live, newer, older, other], status(CHANNEL), DEVICE, 'MESSAGE-1')).toBe(older);
    expect(endedSession([live, newer, older, other], status(OTHER), DEVICE)).toBe(other);
  });

  it('when the device names itself, its oldest history session', () => {
    expect(endedSession([live, newer, older, other], status(DEVICE), DEVICE)).toBe(other);
  });

  it('never live view, nor a session without a kind (live view without a media server), nor another channel', () => {
    expect(endedSession([live], status(CHANNEL), DEVICE, 'live-1')).toBeNull();
    expect(endedSession([s('x', CHANNEL, undefined, 1)], status(CHANNEL), DEVICE)).toBeNull();
    expect(endedSession([older], status(OTHER), DEVICE)).toBeNull();
    expect(endedSession([], status(DEVICE), DEVICE)).toBeNull();
  });
});
