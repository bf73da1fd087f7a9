/**
 * ZLMediaKit's HTTP API, as a GB platform drives it (docs: "RESTful API", "Play URL rules"): RTP receivers
 * (`openRtpServer`, `closeRtpServer`, `updateRtpServerSSRC`), whether a stream is up (`isMediaOnline`), and
 * the URLs players use. Every call is a POST of JSON carrying the `[api] secret`; ZLM answers HTTP 200 with
 * `{ code, msg?, ... }`, `code` 0 on success, -100 a wrong secret, -300 bad arguments, -1 a failure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';

/** A media server, from the Worker's vars and secrets. */
export interface ZlmConfig {
  /** API base, e.g. `http://10.0.0.5:8080` (`ZLM_URL`). */
  url: string;
  /** `[api] secret` (`ZLM_SECRET`). */
  secret: string;
  /** What its hooks must carry (`ZLM_HOOK_SECRET`, default the API secret). */
  hookSecret: string;
  /** `[general] mediaServerId` (`ZLM_MEDIA_SERVER_ID`): names its SSRC allocator and is checked on hooks. */
  mediaServerId: string;
  /** Address cameras send RTP to, the INVITE's `c=` (`ZLM_RTP_IP`, default the API URL's host). */
  rtpIp: string;
  /** Base of the play URLs (`ZLM_PUBLIC_URL`, default the API URL). */
  publicUrl: string;
}

/** The vars this reads (a subset of the Worker's environment). */
export interface ZlmEnv {
  ZLM_URL?: string;
  ZLM_SECRET?: string;
  ZLM_HOOK_SECRET?: string;
  ZLM_MEDIA_SERVER_ID?: string;
  ZLM_RTP_IP?: string;
  ZLM_PUBLIC_URL?: string;
}

/** The ZLM application GB streams are published under. */
export const RTP_APP = 'rtp';

const IP = /^(?:\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+$/;

/** The media server, or null when `ZLM_URL` or `ZLM_SECRET` is unset (then GB_MEDIA_IP/PORT apply as before). */
export function readZlmConfig(env: ZlmEnv): ZlmConfig | null {
  if (!env.ZLM_URL || !env.ZLM_SECRET) return null;
  let api: URL;
  try {
    api = new URL(env.ZLM_URL);
  } catch {
    return null;
  }
  const host = api.hostname.replace(/^\[|\]$/g, '');
  const rtpIp = env.ZLM_RTP_IP || host;
  if (!IP.test(rtpIp)) return null;
  return {
    url: api.href.replace(/\/$/, ''), secret: env.ZLM_SECRET, hookSecret: env.ZLM_HOOK_SECRET || env.ZLM_SECRET,
    mediaServerId: env.ZLM_MEDIA_SERVER_ID || 'zlm', rtpIp, publicUrl: (env.ZLM_PUBLIC_URL || api.href).replace(/\/$/, ''),
  };
}

/** `tcp_mode` of openRtpServer: 0 UDP, 1 TCP passive (ZLM listens), 2 TCP active (ZLM dials the device). */
export type TcpMode = 0 | 1 | 2;

/** An API call: where it goes and its JSON body (with the secret). */
export function zlmCall(cfg: Pick<ZlmConfig, 'url' | 'secret'>, api: string, args: Record<string, string | number | boolean>): { url: string; body: string } {
  return { url: `${cfg.url}/index/api/${api}`, body: JSON.stringify({ secret: cfg.secret, ...args }) };
}

/** Read a ZLM answer: `code` 0 gives the object, anything else names the code and `msg`. */
export function zlmAnswer(status: number, text: string): Result<Record<string, unknown>> {
  if (status !== 200) return fail(`media server answered HTTP ${status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail('media server answered with something that is not JSON');
  }
  if (body === null || typeof body !== 'object') return fail('media server answered with something that is not an object');
  const o = body as Record<string, unknown>;
  if (o.code !== 0) return fail(`media server refused: code ${String(o.code)}${typeof o.msg === 'string' ? ` (${o.msg.slice(0, 200)})` : ''}`);
  return ok(o);
}

/** Where players get a stream (ZLM "Play URL rules"): http-flv, ws-flv, HTTP-fMP4, HLS, WebRTC (and RTSP, RTMP). */
export interface PlayUrls {
  flv: string;
  wsFlv: string;
  /** HTTP-fMP4 (`.live.mp4`): what a browser's `<video>` plays natively, no player library needed. */
  mp4: string;
  hls: string;
  webrtc: string;
  rtsp: string;
  rtmp: string;
}

/** The play URLs of `app/stream` on the server whose HTTP base is `publicUrl`. */
export function playUrls(publicUrl: string, app: string, stream: string): PlayUrls {
  const base = new URL(publicUrl);
  const http = `${base.protocol}//${base.host}`;
  const ws = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}`;
  const path = `${encodeURIComponent(app)}/${encodeURIComponent(stream)}`;
  return {
    flv: `${http}/${path}.live.flv`,
    wsFlv: `${ws}/${path}.live.flv`,
    mp4: `${http}/${path}.live.mp4`,
    hls: `${http}/${path}/hls.m3u8`,
    webrtc: `${http}/index/api/webrtc?app=${encodeURIComponent(app)}&stream=${encodeURIComponent(stream)}&type=play`,
    rtsp: `rtsp://${base.hostname}/${path}`,
    rtmp: `rtmp://${base.hostname}/${path}`,
  };
}

