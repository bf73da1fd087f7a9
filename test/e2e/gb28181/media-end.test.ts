/**
 * A device ending the platform's media sessions, end to end: a really started Worker with a media server, the
 * real udp-bridge, scripted cameras (media-camera.ts) that really stream PS-over-RTP, and the ZLMediaKit
 * STAND-IN (zlm-standin.ts: no ZLMediaKit package exists in the registries these machines reach, so it follows
 * ZLM's documented HTTP API and hooks and really opens the RTP ports). What each side sees:
 * - a camera's BYE in our INVITE dialog (a live stream as it shuts down): 200, the session ended ("device hung
 *   up"), the receiver closed (`closeRtpServer`), no BYE back; a BYE in a dialog we do not hold is 481;
 * - the end of a playback (`MESSAGE Notify/MediaStatus` 121, GB/T 28181 §9.8.3): 200, then the platform's BYE,
 *   the session ended and the receiver closed;
 * - a download the camera ends with MediaStatus 121 and its own BYE at once: both answered, ended once;
 * - the HTTP-fMP4 play URL (`mp4`), which the media server serves as a stream a browser's <video> plays.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../udp/udp-kit.js';
import { gbApi, newDeviceId } from './gb-kit.js';
import type { MediaCamera } from './media-camera.js';
import { mediaLab, post } from './media-lab.js';
import type { MediaSession } from '../../../src/media/media-session.js';

const SECRET = 'zlm-api-secret-for-end-tests';
const SERVER_ID = 'zlm-standin-end';

const lab = mediaLab({ secret: SECRET, mediaServerId: SERVER_ID, rtpTimeoutMs: 20_000 });
const { camera, session, sessionUntil } = lab;
const status = (answer: string) => Number(answer.slice(8, 11));

type Started = { callId: string; stream: { stream: string }; urls: Record<string, string> };
const closes = (stream: string) => lab.zlm.calls.filter((c) => c.api === 'closeRtpServer' && c.args.stream_id === stream);

/** Start `kind` on a camera and wait until its stream is live; the answer and the INVITE the camera got. */
async function streaming(cam: MediaCamera, path: string, body: Record<string, unknown>) {
  const start = await gbApi<Started>(lab.svc, `/devices/${cam.id}/${path}`, post(body));
  expect(start.status, start.text).toBe(200);
  const invite = await cam.waitFor('INVITE', (r) => r.header('call-id') === start.body.callId);
  await cam.waitFor('ACK', (r) => r.header('call-id') === start.body.callId);
  const { stream } = start.body.stream;
  await sessionUntil(stream, (s) => s?.state === 'live');
  return { start: start.body, invite, stream };
}

const record = { startTime: '2024-05-20T10:00:00', endTime: '2024-05-20T10:30:00' };

