/**
 * `/api/v1/gb28181/devices/{id}/broadcast`: GB/T 28181 voice broadcast (§9.12) through the admin API, an
 * OpenAPI sub-app (`@hono/zod-openapi`) mounted by `gb28181.ts`. Start sends `Notify/Broadcast` and answers
 * once the device's INVITE has been answered; list and stop (BYE). Invalid input 400, unknown device or
 * session 404, offline device 409, refused 502, silent device 504, each `{ "error": … }`.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { aorStub } from '../objects/stubs.js';
import type { GbFailure, GbOutcome } from '../objects/aor-gb.js';

type AppEnv = { Bindings: Env };

/** Default and largest wait for the device (its 200, its INVITE, its answer to BYE), ms. */
const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 60_000;

const GB_ID = /^\d{20}$/;
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

const ErrorBody = z.object({ error: z.string(), sipStatus: z.number().int().optional() }).openapi('GbError');
const errors = (...codes: Array<400 | 404 | 409 | 502 | 504>) =>
  Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c], content: { 'application/json': { schema: ErrorBody } } }])) as Record<400 | 404 | 409 | 502 | 504, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }>;
const ERROR_TEXT = {
  400: 'invalid input', 404: 'unknown device or broadcast', 409: 'the device is offline', 502: 'the device refused', 504: 'the device did not answer in time',
} as const;

const DeviceParam = z.object({
  id: z.string().regex(GB_ID, 'device IDs are 20 digits').openapi({ param: { name: 'id', in: 'path' }, example: '34020000001320000001' }),
});
const Wait = z.object({
  wait: z.coerce.number().positive('"wait" must be a positive number of seconds').optional()
    .openapi({ param: { name: 'wait', in: 'query' }, description: 'seconds to wait for the device (default 10, at most 60)' }),
});
const AudioSource = z.object({
  ip: z.string().regex(IP, '"audio.ip" must be an IPv4 or IPv6 address'),
  port: z.number().int('"audio.port" must be an integer 1-65535').min(1, '"audio.port" must be an integer 1-65535').max(65535, '"audio.port" must be an integer 1-65535'),
}).openapi('AudioSource');
const StartBody = z.object({
  channel: z.string().regex(GB_ID, '"channel" must be a 20-digit audio output channel ID').optional()
    .openapi({ description: 'the audio output channel (TargetID); default the device ID' }),
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
  method: 'post', path: '/devices/{id}/broadcast', summary: 'Start a voice broadcast to a device (GB/T 28181 §9.12)',
  request: { params: DeviceParam, query: Wait, body: { content: { 'application/json': { schema: StartBody } } } },
  responses: { 200: { description: "the device's INVITE was answered", content: { 'application/json': { schema: Session } } }, ...errors(400, 404, 409, 502, 504) },
});
const list = createRoute({
  method: 'get', path: '/devices/{id}/broadcast', summary: "A device's broadcast sessions, and those waiting for its INVITE",
  request: { params: DeviceParam },
  responses: {
    200: { description: 'sessions', content: { 'application/json': { schema: z.object({ broadcasts: z.array(Session), pending: z.array(z.object({ sourceId: z.string(), targetId: z.string() })) }) } } },
    ...errors(400, 404),
  },
});
const stop = createRoute({
  method: 'delete', path: '/devices/{id}/broadcast/{callId}', summary: 'Stop a voice broadcast (BYE)',
  request: { params: DeviceParam.extend({ callId: z.string().min(1).max(256).openapi({ param: { name: 'callId', in: 'path' } }) }), query: Wait },
  responses: { 200: { description: "the device's answer to BYE", content: { 'application/json': { schema: z.object({ status: z.number(), reason: z.string() }) } } }, ...errors(400, 404, 502, 504) },
});

/** HTTP status of each reason a GB operation failed (as `gb28181.ts`). */
const FAILURE_STATUS: Record<GbFailure, 404 | 409 | 502 | 504> = { 'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504 };

function fail(c: Context<AppEnv>, o: Extract<GbOutcome, { ok: false }>) {
  return c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, FAILURE_STATUS[o.failure]);
}

const waitMs = (s: number | undefined): number => (s ? Math.min(s * 1000, MAX_WAIT_MS) : DEFAULT_WAIT_MS);

/** The broadcast routes; validation failures are 400 with the schema's message. */
export const gbBroadcast = new OpenAPIHono<AppEnv>({
  defaultHook: (result, c) => {
    if (!result.success) return c.json({ error: result.error.issues[0]?.message ?? 'invalid input' }, 400);
  },
});

// A body that is not JSON: 400 with the validator's message, in the API's error shape.
gbBroadcast.onError((err, c) => {
  if (err instanceof HTTPException && err.status === 400) return c.json({ error: err.message }, 400);
  throw err;
});

gbBroadcast.openapi(start, async (c) => {
  const gb = readConfig(c.env).gb!;
  const { id } = c.req.valid('param');
  const body = c.req.valid('json');
  const audio = body.audio ?? gb.broadcastAudio;
  if (!audio) return c.json({ error: 'an audio source is needed: "audio" {ip, port}, or GB_BROADCAST_AUDIO_IP/GB_BROADCAST_AUDIO_PORT' }, 400);
  const o = (await aorStub(c.env, `sip:${id}@${gb.realm}`).gbBroadcast({
    op: 'start', sourceId: gb.platformId, targetId: body.channel ?? id, audio, waitMs: waitMs(c.req.valid('query').wait),
  })) as GbOutcome;
  return o.ok ? c.json(o.data as z.infer<typeof Session>, 200) : fail(c, o);
});

gbBroadcast.openapi(list, async (c) => {
  const gb = readConfig(c.env).gb!;
  const o = (await aorStub(c.env, `sip:${c.req.valid('param').id}@${gb.realm}`).gbBroadcast({ op: 'list' })) as GbOutcome;
  return o.ok ? c.json(o.data as { broadcasts: Array<z.infer<typeof Session>>; pending: Array<{ sourceId: string; targetId: string }> }, 200) : c.json({ error: o.error }, 404);
});

gbBroadcast.openapi(stop, async (c) => {
  const gb = readConfig(c.env).gb!;
  const { id, callId } = c.req.valid('param');
  const o = (await aorStub(c.env, `sip:${id}@${gb.realm}`).gbBroadcast({ op: 'stop', callId, waitMs: waitMs(c.req.valid('query').wait) })) as GbOutcome;
  return o.ok ? c.json(o.data as { status: number; reason: string }, 200) : fail(c, o);
});
