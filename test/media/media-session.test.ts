import { describe, expect, it } from 'vitest';
import { ended, isActive, opened, patched, streamChanged, streamId } from '../../src/media/media-session.js';

const NEW = { kind: 'live' as const, deviceId: '34020000001320000001', channelId: '34020000001310000001', aor: 'sip:34020000001320000001@3402000000', tcpMode: 0 as const, startTime: null, endTime: null };

describe('media session transitions', () => {
  it('opens in `opening` with the stream id <channel>_<ssrc>', () => {
    const s = opened(NEW, '0200000001', 1000);
    expect(s).toMatchObject({ stream: `${NEW.channelId}_0200000001`, ssrc: '0200000001', state: 'opening', port: 0, callId: null, createdAt: 1000, liveAt: null });
    expect(streamId('c', '1')).toBe('c_1');
    expect(isActive(s)).toBe(true);
  });

  it('only moves forward: a hook that made it live before the INVITE answer was recorded stays live', () => {
    const s = streamChanged(patched(opened(NEW, '0200000001', 0), { state: 'inviting', port: 30000 }), true, 5);
    expect(s.state).toBe('live');
    const after = patched(s, { state: 'ready', callId: 'abc' });
    expect(after).toMatchObject({ state: 'live', callId: 'abc', port: 30000, liveAt: 5 });
  });

  it('notes the first time it went live; unregistered while live goes back to ready', () => {
    let s = patched(opened(NEW, '0200000001', 0), { state: 'ready' });
    s = streamChanged(s, true, 10);
    s = streamChanged(s, true, 20);
    expect(s.liveAt).toBe(10);
    expect(streamChanged(s, false, 30).state).toBe('ready');
    expect(streamChanged(patched(opened(NEW, '1', 0), { state: 'ready' }), false, 30).state).toBe('ready');
  });

  it('ends once: a second end (another hook, the API) gets null; an ended session is never revived', () => {
    const s = patched(opened(NEW, '0200000001', 0), { state: 'ready' });
    const e = ended(s, 'failed', 'no RTP', 50)!;
    expect(e).toMatchObject({ state: 'failed', reason: 'no RTP', endedAt: 50 });
    expect(isActive(e)).toBe(false);
    expect(ended(e, 'ended', 'again', 60)).toBeNull();
    expect(patched(e, { state: 'live' })).toBe(e);
    expect(streamChanged(e, true, 70)).toBe(e);
  });
});