describe('a device ends a media session (BYE, MediaStatus 121)', () => {
  it('a camera BYE on a live stream: 200, the session ended (device hung up), the receiver closed, no BYE back', async () => {
    const cam = await camera();
    const channel = newDeviceId('131');
    const { start, invite, stream } = await streaming(cam, 'live', { channel });

    expect(status(await cam.bye(invite))).toBe(200);
    const ended = await sessionUntil(stream, (s) => s?.state === 'ended');
    expect(ended).toMatchObject({ state: 'ended', reason: 'device hung up', callId: start.callId });
    await eventually(() => lab.zlm.servers.has(stream), (open) => !open);
    expect(closes(stream)).toHaveLength(1);
    // The closed receiver unregisters the stream, as ZLM's does; the hook is heard and the session stays ended.
    const gone = await eventually(() => lab.zlm.posted('on_stream_changed').filter((h) => h.body.stream === stream && h.body.regist === false), (l) => l.length > 0);
    expect(gone.map((h) => h.status)).toContain(200);
    expect(await session(stream)).toMatchObject({ state: 'ended', reason: 'device hung up' });
    const active = await gbApi<{ sessions: MediaSession[] }>(lab.svc, `/media/sessions?device=${cam.id}&active=true`);
    expect(active.body.sessions).toEqual([]);
    const dev = await gbApi<{ sessions: Array<{ callId: string }> }>(lab.svc, `/devices/${cam.id}`);
    expect(dev.body.sessions).toEqual([]);
    expect(cam.received.map((r) => r.method)).not.toContain('BYE');

    // The dialog is gone: a BYE in it again is 481 (RFC 3261 §15.1.2), and the API has nothing to stop.
    expect(status(await cam.bye(invite))).toBe(481);
    expect((await gbApi(lab.svc, `/devices/${cam.id}/sessions/${encodeURIComponent(start.callId)}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('the end of a playback: MediaStatus 121 → 200, then the platform BYEs; the session ended, the receiver closed', async () => {
    const cam = await camera();
    const channel = newDeviceId('131');
    const { start, stream } = await streaming(cam, 'playback', { channel, ...record });

    expect(status(await cam.mediaStatus(channel))).toBe(200);
    const bye = await cam.waitFor('BYE');
    expect(bye.header('call-id')).toBe(start.callId);
    expect(await sessionUntil(stream, (s) => s?.state === 'ended')).toMatchObject({ state: 'ended', reason: 'end of media (MediaStatus 121)', kind: 'playback' });
    await eventually(() => lab.zlm.servers.has(stream), (open) => !open);
    expect(closes(stream)).toHaveLength(1);
    const dev = await gbApi<{ sessions: Array<{ callId: string }> }>(lab.svc, `/devices/${cam.id}`);
    expect(dev.body.sessions).toEqual([]);
  });

  it('a MediaStatus other than 121, or about a live stream, ends nothing', async () => {
    const cam = await camera();
    const channel = newDeviceId('131');
    const { start, stream } = await streaming(cam, 'live', { channel });
    expect(status(await cam.mediaStatus(channel))).toBe(200);
    expect(status(await cam.mediaStatus(channel, '122'))).toBe(200);
    // The AOR decided before its 200 (only the media-server work runs after): the stream is still live, and
    // it is the API stop that ends it.
    expect(await session(stream)).toMatchObject({ state: 'live' });
    expect(lab.zlm.servers.has(stream)).toBe(true);
    expect((await gbApi(lab.svc, `/devices/${cam.id}/live/${encodeURIComponent(start.callId)}`, { method: 'DELETE' })).status).toBe(200);
    expect(await session(stream)).toMatchObject({ state: 'ended', reason: 'stopped by the API' });
    expect(cam.received.filter((r) => r.method === 'BYE')).toHaveLength(1);
  });

  it('a download the camera ends with MediaStatus 121 (naming itself) and its own BYE at once: both answered, ended once', async () => {
    const cam = await camera();
    const { invite, stream } = await streaming(cam, 'download', record);
    expect(status(await cam.mediaStatus(cam.id))).toBe(200);
    // Its BYE may meet the platform's: either ends the dialog; the other finds it gone (481) or answers 200.
    expect([200, 481]).toContain(status(await cam.bye(invite)));
    const ended = await sessionUntil(stream, (s) => s?.state === 'ended');
    expect(['end of media (MediaStatus 121)', 'device hung up']).toContain(ended!.reason);
    await eventually(() => lab.zlm.servers.has(stream), (open) => !open);
    expect(closes(stream)).toHaveLength(1);
  });

  it('the mp4 URL (HTTP-fMP4) is ZLM\'s .live.mp4 of the stream, served as fMP4 to a reader', async () => {
    const cam = await camera();
    const { start, stream } = await streaming(cam, 'live', {});
    expect(start.urls.mp4).toBe(`${lab.zlm.url}/rtp/${stream}.live.mp4`);
    const player = new AbortController();
    const mp4 = await fetch(start.urls.mp4!, { signal: player.signal });
    expect(mp4.status).toBe(200);
    expect(mp4.headers.get('content-type')).toBe('video/mp4');
    const head = await mp4.body!.getReader().read();
    expect(Buffer.from(head.value!).subarray(4, 8).toString()).toBe('ftyp');
    expect(lab.zlm.servers.get(stream)?.readers).toBe(1);
    player.abort();
    expect((await gbApi(lab.svc, `/devices/${cam.id}/live/${encodeURIComponent(start.callId)}`, { method: 'DELETE' })).status).toBe(200);
  });
});
