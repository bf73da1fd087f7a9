/**
 * `/api/v1/gb28181`: playback, download, playback control, stop and the media session list (OpenAPI routes).
 * With a media server (ZLM_URL, ZLM_SECRET) the receiver, SSRC and play URLs come from it (`media/gb-media.ts`);
 * without one, or with `mediaIp`/`mediaPort` in the body, the INVITE points where it is told, as live view does.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { readConfig, type GbConfig } from '../config.js';
import { aorStub, mediaServerStub } from '../objects/stubs.js';
import type { GbOutcome } from '../objects/aor-gb.js';
import { DOWNLOAD_SPEEDS, historyTimes, SCALES } from '../gb28181/history.js';
import type { PlaybackControl } from '../gb28181/mansrtsp.js';
import { readZlmConfig, type ZlmConfig } from '../media/zlm.js';
import { isActive } from '../media/media-session.js';
import { streamAttribute, type StreamVariant } from '../gb28181/sdp.js';
import { sessionOfCall, shown, startMedia, stopMedia, zlmClient, type MediaFailure, type MediaOutcome, type MediaRequest } from '../media/gb-media.js';
import { gbTime } from './fields.js';

type AppEnv = { Bindings: Env };
type Ctx = Context<AppEnv>;

/** HTTP status of each reason a media operation failed. */
const STATUS: Record<MediaFailure, 404 | 409 | 502 | 503 | 504> = {
  'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504, 'media-server': 502, 'no-ssrc': 503,
};

/** Answer an outcome: 200 with its data, or the failure's status with `{ error, sipStatus? }`. */
export function mediaReply(c: Ctx, o: MediaOutcome | GbOutcome): Response {
  if (o.ok) return c.json(o.data as object, 200);
  return c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, STATUS[o.failure]);
}

/** Most streams one session list asks the media server about. */
const MAX_PROBES = 50;

const VARIANTS = ['streamnumber', 'stream', 'streamprofile', 'streamMode'] as const;

/**
 * Live view's stream selection from the body: `streamNumber` 0 (main) or 1 (sub), in `streamVariant`'s words
 * (default GB/T 28181-2022 `streamnumber`; `stream`, `streamprofile`, `streamMode` for devices that want those).
 * Undefined when none is asked; an error message when the fields are wrong.
 */
export function streamSelectOf(b: Record<string, unknown>): { ok: true; value?: string } | { ok: false; error: string } {
  if (b.streamNumber === undefined && b.streamVariant === undefined) return { ok: true };
  if (b.streamNumber !== 0 && b.streamNumber !== 1) return { ok: false, error: '"streamNumber" must be 0 (main) or 1 (sub)' };
  const variant = b.streamVariant ?? 'streamnumber';
  if (!VARIANTS.includes(variant as never)) return { ok: false, error: `"streamVariant" must be one of ${VARIANTS.join(', ')}` };
  return { ok: true, value: streamAttribute(variant as StreamVariant, b.streamNumber) };
}

/** Live view through the media server: receiver, SSRC, INVITE, play URLs. */
export async function liveThroughMediaServer(c: Ctx, gb: GbConfig, zlm: ZlmConfig, id: string, channel: string, tcp: boolean, streamSelect: string | undefined, waitMs: number): Promise<Response> {
  return mediaReply(c, await startMedia(c.env, gb, zlm, { kind: 'live', deviceId: id, channelId: channel, tcp, ...(streamSelect ? { streamSelect } : {}) }, waitMs));
}

/** Longest wait for a device, ms (`?wait=` seconds). */
const MAX_WAIT_S = 60;
const waitOf = (s: number | undefined) => (s ?? 10) * 1000;

