/**
 * `/api/v1/gb28181/devices/{id}/broadcast`: GB/T 28181 voice broadcast (§9.12) through the admin API, an
 * OpenAPI sub-app (`@hono/zod-openapi`) mounted by `gb28181.ts`. Start sends `Notify/Broadcast` and answers
 * once the device's INVITE has been answered; list and stop (BYE). Invalid input 400, unknown device or
 * session 404, offline device 409, refused 502, silent device 504, each `{ "error": … }` (`gb-api.ts`).
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { GbOutcome } from '../objects/aor-gb.js';
import { ChannelId, IpAddress, Port } from './fields.js';
import { body, json, type AppEnv } from './openapi.js';
import { DeviceParams, device, gbErrors, gbOf, refuse, reply, SessionParams, WaitQuery, waitMs } from './gb-api.js';

const AudioSource = z.object({ ip: IpAddress('audio.ip'), port: Port('audio.port') }).openapi('AudioSource');
const StartBody = z.object({
  channel: ChannelId.optional().openapi({ description: 'the audio output channel (TargetID); default the device ID' }),
  audio: AudioSource.optional().openapi({ description: 'where the G.711 RTP comes from; default GB_BROADCAST_AUDIO_IP/PORT' }),
}).strict().openapi('BroadcastStart');
const Session = z.object({
  callId: z.string(),
  sourceId: z.string(),
  targetId: z.string(),
  ssrc: z.string(),
  audio: AudioSource,
  device: z.object({ ip: z.string(), port: z.number(), transport: z.enum(['UDP', 'TCP']), setup: z.string().optional() }),
  offer: z.string().openapi({ description: "the device's SDP offer" }),
  answer: z.string().openapi({ description: 'our SDP answer (a=sendonly)' }),
  state: z.enum(['answered', 'confirmed']),
  startedAt: z.number(),
}).openapi('BroadcastSession');

const start = createRoute({
  method: 'post', path: '/devices/{id}/broadcast', tags: ['gb28181'], summary: 'Start a voice broadcast to a device (GB/T 28181 §9.12)',
  request: { params: DeviceParams, query: WaitQuery, body: body(StartBody, false) },
  responses: { 200: json(Session, "the device's INVITE was answered"), ...gbErrors(400, 401, 404, 409, 502, 504) },
});
const list = createRoute({
  method: 'get', path: '/devices/{id}/broadcast', tags: ['gb28181'], summary: "A device's broadcast sessions, and those waiting for its INVITE",
  request: { params: DeviceParams },
  responses: {
    200: json(z.object({ broadcasts: z.array(Session), pending: z.array(z.object({ sourceId: z.string(), targetId: z.string() })) }), 'sessions'),
    ...gbErrors(400, 401, 404),
  },
});
const stop = createRoute({
  method: 'delete', path: '/devices/{id}/broadcast/{callId}', tags: ['gb28181'], summary: 'Stop a voice broadcast (BYE)',
  request: { params: SessionParams, query: WaitQuery },
  responses: { 200: json(z.object({ status: z.number(), reason: z.string() }), "the device's answer to BYE"), ...gbErrors(400, 401, 404, 502, 504) },
});

/** The broadcast routes; a request that breaks a schema gets 400 `{ error }` from the `/api/v1` app's one hook. */
export const gbBroadcast = new OpenAPIHono<AppEnv>();

gbBroadcast.openapi(start, async (c) => {
  const gb = gbOf(c);
  const { id } = c.req.valid('param');
  const b = c.req.valid('json') ?? {};
  const audio = b.audio ?? gb.broadcastAudio;
  if (!audio) return refuse(c, 'an audio source is needed: "audio" {ip, port}, or GB_BROADCAST_AUDIO_IP/GB_BROADCAST_AUDIO_PORT');
  const o = (await device(c, id).gbBroadcast({
    op: 'start', sourceId: gb.platformId, targetId: b.channel ?? id, audio, waitMs: waitMs(c.req.valid('query').wait),
  })) as GbOutcome;
  return o.ok ? c.json(o.data as z.infer<typeof Session>, 200) : reply(c, o);
});

gbBroadcast.openapi(list, async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbBroadcast({ op: 'list' })) as GbOutcome;
  return o.ok ? c.json(o.data as { broadcasts: Array<z.infer<typeof Session>>; pending: Array<{ sourceId: string; targetId: string }> }, 200) : reply(c, o);
});

gbBroadcast.openapi(stop, async (c) => {
  const { id, callId } = c.req.valid('param');
  const o = (await device(c, id).gbBroadcast({ op: 'stop', callId, waitMs: waitMs(c.req.valid('query').wait) })) as GbOutcome;
  return o.ok ? c.json(o.data as { status: number; reason: string }, 200) : reply(c, o);
});
