/**
 * The media server's object: SSRCs by the GB rule, unique among its active sessions even when many are asked
 * for at once, not reused at once after release, and the session index the hooks act on.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { mediaServerStub } from '../../src/objects/stubs.js';

const REALM = '3402000000';
const DEVICE = '34020000001320000001';
const session = (channel: string, kind: 'live' | 'playback' = 'live') => ({
  kind, deviceId: DEVICE, channelId: channel, aor: `sip:${DEVICE}@${REALM}`, tcpMode: 0 as const, startTime: null, endTime: null,
});

describe('MediaServerObject', () => {
  it('allocates live (0…) and history (1…) SSRCs with the realm digits, distinct under 50 concurrent calls', async () => {
    const server = mediaServerStub(env, `unit-${crypto.randomUUID()}`);
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => server.allocate(session(`3402000000131${String(i).padStart(7, '0')}`), REALM)));
    const ssrcs = all.map((s) => s!.ssrc);
    expect(new Set(ssrcs).size).toBe(50);
    for (const s of ssrcs) expect(s).toMatch(/^020000\d{4}$/);
    const history = await server.allocate(session('34020000001310000999', 'playback'), REALM);
    expect(history!.ssrc).toMatch(/^120000\d{4}$/);
    expect(history!.stream).toBe(`34020000001310000999_${history!.ssrc}`);
  });

  it('walks on after a release (the freed SSRC is not reused at once) and ends a session once', async () => {
    const server = mediaServerStub(env, `unit-${crypto.randomUUID()}`);
    const a = (await server.allocate(session('34020000001310000001'), REALM))!;
    const b = (await server.allocate(session('34020000001310000002'), REALM))!;
    expect([a.ssrc, b.ssrc]).toEqual(['0200000001', '0200000002']);
    expect((await server.end(a.stream, 'ended', 'stopped'))!.state).toBe('opening');
    expect(await server.end(a.stream, 'failed', 'again')).toBeNull();
    const c = (await server.allocate(session('34020000001310000003'), REALM))!;
    expect(c.ssrc).toBe('0200000003');
    expect(await server.get(a.stream)).toMatchObject({ state: 'ended', reason: 'stopped' });
  });

  it('keeps the hook-made live state when the INVITE answer is recorded later, and finds a session by Call-ID', async () => {
    const server = mediaServerStub(env, `unit-${crypto.randomUUID()}`);
    const s = (await server.allocate(session('34020000001310000001'), REALM))!;
    await server.update(s.stream, { port: 30000, state: 'inviting' });
    expect((await server.streamChanged(s.stream, true))!.state).toBe('live');
    expect(await server.update(s.stream, { callId: 'call-1', state: 'ready' })).toMatchObject({ state: 'live', callId: 'call-1', port: 30000 });
    expect((await server.byCall('call-1'))!.stream).toBe(s.stream);
    expect(await server.streamChanged('no-such-stream', true)).toBeNull();
    expect((await server.list()).map((x) => x.stream)).toEqual([s.stream]);
  });
});

describe('ZLM hooks without a configured media server', () => {
  it('answer 404 (the workers project has no ZLM_URL)', async () => {
    const res = await exports.default.fetch('http://edge/zlm/hook/on_stream_changed?secret=x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  });
});
