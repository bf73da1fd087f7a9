/**
 * GB/T 28181 video through a media server, end to end: a really started Worker configured with a media server,
 * the real udp-bridge, scripted cameras (media-camera.ts) that really send PS-over-RTP, and a ZLMediaKit
 * STAND-IN (zlm-standin.ts: no ZLMediaKit package exists in the registries these machines reach, so it follows
 * ZLM's documented HTTP API and hooks and really opens the RTP ports). What a camera, the media server and the
 * API each see:
 * - live view: a receiver opened with the GB SSRC, INVITE towards its port, ACK, play URLs by ZLM's rules; the
 *   stream turns live when RTP arrives; an HTTP-FLV reader keeps it; without one `on_stream_none_reader`
 *   ends it: BYE at the camera, receiver closed;
 * - a camera that sends no RTP: `on_rtp_server_timeout` marks the session failed and BYEs the camera;
 * - hooks with a wrong or missing secret (401) or from another media server (403) change nothing;
 * - a camera answering with its own SSRC: the receiver is told (`updateRtpServerSSRC`) and the stream goes live;
 * - playback (s=Playback, u=, t= from the record's local times) with INFO PLAY / PAUSE / Range / Scale, stopped
 *   with BYE; download (s=Download, a=downloadspeed:), which no-reader does not close;
 * - stream selection (`a=streamnumber:1`, vendor variants) and TCP-passive media (tcp_mode 1, RFC 4571).
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../udp/udp-kit.js';
import { gbApi, newDeviceId, PLATFORM } from './gb-kit.js';
import { parseOffer } from './media-camera.js';
import { mediaLab, post } from './media-lab.js';
import type { MediaSession } from '../../../src/media/media-session.js';
import { parseMansrtsp } from '../../../src/gb28181/mansrtsp.js';

const SECRET = 'zlm-api-secret-for-tests';
const HOOK_SECRET = 'zlm-hook-secret-for-tests';
const SERVER_ID = 'zlm-standin-1';

const lab = mediaLab({ secret: SECRET, hookSecret: HOOK_SECRET, mediaServerId: SERVER_ID, rtpTimeoutMs: 4_000 });
const { camera, session, sessionUntil } = lab;

type Started = { callId: string; ssrc: string; deviceSsrc?: string; kind: string; state: string; port: number; stream: { app: string; stream: string; ssrc: string }; urls: Record<string, string> };

describe('GB28181 video through a media server (ZLMediaKit stand-in)', () => {
  it('live view: receiver, INVITE with the GB SSRC, play URLs; live on RTP; kept by a reader; no reader → BYE and receiver closed', async () => {
    const cam = await camera();
    const channel = newDeviceId('131');
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({ channel }));
    expect(start.status, start.text).toBe(200);
    const { stream, ssrc } = start.body.stream;
    // GB rule: 0 (live), digits 4–8 of the domain 3402000000 (20000), 4 serial digits.
    expect(ssrc).toMatch(/^020000\d{4}$/);
    expect(start.body.ssrc).toBe(ssrc);
    expect(stream).toBe(`${channel}_${ssrc}`);
    expect(start.body.stream.app).toBe('rtp');
    const base = lab.zlm.url.replace('http://', '');
    expect(start.body.urls).toMatchObject({
      flv: `http://${base}/rtp/${stream}.live.flv`, wsFlv: `ws://${base}/rtp/${stream}.live.flv`, hls: `http://${base}/rtp/${stream}/hls.m3u8`,
      webrtc: `http://${base}/index/api/webrtc?app=rtp&stream=${stream}&type=play`,
    });

    // The media server was asked for a receiver with that stream id and SSRC, and the INVITE points at it.
    const open = lab.zlm.calls.find((c) => c.api === 'openRtpServer' && c.args.stream_id === stream);
    expect(open?.args).toMatchObject({ port: '0', tcp_mode: '0', ssrc, app: 'rtp' });
    const port = lab.zlm.servers.get(stream)!.port;
    expect(start.body.port).toBe(port);
    const invite = await cam.waitFor('INVITE');
    expect(invite.header('subject')).toBe(`${channel}:${ssrc},${PLATFORM}:0`);
    expect(parseOffer(invite.body)).toMatchObject({ s: 'Play', t: '0 0', ip: '127.0.0.1', port, tcp: false, y: ssrc });
    await cam.waitFor('ACK');

    // RTP with that SSRC arrives: on_stream_changed, the session is live.
    const live = await sessionUntil(stream, (s) => s?.state === 'live');
    expect(live, JSON.stringify(lab.zlm.hooks)).toMatchObject({ state: 'live', kind: 'live', ssrc, deviceId: cam.id, channelId: channel, callId: start.body.callId, port });
    expect(live!.liveAt).not.toBeNull();
    expect(lab.zlm.posted('on_stream_changed').map((h) => h.status)).not.toContain(401);

    // A player on the FLV URL is a reader: no none-reader hook while it plays.
    const player = new AbortController();
    const flv = await fetch(start.body.urls.flv!, { signal: player.signal });
    expect(flv.status).toBe(200);
    const reader = flv.body!.getReader();
    const head = await reader.read();
    expect(Buffer.from(head.value!).subarray(0, 3).toString()).toBe('FLV');
    expect(await lab.zlm.checkReaders(stream)).toBeUndefined();
    expect(lab.zlm.posted('on_stream_none_reader').filter((h) => h.body.stream === stream)).toHaveLength(0);
    player.abort();
    await eventually(() => lab.zlm.servers.get(stream)?.readers ?? 0, (n) => n === 0);

    // Nobody watches: the hook is answered close, the camera gets BYE, the receiver is gone, the SSRC freed.
    expect(await lab.zlm.checkReaders(stream)).toEqual({ code: 0, close: true });
    const bye = await cam.waitFor('BYE');
    expect(bye.header('call-id')).toBe(start.body.callId);
    const ended = await sessionUntil(stream, (s) => s?.state === 'ended');
    expect(ended).toMatchObject({ state: 'ended', reason: 'no reader' });
    expect(lab.zlm.servers.has(stream)).toBe(false);
    const dev = await gbApi<{ sessions: Array<{ callId: string }> }>(lab.svc, `/devices/${cam.id}`);
    expect(dev.body.sessions.map((s) => s.callId)).not.toContain(start.body.callId);
  });

  it('no RTP from the camera: on_rtp_server_timeout marks the session failed and BYEs the camera', async () => {
    const cam = await camera({ rtp: false });
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({}));
    expect(start.status, start.text).toBe(200);
    const { stream } = start.body.stream;
    await cam.waitFor('ACK');
    const bye = await cam.waitFor('BYE', () => true, 20_000);
    expect(bye.header('call-id')).toBe(start.body.callId);
    const failed = await sessionUntil(stream, (s) => s?.state === 'failed');
    expect(failed).toMatchObject({ state: 'failed', reason: 'no RTP from the device (rtp server timeout)', liveAt: null });
    expect(lab.zlm.posted('on_rtp_server_timeout').find((h) => h.body.stream_id === stream)?.status).toBe(200);
  });

  it('hooks with a wrong or missing secret are refused (401), from another media server 403, and change nothing', async () => {
    const cam = await camera({ rtp: false });
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({}));
    expect(start.status, start.text).toBe(200);
    const { stream } = start.body.stream;
    await cam.waitFor('ACK');
    const hook = (query: string, body: Record<string, unknown>) =>
      fetch(`${lab.svc.http}/zlm/hook/on_stream_changed${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const changed = { mediaServerId: SERVER_ID, regist: true, schema: 'rtsp', app: 'rtp', stream, vhost: '__defaultVhost__' };
    expect((await hook('?secret=wrong', changed)).status).toBe(401);
    expect((await hook('', changed)).status).toBe(401);
    expect((await hook(`?secret=${SECRET}`, changed)).status, 'the API secret is not the hook secret').toBe(401);
    expect((await hook(`?secret=${HOOK_SECRET}`, { ...changed, mediaServerId: 'another-server' })).status).toBe(403);
    const none = await fetch(`${lab.svc.http}/zlm/hook/on_stream_none_reader?secret=nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app: 'rtp', stream, schema: 'rtmp' }) });
    expect(none.status).toBe(401);
    expect(await session(stream)).toMatchObject({ state: 'ready', liveAt: null });
    expect(cam.received.map((r) => r.method)).not.toContain('BYE');
    // The right secret is heard (and the stop cleans up).
    expect((await hook(`?secret=${HOOK_SECRET}`, changed)).status).toBe(200);
    expect(await session(stream)).toMatchObject({ state: 'live' });
    const stop = await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
  });

  it('a camera answering with its own SSRC: the receiver is told (updateRtpServerSSRC) and the stream goes live', async () => {
    const own = '0123456789';
    const cam = await camera({ ownSsrc: own });
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({}));
    expect(start.status, start.text).toBe(200);
    const { stream } = start.body.stream;
    expect(start.body.ssrc).not.toBe(own);
    expect(start.body).toMatchObject({ deviceSsrc: own, stream: { ssrc: own } });
    expect(lab.zlm.calls.find((c) => c.api === 'updateRtpServerSSRC' && c.args.stream_id === stream)?.args).toEqual({ stream_id: stream, ssrc: own });
    const live = await sessionUntil(stream, (s) => s?.state === 'live');
    expect(live).toMatchObject({ state: 'live', deviceSsrc: own, ssrc: start.body.ssrc });
    const stop = await gbApi(lab.svc, `/devices/${cam.id}/live/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
    await cam.waitFor('BYE');
    expect(lab.zlm.servers.has(stream)).toBe(false);
  });

  it('playback: s=Playback, u=, t= from the record; INFO PAUSE / PLAY / Range / Scale in MANSRTSP; stop sends BYE', async () => {
    const cam = await camera();
    const channel = newDeviceId('131');
    const bad = await gbApi<{ error: string }>(lab.svc, `/devices/${cam.id}/playback`, post({ channel, startTime: 'yesterday', endTime: '2024-05-20T10:30:00' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/startTime/);
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/playback`, post({ channel, startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00' }));
    expect(start.status, start.text).toBe(200);
    const { stream, ssrc } = start.body.stream;
    expect(ssrc).toMatch(/^120000\d{4}$/); // 1: history
    expect(start.body.kind).toBe('playback');
    const offer = parseOffer((await cam.waitFor('INVITE')).body);
    // GB local time at +08:00 (GB_UTC_OFFSET_MINUTES 480) as Unix seconds.
    const t0 = Date.UTC(2024, 4, 20, 2, 0, 0) / 1000;
    expect(offer).toMatchObject({ s: 'Playback', u: `${channel}:0`, t: `${t0} ${t0 + 1800}`, y: ssrc });
    await sessionUntil(stream, (s) => s?.state === 'live');

    const control = (body: unknown) => gbApi<{ status: number; mansrtsp: string }>(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.body.callId)}/control`, post(body));
    const sent: string[] = [];
    for (const c of [{ action: 'pause' }, { action: 'play' }, { action: 'seek', npt: 120 }, { action: 'scale', scale: 2 }]) {
      const r = await control(c);
      expect(r.status, r.text).toBe(200);
      expect(r.body.status).toBe(200);
      sent.push(r.body.mansrtsp);
    }
    expect((await control({ action: 'scale', scale: 3 })).status).toBe(400);
    const infos = cam.received.filter((r) => r.method === 'INFO');
    expect(infos).toHaveLength(4);
    expect(infos.map((i) => i.body)).toEqual(sent);
    for (const i of infos) {
      expect(i.header('content-type')).toBe('Application/MANSRTSP');
      expect(i.header('call-id')).toBe(start.body.callId);
    }
    const parsed = infos.map((i) => parseMansrtsp(i.body)!);
    expect(parsed.map((p) => p.method)).toEqual(['PAUSE', 'PLAY', 'PLAY', 'PLAY']);
    expect(parsed[0]!.headers.get('pausetime')).toBe('now');
    expect(parsed[1]!.headers.get('range')).toBe('npt=now-');
    expect(parsed[2]!.headers.get('range')).toBe('npt=120-');
    expect(parsed[3]!.headers.get('scale')).toBe('2.0');
    const cseqs = parsed.map((p) => p.cseq);
    expect([...cseqs].sort((a, b) => a - b)).toEqual(cseqs);
    expect(new Set(cseqs).size).toBe(4);

    const stop = await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
    expect((await cam.waitFor('BYE')).header('call-id')).toBe(start.body.callId);
    expect(await session(stream)).toMatchObject({ state: 'ended', reason: 'stopped by the API', startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00' });
    expect(lab.zlm.servers.has(stream)).toBe(false);
    expect((await control({ action: 'play' })).status).toBe(404);
  });

  it('download: s=Download with a=downloadspeed:, not closed for want of readers; stop sends BYE', async () => {
    const cam = await camera();
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/download`, post({ startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:05:00', speed: 8 }));
    expect(start.status, start.text).toBe(200);
    const { stream } = start.body.stream;
    const offer = parseOffer((await cam.waitFor('INVITE')).body);
    expect(offer).toMatchObject({ s: 'Download', u: `${cam.id}:0` });
    expect(offer.attributes).toContain('downloadspeed:8');
    await sessionUntil(stream, (s) => s?.state === 'live');
    expect(await lab.zlm.checkReaders(stream)).toEqual({ code: 0, close: false });
    expect(await session(stream)).toMatchObject({ state: 'live', kind: 'download' });
    const stop = await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
    await cam.waitFor('BYE');
  });

  it('stream selection: a=streamnumber:1, vendor variants as options, bad values 400', async () => {
    const cam = await camera({ rtp: false });
    const ask = async (body: Record<string, unknown>) => {
      const before = cam.received.filter((r) => r.method === 'INVITE').length;
      const r = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post(body));
      expect(r.status, r.text).toBe(200);
      const invites = await eventually(() => cam.received.filter((x) => x.method === 'INVITE'), (l) => l.length > before);
      const invite = invites[before]!;
      await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(r.body.callId)}`, { method: 'DELETE' });
      return parseOffer(invite.body).attributes;
    };
    expect(await ask({ streamNumber: 1 })).toContain('streamnumber:1');
    expect(await ask({ streamNumber: 0, streamVariant: 'streamprofile' })).toContain('streamprofile:0');
    expect(await ask({ streamNumber: 1, streamVariant: 'streamMode' })).toContain('streamMode:sub');
    expect(await ask({ streamNumber: 1, streamVariant: 'stream' })).toContain('stream:1');
    expect((await ask({})).filter((a) => /^stream/.test(a))).toEqual([]);
    expect((await gbApi(lab.svc, `/devices/${cam.id}/live`, post({ streamNumber: 2 }))).status).toBe(400);
    expect((await gbApi(lab.svc, `/devices/${cam.id}/live`, post({ streamNumber: 0, streamVariant: 'x' }))).status).toBe(400);
  });

  it('a camera signalling over TCP through the bridge: the INVITE and the BYE reach it on its connection, the stream goes live', async () => {
    const cam = await camera({ tcp: true });
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({}));
    expect(start.status, start.text).toBe(200);
    const invite = await cam.waitFor('INVITE');
    expect(invite.header('via')).toMatch(/^SIP\/2\.0\/TCP /);
    await cam.waitFor('ACK');
    const { stream } = start.body.stream;
    expect(await sessionUntil(stream, (s) => s?.state === 'live')).toMatchObject({ state: 'live', deviceId: cam.id });
    const stop = await gbApi<{ status: number }>(lab.svc, `/devices/${cam.id}/live/${start.body.callId}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
    expect((await cam.waitFor('BYE')).header('call-id')).toBe(start.body.callId);
    expect(lab.zlm.servers.has(stream)).toBe(false);
  });

  it('TCP-passive media: tcp_mode 1, TCP/RTP/AVP with a=setup:passive, RTP over TCP (RFC 4571) turns the stream live', async () => {
    const cam = await camera();
    const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/live`, post({ tcp: true }));
    expect(start.status, start.text).toBe(200);
    const { stream } = start.body.stream;
    expect(lab.zlm.calls.find((c) => c.api === 'openRtpServer' && c.args.stream_id === stream)?.args.tcp_mode).toBe('1');
    const offer = parseOffer((await cam.waitFor('INVITE')).body);
    expect(offer.tcp).toBe(true);
    expect(offer.attributes).toEqual(expect.arrayContaining(['setup:passive', 'connection:new']));
    expect(await sessionUntil(stream, (s) => s?.state === 'live')).toMatchObject({ state: 'live', tcpMode: 1 });
    const list = await gbApi<{ sessions: Array<MediaSession & { online?: boolean }> }>(lab.svc, `/media/sessions?device=${cam.id}&active=true&probe=true`);
    expect(list.body.sessions.map((s) => [s.stream, s.online])).toEqual([[stream, true]]);
    expect(lab.zlm.calls.find((c) => c.api === 'isMediaOnline' && c.args.stream === stream)?.args).toMatchObject({ app: 'rtp', schema: 'rtsp' });
    const stop = await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
    expect(stop.status, stop.text).toBe(200);
  });
});
