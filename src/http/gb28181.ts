/**
 * `/api/v1/gb28181`: GB/T 28181 devices through the admin API. Unknown device 404, offline device 409, device
 * silent past the wait 504, device refusal 502, all with a message.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler, TypedResponse } from 'hono';
import { readConfig, type GbConfig } from '../config.js';
import { accountFor } from '../auth/authenticate.js';
import { aorStub, gbDirectoryStub } from '../objects/stubs.js';
import { CallId, ChannelId, DeviceId, gbTime, intUpTo, MediaIp, Port, RecordType } from './fields.js';
import { buildPtzCmd } from '../gb28181/ptz.js';
import type { QueryCmdType } from '../gb28181/manscdp-build.js';
import type { DeviceView, GbFailure, GbOutcome } from '../objects/aor-gb.js';
import { body, COMMON_ERRORS, error, json, type AppEnv } from './openapi.js';

type Ctx = Context<AppEnv>;

/** Default and largest wait for a device's answer, ms. */
const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 60_000;

/** The path of every device route. */
export const DeviceParams = z.object({ id: DeviceId.openapi({ param: { name: 'id', in: 'path' } }) });
/** `?wait=S`: seconds to wait for the device (default 10, at most 60). */
export const WaitQuery = z.object({
  wait: z.coerce.number({ error: '"wait" must be a number of seconds > 0 (at most 60 are waited)' }).positive().optional()
    .openapi({ param: { name: 'wait', in: 'query' }, description: 'seconds to wait for the device (default 10, capped at 60)', example: 10 }),
});

function gbOf(c: Ctx): GbConfig {
  return readConfig(c.env).gb!;
}

function device(c: Ctx, id: string) {
  return aorStub(c.env, `sip:${id}@${gbOf(c).realm}`);
}

function waitMs(wait: number | undefined): number {
  return wait === undefined ? DEFAULT_WAIT_MS : Math.min(wait * 1000, MAX_WAIT_MS);
}

/** HTTP status of each reason a GB operation failed. */
const FAILURE_STATUS: Record<GbFailure, 404 | 409 | 502 | 504> = {
  'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504,
};

/** The failures every device operation can answer. */
const DEVICE_ERRORS = {
  ...COMMON_ERRORS,
  404: error('GB28181 disabled, unknown device, or no such session'),
  409: error('the device is offline'),
  502: json(z.object({ error: z.string(), sipStatus: z.number().int().optional() }), 'the device refused (its SIP status in sipStatus)'),
  504: json(z.object({ error: z.string(), sipStatus: z.number().int().optional() }), 'the device did not answer within the wait'),
};

/** What the device answered (loosely described: it is the device's own data). */
const DeviceAnswer = z.record(z.string(), z.unknown()).openapi('DeviceAnswer');
const SipAnswer = z.object({ status: z.number().int(), reason: z.string() }).openapi('SipAnswer');

/**
 * An answer the routes' schemas describe but do not check: the device's own data, already checked by the MANSCDP
 * and SDP parsers, or a failure with its status from {@link FAILURE_STATUS}.
 */
type DeviceReply = Response & TypedResponse<never, never, 'json'>;

function reply(c: Ctx, o: GbOutcome): DeviceReply {
  const res = o.ok
    ? c.json({ ...(o.partial ? { partial: true } : {}), ...(o.data as Record<string, unknown>) }, o.partial ? 206 : 200)
    : c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, FAILURE_STATUS[o.failure]);
  return res as DeviceReply;
}

/** 404 for every route while GB28181 is off (`GB_PLATFORM_ID` unset); mounted GB sub-apps may use it too. */
export const gbEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!readConfig(c.env).gb) return c.json({ error: 'GB28181 is disabled: set GB_PLATFORM_ID' }, 404);
  await next();
};

/** The `/gb28181` routes (mounted under the admin API's token guard). */
export const gb28181 = new OpenAPIHono<AppEnv>();
gb28181.use('*', gbEnabled);

const DeviceSummary = z.object({
  deviceId: z.string(), online: z.boolean(), offlineReason: z.string().nullable(), source: z.string().nullable(),
  transport: z.string().nullable(), userAgent: z.string().nullable(), registeredAt: z.number().nullable(), updatedAt: z.number(),
}).openapi('DeviceSummary');

