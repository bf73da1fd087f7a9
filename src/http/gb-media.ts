/**
 * `/api/v1/gb28181`: playback, download, playback control, stop and the media session list (OpenAPI routes).
 * With a media server (ZLM_URL, ZLM_SECRET) the receiver, SSRC and play URLs come from it (`media/gb-media.ts`);
 * without one, or with `mediaIp`/`mediaPort` in the body, the INVITE points where it is told, as live view does.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { GbConfig } from '../config.js';
import { mediaServerStub } from '../objects/stubs.js';
import type { GbOutcome } from '../objects/aor-gb.js';
import { DOWNLOAD_SPEEDS, historyTimes, SCALES } from '../gb28181/history.js';
import type { PlaybackControl } from '../gb28181/mansrtsp.js';
import { readZlmConfig, type ZlmConfig } from '../media/zlm.js';
import { isActive } from '../media/media-session.js';
import { streamAttribute, type StreamVariant } from '../gb28181/sdp.js';
import { sessionOfCall, shown, startMedia, stopMedia, zlmClient, type MediaRequest } from '../media/gb-media.js';
import { ChannelId, DeviceId, gbTime, MediaIp, Port } from './fields.js';
import { body, error, json, type AppEnv } from './openapi.js';
import { DeviceParams, SessionParams, device, gbErrors, gbOf, refuse, reply, WaitQuery, waitMs, type DeviceReply } from './gb-api.js';

type Ctx = Context<AppEnv>;

/** Most streams one session list asks the media server about. */
const MAX_PROBES = 50;

/**
 * Live view's stream selection from the body (its schema has checked the fields): `streamNumber` 0 (main) or 1
 * (sub), in `streamVariant`'s words (default GB/T 28181-2022 `streamnumber`; `stream`, `streamprofile`,
 * `streamMode` for devices that want those). Undefined when none is asked; an error when a variant comes alone.
 */
export function streamSelectOf(b: { streamNumber?: 0 | 1; streamVariant?: StreamVariant }): { ok: true; value?: string } | { ok: false; error: string } {
  if (b.streamNumber === undefined && b.streamVariant === undefined) return { ok: true };
  if (b.streamNumber === undefined) return { ok: false, error: '"streamNumber" must be 0 (main) or 1 (sub)' };
  return { ok: true, value: streamAttribute(b.streamVariant ?? 'streamnumber', b.streamNumber) };
}

/** Live view through the media server: receiver, SSRC, INVITE, play URLs. */
export async function liveThroughMediaServer(c: Ctx, gb: GbConfig, zlm: ZlmConfig, id: string, channel: string, tcp: boolean, streamSelect: string | undefined, wait: number): Promise<DeviceReply> {
  return reply(c, await startMedia(c.env, gb, zlm, { kind: 'live', deviceId: id, channelId: channel, tcp, ...(streamSelect ? { streamSelect } : {}) }, wait));
}

const Json = z.record(z.string(), z.unknown());
const answers = (what: string) => ({ 200: json(Json, what), ...gbErrors(400, 401, 404, 409, 502, 503, 504) });

/** A RecordInfo item's span, and where the media goes. */
const History = z.object({
  channel: ChannelId.optional().openapi({ description: 'channel ID (default the device ID)' }),
  startTime: gbTime('startTime'), endTime: gbTime('endTime'),
  tcp: z.boolean().optional().openapi({ description: 'TCP-passive media (TCP/RTP/AVP, a=setup:passive)' }),
  mediaIp: MediaIp.optional(), mediaPort: Port('mediaPort').optional(),
});

/** The media routes; schema errors are answered by the `/api/v1` app's one hook (`openapi.ts`). */
export const gbMedia = new OpenAPIHono<AppEnv>();

/** Playback or download: through the media server, or to the given/default address without one. */
async function history(c: Ctx, gb: GbConfig, id: string, kind: 'playback' | 'download', b: z.infer<typeof History> & { speed?: number }, wait: number): Promise<DeviceReply> {
  const times = historyTimes(b.startTime, b.endTime, gb.utcOffsetMinutes);
  if (!times.ok) return refuse(c, times.error);
  const channel = b.channel ?? id;
  const speed = kind === 'download' ? (b.speed ?? 4) : undefined;
  const zlm = readZlmConfig(c.env);
  if (zlm && b.mediaIp === undefined) {
    const r: MediaRequest = { kind, deviceId: id, channelId: channel, tcp: b.tcp === true, record: { startTime: b.startTime, endTime: b.endTime, ...times.value } };
    if (speed !== undefined) r.downloadSpeed = speed;
    return reply(c, await startMedia(c.env, gb, zlm, r, wait));
  }
  const ip = b.mediaIp ?? gb.media?.ip;
  const port = b.mediaPort ?? gb.media?.port;
  if (!ip || !port) return refuse(c, 'a media server is needed: ZLM_URL, "mediaIp" and "mediaPort", or GB_MEDIA_IP/GB_MEDIA_PORT');
  const o = (await device(c, id).gbLiveStart(channel, { ip, port, tcp: b.tcp === true }, wait, {
    session: kind === 'playback' ? 'Playback' : 'Download', kind, time: times.value, ...(speed !== undefined ? { downloadSpeed: speed } : {}),
  })) as GbOutcome;
  return reply(c, o);
}

