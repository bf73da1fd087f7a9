/**
 * `/api/v1/gb28181/devices/{id}/…`: a GB/T 28181 device's subscriptions (catalog, alarm, position), its
 * alarms and its last position. An OpenAPI sub-app (zod schemas validate each request; a failure is 400
 * `{ error }`), mounted by `gb28181.ts`. Unknown device or subscription 404, offline 409, refused 502,
 * silent 504 (`gb-api.ts`).
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { GbOutcome } from '../objects/aor-gb.js';
import { MAX_ALARMS } from '../gb28181/alarm.js';
import { SUBSCRIPTION_KINDS, type SubscriptionParams } from '../gb28181/subscription.js';
import { gbTime } from './fields.js';
import { body, json, type AppEnv } from './openapi.js';
import { DeviceParams, device, gbErrors, reply, WaitQuery, waitMs } from './gb-api.js';

/** Requested duration when none is given, seconds (as a camera's registration). */
const DEFAULT_EXPIRES = 3600;

const errors = gbErrors(400, 404, 409, 502, 504);
const KindParams = DeviceParams.extend({ kind: z.enum(SUBSCRIPTION_KINDS as ['catalog', 'alarm', 'position']).openapi({ param: { name: 'kind', in: 'path' } }) });

const SubscribeBody = z.object({
  expires: z.number().int().min(30).max(86_400).optional().openapi({ description: 'requested duration, seconds (default 3600)' }),
  interval: z.number().int().min(1).max(3600).optional().openapi({ description: 'position only: seconds between reports (default 5)' }),
  startAlarmPriority: z.number().int().min(0).max(4).optional(),
  endAlarmPriority: z.number().int().min(0).max(4).optional(),
  alarmMethod: z.string().regex(/^[0-7](\/[0-7]){0,7}$/, 'digits 0-7 joined by /').optional(),
  alarmType: z.string().regex(/^\d{1,4}$/, 'a number').optional(),
  startAlarmTime: gbTime('startAlarmTime').optional(),
  endAlarmTime: gbTime('endAlarmTime').optional(),
}).strict().openapi('SubscribeRequest');

const Subscription = z.object({
  kind: z.enum(['catalog', 'alarm', 'position']), event: z.string(), state: z.enum(['active', 'retrying', 'lost', 'terminated']),
  params: z.record(z.string(), z.unknown()), callId: z.string(), sn: z.number().int(), expires: z.number().int(), expiresAt: z.number().int(),
  refreshAt: z.number().int().nullable(), createdAt: z.number().int(), refreshedAt: z.number().int(), failures: z.number().int(), lastError: z.string().nullable(),
}).openapi('Subscription');

const Alarm = z.object({
  deviceId: z.string(), sn: z.number().int(), priority: z.number().int().nullable(), method: z.string(), time: z.string(), description: z.string(),
  longitude: z.number().optional(), latitude: z.number().optional(), type: z.number().int().optional(), eventType: z.number().int().optional(),
  receivedAt: z.number().int(), via: z.enum(['message', 'notify']),
}).openapi('DeviceAlarm');

const Position = z.object({
  deviceId: z.string(), time: z.string(), longitude: z.number(), latitude: z.number(), speed: z.number().optional(), direction: z.number().optional(),
  altitude: z.number().optional(), receivedAt: z.number().int(),
}).openapi('MobilePosition');

/** The sub-app; every request is checked against its route's schemas first, by the `/api/v1` app's one hook. */
export const gbSubscriptions = new OpenAPIHono<AppEnv>();

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/subscriptions', tags: ['gb28181'], summary: "The device's subscriptions",
  request: { params: DeviceParams },
  responses: { 200: json(z.object({ deviceId: z.string(), subscriptions: z.array(Subscription) }), 'catalog, alarm and position subscriptions, when held'), 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'list' })) as GbOutcome;
  return o.ok ? c.json(o.data as { deviceId: string; subscriptions: z.infer<typeof Subscription>[] }, 200) : reply(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'put', path: '/devices/{id}/subscriptions/{kind}', tags: ['gb28181'], summary: 'Subscribe (or re-subscribe with new parameters)',
  description: 'SUBSCRIBE with `Event: Catalog` (catalog) or `Event: presence` (alarm, position) and the Query body; refreshed in the dialog before it expires.',
  request: { params: KindParams, query: WaitQuery, body: body(SubscribeBody, false) },
  responses: {
    200: json(Subscription.extend({ created: z.literal(false) }), 'the subscription, renewed with new parameters'),
    201: json(Subscription.extend({ created: z.literal(true) }), 'the subscription, accepted by the device'),
    400: errors[400], 404: errors[404], 409: errors[409], 502: errors[502], 504: errors[504],
  },
}), async (c) => {
  const { id, kind } = c.req.valid('param');
  const b = c.req.valid('json') ?? {};
  const alarmKeys = (['startAlarmPriority', 'endAlarmPriority', 'alarmMethod', 'alarmType', 'startAlarmTime', 'endAlarmTime'] as const).filter((k) => b[k] !== undefined);
  if (kind !== 'position' && b.interval !== undefined) return c.json({ error: '"interval" is for position subscriptions' }, 400);
  if (kind !== 'alarm' && alarmKeys.length > 0) return c.json({ error: `"${alarmKeys[0]}" is for alarm subscriptions` }, 400);
  const params: SubscriptionParams = { ...b, expires: b.expires ?? DEFAULT_EXPIRES };
  const o = (await device(c, id).gbEvents({ op: 'subscribe', kind, params, waitMs: waitMs(c.req.valid('query').wait) })) as GbOutcome;
  if (!o.ok) return reply(c, o);
  const data = o.data as z.infer<typeof Subscription> & { created: boolean };
  return data.created ? c.json({ ...data, created: true as const }, 201) : c.json({ ...data, created: false as const }, 200);
});

gbSubscriptions.openapi(createRoute({
  method: 'delete', path: '/devices/{id}/subscriptions/{kind}', tags: ['gb28181'], summary: 'Unsubscribe (SUBSCRIBE with Expires: 0)',
  request: { params: KindParams, query: WaitQuery },
  responses: {
    200: json(z.object({ kind: z.string(), sent: z.boolean(), status: z.number().int().optional(), reason: z.string().optional() }), "forgotten; `status` is the device's answer when the dialog still lived"),
    404: errors[404],
  },
}), async (c) => {
  const { id, kind } = c.req.valid('param');
  const o = (await device(c, id).gbEvents({ op: 'unsubscribe', kind, waitMs: waitMs(c.req.valid('query').wait) })) as GbOutcome;
  return o.ok ? c.json(o.data as { kind: string; sent: boolean }, 200) : reply(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/alarms', tags: ['gb28181'], summary: "The device's alarms, newest first",
  request: { params: DeviceParams, query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_ALARMS).optional().openapi({ description: `at most ${MAX_ALARMS} (the default)` }) }) },
  responses: { 200: json(z.object({ deviceId: z.string(), alarms: z.array(Alarm) }), `the last ${MAX_ALARMS} at most, by MESSAGE or NOTIFY`), 400: errors[400], 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'alarms', limit: c.req.valid('query').limit ?? MAX_ALARMS })) as GbOutcome;
  return o.ok ? c.json(o.data as { deviceId: string; alarms: z.infer<typeof Alarm>[] }, 200) : reply(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/position', tags: ['gb28181'], summary: 'The last MobilePosition the device reported',
  request: { params: DeviceParams },
  responses: { 200: json(Position, 'the last position'), 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'position' })) as GbOutcome;
  return o.ok ? c.json(o.data as z.infer<typeof Position>, 200) : reply(c, o);
});