const Id = z.string().regex(/^\d{20}$/, 'IDs are 20 digits');
const Wait = z.object({ wait: z.coerce.number().positive().max(MAX_WAIT_S).optional().openapi({ description: 'seconds to wait for the device (default 10)' }) });
const Ip = z.string().regex(/^[\d.]+$|^[0-9a-fA-F:]+$/, 'an IP address');
const Json = z.record(z.string(), z.unknown());
const Error = z.object({ error: z.string(), sipStatus: z.number().optional() });
const answers = (what: string) => ({
  200: { description: what, content: { 'application/json': { schema: Json } } },
  400: { description: 'bad request', content: { 'application/json': { schema: Error } } },
  404: { description: 'no such device or session', content: { 'application/json': { schema: Error } } },
  409: { description: 'device offline', content: { 'application/json': { schema: Error } } },
  502: { description: 'device or media server refused', content: { 'application/json': { schema: Error } } },
  503: { description: 'no free SSRC', content: { 'application/json': { schema: Error } } },
  504: { description: 'device silent', content: { 'application/json': { schema: Error } } },
});

/** A RecordInfo item's span, and where the media goes. */
const History = z.object({
  channel: Id.optional().openapi({ description: 'channel ID (default the device ID)' }),
  startTime: gbTime('startTime'), endTime: gbTime('endTime'),
  tcp: z.boolean().optional().openapi({ description: 'TCP-passive media (TCP/RTP/AVP, a=setup:passive)' }),
  mediaIp: Ip.optional(), mediaPort: z.number().int().min(1).max(65535).optional(),
});

/** The media routes; schema errors are answered by the `/api/v1` app's one hook (`openapi.ts`). */
export const gbMedia = new OpenAPIHono<AppEnv>();

/** Playback or download: through the media server, or to the given/default address without one. */
async function history(c: Ctx, gb: GbConfig, id: string, kind: 'playback' | 'download', b: z.infer<typeof History> & { speed?: number }, waitMs: number): Promise<Response> {
  const times = historyTimes(b.startTime, b.endTime, gb.utcOffsetMinutes);
  if (!times.ok) return c.json({ error: times.error }, 400);
  const channel = b.channel ?? id;
  const speed = kind === 'download' ? (b.speed ?? 4) : undefined;
  const zlm = readZlmConfig(c.env);
  if (zlm && b.mediaIp === undefined) {
    const r: MediaRequest = { kind, deviceId: id, channelId: channel, tcp: b.tcp === true, record: { startTime: b.startTime, endTime: b.endTime, ...times.value } };
    if (speed !== undefined) r.downloadSpeed = speed;
    return mediaReply(c, await startMedia(c.env, gb, zlm, r, waitMs));
  }
  const ip = b.mediaIp ?? gb.media?.ip;
  const port = b.mediaPort ?? gb.media?.port;
  if (!ip || !port) return c.json({ error: 'a media server is needed: ZLM_URL, "mediaIp" and "mediaPort", or GB_MEDIA_IP/GB_MEDIA_PORT' }, 400);
  const o = (await aorStub(c.env, `sip:${id}@${gb.realm}`).gbLiveStart(channel, { ip, port, tcp: b.tcp === true }, waitMs, {
    session: kind === 'playback' ? 'Playback' : 'Download', kind, time: times.value, ...(speed !== undefined ? { downloadSpeed: speed } : {}),
  })) as GbOutcome;
  return mediaReply(c, o);
}

const gbOf = (c: Ctx) => readConfig(c.env).gb!;

/**
 * The shared helpers above build their answers as plain Responses (statuses chosen from the outcome); the route
 * schemas document those answers, so a handler hands them on as the typed response it declared.
 */
const answer = async (r: Promise<Response>): Promise<never> => (await r) as never;

gbMedia.openapi(
  createRoute({
    method: 'post', path: '/devices/{id}/playback', summary: 'Play a recording back (INVITE s=Playback, u=, t= from a RecordInfo item)',
    request: { params: z.object({ id: Id }), query: Wait, body: { content: { 'application/json': { schema: History } }, required: true } },
    responses: answers('the session: callId, ssrc, answer, and with a media server stream and urls'),
  }),
  (c) => answer(history(c, gbOf(c), c.req.valid('param').id, 'playback', c.req.valid('json'), waitOf(c.req.valid('query').wait))),
);

