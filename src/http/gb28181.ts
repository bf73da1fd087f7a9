/**
 * `/api/v1/gb28181`: GB/T 28181 devices through the admin API: the device list, a device, its password, queries,
 * PTZ and control, live view; the sub-apps it mounts add media, subscriptions and broadcast. What they share
 * (device path, wait, failure statuses) is in `gb-api.ts`.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { accountFor } from '../auth/authenticate.js';
import { gbDirectoryStub } from '../objects/stubs.js';
import { ChannelId, gbTime, intUpTo, MediaIp, Port, RecordType } from './fields.js';
import { buildPtzCmd } from '../gb28181/ptz.js';
import { STREAM_VARIANTS } from '../gb28181/sdp.js';
import type { QueryCmdType } from '../gb28181/manscdp-build.js';
import type { DeviceView, GbOutcome } from '../objects/aor-gb.js';
import { body, COMMON_ERRORS, error, json, type AppEnv } from './openapi.js';
import { DEVICE_ERRORS, DeviceParams, SessionParams, device, gbEnabled, gbOf, refuse, reply, WaitQuery, waitMs } from './gb-api.js';
import { readZlmConfig } from '../media/zlm.js';
import { gbMedia, liveThroughMediaServer, stopSession, streamSelectOf } from './gb-media.js';
import { gbSubscriptions } from './gb-subscriptions.js';
import { gbBroadcast } from './gb-broadcast.js';

/** What the device answered (loosely described: it is the device's own data). */
const DeviceAnswer = z.record(z.string(), z.unknown()).openapi('DeviceAnswer');
const SipAnswer = z.object({ status: z.number().int(), reason: z.string() }).openapi('SipAnswer');

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
  mediaIp: MediaIp.optional().openapi({ description: 'default GB_MEDIA_IP, or the media server (ZLM_URL) when configured' }),
  mediaPort: Port('mediaPort').optional().openapi({ description: 'default GB_MEDIA_PORT, or the media server\'s receiver' }),
  tcp: z.boolean({ error: '"tcp" must be true or false' }).optional(),
  streamNumber: z.union([z.literal(0), z.literal(1)], { error: '"streamNumber" must be 0 (main) or 1 (sub)' }).optional()
    .openapi({ description: 'GB/T 28181-2022 stream selection: 0 main, 1 sub' }),
  streamVariant: z.enum(STREAM_VARIANTS, { error: `"streamVariant" must be one of ${STREAM_VARIANTS.join(', ')}` }).optional()
    .openapi({ description: 'the SDP attribute a device wants for streamNumber (default streamnumber)' }),
}).openapi('LiveRequest');

gb28181.openapi(createRoute({
  method: 'post', path: '/devices/{id}/live', tags: ['gb28181'], summary: 'Start live view of a channel towards a media server (INVITE s=Play)',
  request: { params: DeviceParams, query: WaitQuery, body: body(LiveRequest, false) },
  responses: { 200: json(DeviceAnswer, '{ callId, channelId, ssrc, answer (SDP), media: { ip, port } }; with a media server also { stream, urls }'), ...DEVICE_ERRORS },
}), async (c) => {
  const gb = gbOf(c);
  const b = c.req.valid('json');
  const { id } = c.req.valid('param');
  const wait = waitMs(c.req.valid('query').wait);
  const select = streamSelectOf(b);
  if (!select.ok) return refuse(c, select.error);
  const zlm = readZlmConfig(c.env);
  if (zlm && b.mediaIp === undefined && b.mediaPort === undefined) return liveThroughMediaServer(c, gb, zlm, id, b.channel ?? id, b.tcp === true, select.value, wait);
  const ip = b.mediaIp ?? gb.media?.ip;
  const port = b.mediaPort ?? gb.media?.port;
  if (!ip || !MediaIp.safeParse(ip).success || !port) {
    return refuse(c, 'a media server is needed: "mediaIp" and "mediaPort", or GB_MEDIA_IP/GB_MEDIA_PORT');
  }
  return reply(c, await device(c, id).gbLiveStart(b.channel ?? id, { ip, port, tcp: b.tcp === true }, wait, select.value ? { streamSelect: select.value } : {}));
});

gb28181.openapi(createRoute({
  method: 'delete', path: '/devices/{id}/live/{callId}', tags: ['gb28181'], summary: 'Stop live view (BYE; with a media server the receiver is closed)',
  request: { params: SessionParams, query: WaitQuery },
  responses: { 200: json(SipAnswer, 'the device\'s answer to the BYE'), ...DEVICE_ERRORS },
}), async (c) => {
  const { id, callId } = c.req.valid('param');
  return stopSession(c, id, callId, waitMs(c.req.valid('query').wait));
});

// Playback, download, playback control, stop, media sessions; subscriptions, alarms and position.
gb28181.route('/', gbMedia);
gb28181.route('/', gbSubscriptions);
gb28181.route('/', gbBroadcast);