/** `fetch` as the client uses it (the Worker's global one; tests may pass Node's). */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** How long one API call may take. */
export const ZLM_TIMEOUT_MS = 5_000;

/** A small client of one media server's API. Errors are results, never throws. */
export class ZlmClient {
  constructor(private readonly cfg: Pick<ZlmConfig, 'url' | 'secret'>, private readonly fetcher: Fetch) {}

  async call(api: string, args: Record<string, string | number | boolean>): Promise<Result<Record<string, unknown>>> {
    const { url, body } = zlmCall(this.cfg, api, args);
    try {
      const res = await this.fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(ZLM_TIMEOUT_MS) });
      return zlmAnswer(res.status, await res.text());
    } catch (e) {
      return fail(`media server unreachable: ${e instanceof Error ? e.name : 'error'}`);
    }
  }

  /** Open an RTP receiver for `streamId` on a port ZLM picks (`port` 0); `ssrc` filters what it accepts. */
  async openRtpServer(streamId: string, tcpMode: TcpMode, ssrc?: string): Promise<Result<{ port: number }>> {
    const r = await this.call('openRtpServer', { port: 0, tcp_mode: tcpMode, stream_id: streamId, app: RTP_APP, ...(ssrc ? { ssrc } : {}) });
    if (!r.ok) return r;
    const port = r.value.port;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? ok({ port }) : fail('media server gave no port');
  }

  /** Close the receiver of `streamId`; whether there was one (`hit`). */
  async closeRtpServer(streamId: string): Promise<Result<{ hit: boolean }>> {
    const r = await this.call('closeRtpServer', { stream_id: streamId });
    return r.ok ? ok({ hit: Number(r.value.hit) > 0 }) : r;
  }

  /** The device answered with its own SSRC: let the receiver accept that one instead. */
  async updateRtpServerSSRC(streamId: string, ssrc: string): Promise<Result<true>> {
    const r = await this.call('updateRtpServerSSRC', { stream_id: streamId, ssrc });
    return r.ok ? ok(true) : r;
  }

  /** Whether `app/stream` is up (any schema; `rtsp` is the one every ingest registers). */
  async isMediaOnline(stream: string, schema = 'rtsp'): Promise<Result<boolean>> {
    const r = await this.call('isMediaOnline', { schema, vhost: '__defaultVhost__', app: RTP_APP, stream });
    return r.ok ? ok(r.value.online === true) : r;
  }
}