gbMedia.openapi(
  createRoute({
    method: 'post', path: '/devices/{id}/playback', summary: 'Play a recording back (INVITE s=Playback, u=, t= from a RecordInfo item)',
    request: { params: DeviceParams, query: WaitQuery, body: body(History) },
    responses: answers('the session: callId, ssrc, answer, and with a media server stream and urls'),
  }),
  (c) => history(c, gbOf(c), c.req.valid('param').id, 'playback', c.req.valid('json'), waitMs(c.req.valid('query').wait)),
);

gbMedia.openapi(
  createRoute({
    method: 'post', path: '/devices/{id}/download', summary: 'Download a recording (INVITE s=Download, a=downloadspeed:)',
    request: {
      params: DeviceParams, query: WaitQuery,
      body: body(History.extend({ speed: z.union(DOWNLOAD_SPEEDS.map((s) => z.literal(s))).optional().openapi({ description: 'times real time (default 4)' }) })),
    },
    responses: answers('the session'),
  }),
  (c) => history(c, gbOf(c), c.req.valid('param').id, 'download', c.req.valid('json'), waitMs(c.req.valid('query').wait)),
);

const Control = z.discriminatedUnion('action', [
  z.object({ action: z.literal('play') }),
  z.object({ action: z.literal('pause') }),
  z.object({ action: z.literal('seek'), npt: z.number().min(0).max(86_400).openapi({ description: 'seconds into the record' }) }),
  z.object({ action: z.literal('scale'), scale: z.union(SCALES.map((s) => z.literal(s))) }),
]);

gbMedia.openapi(
  createRoute({
    method: 'post', path: '/devices/{id}/sessions/{callId}/control', summary: 'Playback control: MANSRTSP PLAY / PAUSE / Range / Scale in INFO',
    request: { params: SessionParams, query: WaitQuery, body: body(Control) },
    responses: answers('the device\'s answer and the MANSRTSP body sent'),
  }),
  async (c) => {
    const { id, callId } = c.req.valid('param');
    return reply(c, (await device(c, id).gbSessionInfo(callId, c.req.valid('json') as PlaybackControl, waitMs(c.req.valid('query').wait))) as GbOutcome);
  },
);

/** Stop a session: BYE, and with a media server close its receiver and free its SSRC. */
export async function stopSession(c: Ctx, id: string, callId: string, wait: number): Promise<DeviceReply> {
  const zlm = readZlmConfig(c.env);
  const s = zlm ? await sessionOfCall(c.env, zlm, callId) : null;
  if (zlm && s && s.deviceId === id) return reply(c, await stopMedia(c.env, zlm, s.stream, { state: 'ended', reason: 'stopped by the API', closeReceiver: true }, wait));
  return reply(c, (await device(c, id).gbLiveStop(callId, wait)) as GbOutcome);
}

gbMedia.openapi(
  createRoute({
    method: 'delete', path: '/devices/{id}/sessions/{callId}', summary: 'Stop live view, playback or download (BYE; the receiver is closed)',
    request: { params: SessionParams, query: WaitQuery },
    responses: answers('the device\'s answer to the BYE'),
  }),
  (c) => stopSession(c, c.req.valid('param').id, c.req.valid('param').callId, waitMs(c.req.valid('query').wait)),
);

gbMedia.openapi(
  createRoute({
    method: 'get', path: '/media/sessions', summary: 'Media sessions on the media server: active ones, then the last ended, newest first',
    request: {
      query: z.object({
        device: DeviceId.optional(), active: z.enum(['true', 'false']).optional(),
        probe: z.enum(['true', 'false']).optional().openapi({ description: `ask the media server (isMediaOnline) whether each active stream is up; at most ${MAX_PROBES}` }),
      }),
    },
    responses: { 200: json(Json, 'the sessions, with play URLs'), ...gbErrors(400, 401), 404: error('no media server') },
  }),
  async (c) => {
    const zlm = readZlmConfig(c.env);
    if (!zlm) return c.json({ error: 'no media server is configured (ZLM_URL, ZLM_SECRET)' }, 404);
    const { device: deviceId, active, probe } = c.req.valid('query');
    const all = await mediaServerStub(c.env, zlm.mediaServerId).list();
    const picked = all.filter((s) => (deviceId === undefined || s.deviceId === deviceId) && (active === undefined || (active === 'true') === isActive(s)));
    const sessions: Array<ReturnType<typeof shown> & { online?: boolean | null }> = picked.map((s) => shown(zlm, s));
    if (probe === 'true') {
      const client = zlmClient(zlm);
      await Promise.all(sessions.filter(isActive).slice(0, MAX_PROBES).map(async (s) => {
        const r = await client.isMediaOnline(s.stream);
        s.online = r.ok ? r.value : null;
      }));
    }
    return c.json({ mediaServerId: zlm.mediaServerId, sessions }, 200);
  },
);