gb28181.openapi(createRoute({
  method: 'get', path: '/devices', tags: ['gb28181'], summary: 'Every device of the GB realm, by ID',
  responses: {
    200: json(z.object({ platformId: z.string(), realm: z.string(), devices: z.array(DeviceSummary) }), 'the devices'),
    401: COMMON_ERRORS[401], 404: error('GB28181 disabled'),
  },
}), async (c) => {
  const gb = gbOf(c);
  return c.json({ platformId: gb.platformId, realm: gb.realm, devices: await gbDirectoryStub(c.env, gb.realm).list() }, 200);
});

gb28181.openapi(createRoute({
  method: 'get', path: '/devices/{id}', tags: ['gb28181'],
  summary: 'A device: online, last keepalive, address, transport, user agent, GB version, DeviceInfo, channels, live sessions',
  request: { params: DeviceParams },
  responses: { 200: json(DeviceAnswer, 'the device'), ...COMMON_ERRORS, 404: error('GB28181 disabled, or no such device') },
}), async (c) => {
  const view = (await device(c, c.req.valid('param').id).gbDevice()) as DeviceView | null;
  if (!view || (view.registeredAt === null && !view.online)) return c.json({ error: 'no such device' }, 404);
  return c.json(view as unknown as Record<string, unknown>, 200);
});

gb28181.openapi(createRoute({
  method: 'put', path: '/devices/{id}', tags: ['gb28181'], summary: 'A per-device password (overrides GB_PASSWORD; stored as HA1)',
  request: { params: DeviceParams, body: body(z.object({ password: z.string({ error: '"password" must be a string of 1 to 256 characters' }).min(1).max(256) })) },
  responses: {
    201: json(z.object({ deviceId: z.string(), realm: z.string() }), 'created'), 200: json(z.object({ deviceId: z.string(), realm: z.string() }), 'replaced'),
    ...COMMON_ERRORS, 404: error('GB28181 disabled'),
  },
}), async (c) => {
  const gb = gbOf(c);
  const { id } = c.req.valid('param');
  const { created } = await device(c, id).putAccount(accountFor(id, gb.realm, c.req.valid('json').password));
  return c.json({ deviceId: id, realm: gb.realm }, created ? 201 : 200);
});

function queryRoute(path: string, cmd: QueryCmdType) {
  return {
    method: 'post' as const, path: `/devices/{id}/${path}`, tags: ['gb28181'], summary: `${cmd} query; the device's answer`,
    responses: { 200: json(DeviceAnswer, 'the answer'), 206: json(DeviceAnswer, 'a partial answer (not every item arrived)'), ...DEVICE_ERRORS },
  };
}

for (const [path, cmd] of [['catalog', 'Catalog'], ['device-info', 'DeviceInfo'], ['device-status', 'DeviceStatus']] as const) {
  gb28181.openapi(createRoute({ ...queryRoute(path, cmd), request: { params: DeviceParams, query: WaitQuery } }), async (c) =>
    reply(c, await device(c, c.req.valid('param').id).gbQuery(cmd, waitMs(c.req.valid('query').wait))));
}

const RecordQuery = z.object({ startTime: gbTime('startTime').optional(), endTime: gbTime('endTime').optional(), type: RecordType.optional() }).openapi('RecordQuery');

gb28181.openapi(createRoute({ ...queryRoute('record-info', 'RecordInfo'), request: { params: DeviceParams, query: WaitQuery, body: body(RecordQuery, false) } }), async (c) => {
  const extra = Object.fromEntries(Object.entries(c.req.valid('json')).filter(([, v]) => v !== undefined));
  return reply(c, await device(c, c.req.valid('param').id).gbQuery('RecordInfo', waitMs(c.req.valid('query').wait), extra));
});

const PtzRequest = z.object({
  pan: z.enum(['left', 'right'], { error: '"pan" must be "left" or "right"' }).optional(),
  tilt: z.enum(['up', 'down'], { error: '"tilt" must be "up" or "down"' }).optional(),
  zoom: z.enum(['in', 'out'], { error: '"zoom" must be "in" or "out"' }).optional(),
  speed: intUpTo('speed', 255).optional(),
  zoomSpeed: intUpTo('zoomSpeed', 15).optional(),
  channel: ChannelId.optional().openapi({ description: 'the channel to move; default the device' }),
}).openapi('PtzRequest', { description: 'nothing: stop' });

