/**
 * The ZLM client and URL rules. The client is run against the ZLMediaKit STAND-IN (test/e2e/gb28181/zlm-standin.ts),
 * a real HTTP server following ZLM's documented API, because no ZLMediaKit package exists in the registries
 * these machines reach; the receivers it opens are real UDP ports.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playUrls, readZlmConfig, zlmAnswer, zlmCall, ZlmClient } from '../../src/media/zlm.js';
import { ZlmStandin } from '../e2e/gb28181/zlm-standin.js';

describe('play URLs (ZLM "Play URL rules")', () => {
  it('builds http-flv, ws-flv, HTTP-fMP4, HLS, WebRTC, RTSP and RTMP URLs of app/stream', () => {
    expect(playUrls('http://media.example.test:8080', 'rtp', '34020000001310000001_0200000001')).toEqual({
      flv: 'http://media.example.test:8080/rtp/34020000001310000001_0200000001.live.flv',
      wsFlv: 'ws://media.example.test:8080/rtp/34020000001310000001_0200000001.live.flv',
      mp4: 'http://media.example.test:8080/rtp/34020000001310000001_0200000001.live.mp4',
      hls: 'http://media.example.test:8080/rtp/34020000001310000001_0200000001/hls.m3u8',
      webrtc: 'http://media.example.test:8080/index/api/webrtc?app=rtp&stream=34020000001310000001_0200000001&type=play',
      rtsp: 'rtsp://media.example.test/rtp/34020000001310000001_0200000001',
      rtmp: 'rtmp://media.example.test/rtp/34020000001310000001_0200000001',
    });
  });

  it('uses wss for an https server and drops a trailing path', () => {
    const u = playUrls('https://media.example.test/', 'rtp', 's');
    expect(u.wsFlv).toBe('wss://media.example.test/rtp/s.live.flv');
    expect(u.hls).toBe('https://media.example.test/rtp/s/hls.m3u8');
    expect(u.mp4).toBe('https://media.example.test/rtp/s.live.mp4');
  });
});

describe('readZlmConfig', () => {
  it('is null without URL and secret (GB_MEDIA_IP/PORT stay in force)', () => {
    expect(readZlmConfig({})).toBeNull();
    expect(readZlmConfig({ ZLM_URL: 'http://10.0.0.5:8080' })).toBeNull();
    expect(readZlmConfig({ ZLM_SECRET: 's' })).toBeNull();
  });

  it('defaults the RTP address to the API host, the hook secret to the API secret, the play base to the API URL', () => {
    expect(readZlmConfig({ ZLM_URL: 'http://10.0.0.5:8080/', ZLM_SECRET: 's' })).toEqual({
      url: 'http://10.0.0.5:8080', secret: 's', hookSecret: 's', mediaServerId: 'zlm', rtpIp: '10.0.0.5', publicUrl: 'http://10.0.0.5:8080',
    });
  });

  it('needs an IP for RTP when the API is reached by name', () => {
    expect(readZlmConfig({ ZLM_URL: 'http://zlm.internal', ZLM_SECRET: 's' })).toBeNull();
    expect(readZlmConfig({ ZLM_URL: 'http://zlm.internal', ZLM_SECRET: 's', ZLM_RTP_IP: '203.0.113.9', ZLM_PUBLIC_URL: 'https://media.example.test', ZLM_HOOK_SECRET: 'h', ZLM_MEDIA_SERVER_ID: 'z1' }))
      .toMatchObject({ rtpIp: '203.0.113.9', publicUrl: 'https://media.example.test', hookSecret: 'h', mediaServerId: 'z1' });
  });
});

describe('ZLM requests and answers', () => {
  it('POSTs JSON to /index/api/<name> with the secret in every call', () => {
    expect(zlmCall({ url: 'http://z:80', secret: 'k' }, 'closeRtpServer', { stream_id: 'a' })).toEqual({ url: 'http://z:80/index/api/closeRtpServer', body: '{"secret":"k","stream_id":"a"}' });
  });

  it('reads code 0 as success and names any other code and msg', () => {
    expect(zlmAnswer(200, '{"code":0,"port":30000}')).toEqual({ ok: true, value: { code: 0, port: 30000 } });
    expect(zlmAnswer(200, '{"code":-100,"msg":"Incorrect secret"}')).toMatchObject({ ok: false, error: 'media server refused: code -100 (Incorrect secret)' });
    expect(zlmAnswer(200, 'not json')).toMatchObject({ ok: false });
    expect(zlmAnswer(404, '<html>')).toMatchObject({ ok: false, error: 'media server answered HTTP 404' });
  });
});

describe('ZlmClient against the stand-in', () => {
  let zlm: ZlmStandin;
  beforeAll(async () => {
    zlm = await ZlmStandin.start({ secret: 'right', mediaServerId: 'unit', rtpTimeoutMs: 60_000, noneReaderDelayMs: 60_000 });
  });
  afterAll(async () => zlm?.close());
  const client = (secret = 'right') => new ZlmClient({ url: zlm.url, secret }, (url, init) => fetch(url, init));

  it('opens a real UDP receiver on a random port, refuses the same stream twice (-300), closes it (hit)', async () => {
    const opened = await client().openRtpServer('unit_0200000001', 0, '0200000001');
    expect(opened.ok).toBe(true);
    const port = opened.ok ? opened.value.port : 0;
    // The port is really taken.
    const probe = createSocket('udp4');
    const err = await new Promise<NodeJS.ErrnoException | null>((r) => {
      probe.once('error', (e) => r(e));
      probe.bind(port, '127.0.0.1', () => r(null));
    });
    probe.close();
    expect(err?.code).toBe('EADDRINUSE');
    expect(zlm.calls.at(-1)).toEqual({ api: 'openRtpServer', args: { port: '0', tcp_mode: '0', stream_id: 'unit_0200000001', app: 'rtp', ssrc: '0200000001' } });
    expect(await client().openRtpServer('unit_0200000001', 0)).toMatchObject({ ok: false, error: expect.stringContaining('code -300') });
    expect(await client().updateRtpServerSSRC('unit_0200000001', '123')).toEqual({ ok: true, value: true });
    expect(zlm.servers.get('unit_0200000001')?.ssrc).toBe(123);
    expect(await client().isMediaOnline('unit_0200000001')).toEqual({ ok: true, value: false });
    expect(await client().closeRtpServer('unit_0200000001')).toEqual({ ok: true, value: { hit: true } });
    expect(await client().closeRtpServer('unit_0200000001')).toEqual({ ok: true, value: { hit: false } });
  });

  it('a wrong secret is code -100; an unreachable server is an error result, not a throw', async () => {
    expect(await client('wrong').openRtpServer('unit_x', 0)).toMatchObject({ ok: false, error: expect.stringContaining('code -100') });
    const gone = new ZlmClient({ url: 'http://127.0.0.1:1', secret: 'x' }, (url, init) => fetch(url, init));
    expect(await gone.closeRtpServer('s')).toMatchObject({ ok: false, error: expect.stringMatching(/^media server unreachable/) });
  });
});