gbMedia.openapi(
  createRoute({
    method: 'post', path: '/devices/{id}/download', summary: 'Download a recording (INVITE s=Download, a=downloadspeed:)',
    request: {
      params: z.object({ id: Id }), query: Wait,
      body: { content: { 'application/json': { schema: History.extend({ speed: z.union(DOWNLOAD_SPEEDS.map((s) => z.literal(s))).optional().openapi({ description: 'times real time (default 4)' }) }) } }, required: true },
    },
    responses: answers('the session'),
  }),
  (c) => answer(history(c, gbOf(c), c.req.valid('param').id, 'download', c.req.valid('json'), waitOf(c.req.valid('query').wait))),
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
    request: { params: z.object({ id: Id, callId: z.string().min(1).max(256) }), query: Wait, body: { content: { 'application/json': { schema: Control } }, required: true } },
    responses: answers('the device\'s answer and the MANSRTSP body sent'),
  }),
  (c) => {
    const { id, callId } = c.req.valid('param');
    const device = aorStub(c.env, `sip:${id}@${gbOf(c).realm}`);
    return answer(device.gbSessionInfo(callId, c.req.valid('json') as PlaybackControl, waitOf(c.req.valid('query').wait)).then((o) => mediaReply(c, o as GbOutcome)));
  },
);

/** Stop a session: BYE, and with a media server close its receiver and free its SSRC. */
export async function stopSession(c: Ctx, id: string, callId: string, waitMs: number): Promise<Response> {
  const zlm = readZlmConfig(c.env);
  const s = zlm ? await sessionOfCall(c.env, zlm, callId) : null;
  if (zlm && s && s.deviceId === id) return mediaReply(c, await stopMedia(c.env, zlm, s.stream, { state: 'ended', reason: 'stopped by the API', closeReceiver: true }, waitMs));
  return mediaReply(c, (await aorStub(c.env, `sip:${id}@${gbOf(c).realm}`).gbLiveStop(callId, waitMs)) as GbOutcome);
}

gbMedia.openapi(
  createRoute({
    method: 'delete', path: '/devices/{id}/sessions/{callId}', summary: 'Stop live view, playback or download (BYE; the receiver is closed)',
    request: { params: z.object({ id: Id, callId: z.string().min(1).max(256) }), query: Wait },
    responses: answers('the device\'s answer to the BYE'),
  }),
  (c) => answer(stopSession(c, c.req.valid('param').id, c.req.valid('param').callId, waitOf(c.req.valid('query').wait))),
);

gbMedia.openapi(
  createRoute({
    method: 'get', path: '/media/sessions', summary: 'Media sessions on the media server: active ones, then the last ended, newest first',
    request: {
      query: z.object({
        device: Id.optional(), active: z.enum(['true', 'false']).optional(),
        probe: z.enum(['true', 'false']).optional().openapi({ description: `ask the media server (isMediaOnline) whether each active stream is up; at most ${MAX_PROBES}` }),
      }),
    },
    responses: { 200: { description: 'the sessions, with play URLs', content: { 'application/json': { schema: Json } } }, 404: { description: 'no media server', content: { 'application/json': { schema: Error } } } },
  }),
  async (c) => {
    const zlm = readZlmConfig(c.env);
    if (!zlm) return c.json({ error: 'no media server is configured (ZLM_URL, ZLM_SECRET)' }, 404);
    const { device, active, probe } = c.req.valid('query');
    const all = await mediaServerStub(c.env, zlm.mediaServerId).list();
    const picked = all.filter((s) => (device === undefined || s.deviceId === device) && (active === undefined || (active === 'true') === isActive(s)));
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