gb28181.openapi(createRoute({
  method: 'post', path: '/devices/{id}/ptz', tags: ['gb28181'], summary: 'PTZ move or stop (GB/T 28181 A.3 PTZCmd)',
  request: { params: DeviceParams, query: WaitQuery, body: body(PtzRequest) },
  responses: { 200: json(SipAnswer.extend({ ptzCmd: z.string() }), 'the device\'s answer and the PTZCmd sent'), ...DEVICE_ERRORS },
}), async (c) => {
  const { channel, ...move } = c.req.valid('json');
  const { id } = c.req.valid('param');
  const ptzCmd = buildPtzCmd(move);
  const o = (await device(c, id).gbControl(channel ?? id, { ptzCmd }, waitMs(c.req.valid('query').wait))) as GbOutcome;
  return o.ok ? c.json({ ptzCmd, ...(o.data as { status: number; reason: string }) }, 200) : reply(c, o);
});

gb28181.openapi(createRoute({
  method: 'post', path: '/devices/{id}/control', tags: ['gb28181'], summary: 'Guard or reboot (DeviceControl)',
  request: {
    params: DeviceParams, query: WaitQuery,
    body: body(z.object({ command: z.enum(['SetGuard', 'ResetGuard', 'Reboot'], { error: '"command" must be SetGuard, ResetGuard or Reboot' }) })),
  },
  responses: { 200: json(SipAnswer, 'the device\'s answer'), ...DEVICE_ERRORS },
}), async (c) => {
  const { id } = c.req.valid('param');
  const { command } = c.req.valid('json');
  return reply(c, await device(c, id).gbControl(id, command === 'Reboot' ? { teleBoot: true } : { guard: command }, waitMs(c.req.valid('query').wait)));
});

const LiveRequest = z.object({
  channel: ChannelId.optional().openapi({ description: 'default the device' }),
  mediaIp: MediaIp.optional().openapi({ description: 'default GB_MEDIA_IP' }),
  mediaPort: Port('mediaPort').optional().openapi({ description: 'default GB_MEDIA_PORT' }),
  tcp: z.boolean({ error: '"tcp" must be true or false' }).optional(),
}).openapi('LiveRequest');

gb28181.openapi(createRoute({
  method: 'post', path: '/devices/{id}/live', tags: ['gb28181'], summary: 'Start live view of a channel towards a media server (INVITE s=Play)',
  request: { params: DeviceParams, query: WaitQuery, body: body(LiveRequest, false) },
  responses: { 200: json(DeviceAnswer, '{ callId, channelId, ssrc, answer (SDP), media: { ip, port } }'), ...DEVICE_ERRORS },
}), async (c) => {
  const gb = gbOf(c);
  const b = c.req.valid('json');
  const { id } = c.req.valid('param');
  const ip = b.mediaIp ?? gb.media?.ip;
  const port = b.mediaPort ?? gb.media?.port;
  if (!ip || !MediaIp.safeParse(ip).success || !port) {
    return c.json({ error: 'a media server is needed: "mediaIp" and "mediaPort", or GB_MEDIA_IP/GB_MEDIA_PORT' }, 400);
  }
  return reply(c, await device(c, id).gbLiveStart(b.channel ?? id, { ip, port, tcp: b.tcp === true }, waitMs(c.req.valid('query').wait)));
});

gb28181.openapi(createRoute({
  method: 'delete', path: '/devices/{id}/live/{callId}', tags: ['gb28181'], summary: 'Stop live view (BYE)',
  request: { params: DeviceParams.extend({ callId: CallId.openapi({ param: { name: 'callId', in: 'path' } }) }), query: WaitQuery },
  responses: { 200: json(SipAnswer, 'the device\'s answer to the BYE'), ...DEVICE_ERRORS },
}), async (c) => {
  const { id, callId } = c.req.valid('param');
  return reply(c, await device(c, id).gbLiveStop(callId, waitMs(c.req.valid('query').wait)));
});
