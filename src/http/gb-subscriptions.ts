/**
 * `/api/v1/gb28181/devices/{id}/…`: a GB/T 28181 device's subscriptions (catalog, alarm, position), its
 * alarms and its last position. An OpenAPI sub-app (zod schemas validate each request; a failure is 400
 * `{ error }`), mounted by `gb28181.ts`. Unknown device or subscription 404, offline 409, refused 502,
 * silent 504.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { aorStub } from '../objects/stubs.js';
import type { GbFailure, GbOutcome } from '../objects/aor-gb.js';
import { MAX_ALARMS } from '../gb28181/alarm.js';
import { SUBSCRIPTION_KINDS, type SubscriptionParams } from '../gb28181/subscription.js';
import { gbTime } from './fields.js';

type AppEnv = { Bindings: Env };

/** Requested duration when none is given, seconds (as a camera's registration). */
const DEFAULT_EXPIRES = 3600;
/** Default and longest wait for the device's answer, ms. */
const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 60_000;

const FAILURE_STATUS: Record<GbFailure, 404 | 409 | 502 | 504> = { 'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504 };

const Error = z.object({ error: z.string(), sipStatus: z.number().int().optional() }).openapi('Error');
const errors = Object.fromEntries(
  ([[400, 'invalid request'], [404, 'no such device or subscription'], [409, 'device offline'], [502, 'device refused'], [504, 'device silent']] as const)
    .map(([code, description]) => [code, { description, content: { 'application/json': { schema: Error } } }]),
) as Record<400 | 404 | 409 | 502 | 504, { description: string; content: { 'application/json': { schema: typeof Error } } }>;

const DeviceParam = z.object({ id: z.string().regex(/^\d{20}$/, 'device IDs are 20 digits').openapi({ param: { name: 'id', in: 'path' }, example: '34020000001320000001' }) });
const KindParam = DeviceParam.extend({ kind: z.enum(SUBSCRIPTION_KINDS as ['catalog', 'alarm', 'position']).openapi({ param: { name: 'kind', in: 'path' } }) });
const Wait = z.object({ wait: z.coerce.number().positive().max(60).optional().openapi({ description: 'seconds to wait for the device (default 10, at most 60)' }) });

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

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The sub-app; every request is checked against its route's schemas first, by the `/api/v1` app's one hook. */
export const gbSubscriptions = new OpenAPIHono<AppEnv>();

function device(c: Context<AppEnv>, id: string) {
  return aorStub(c.env, `sip:${id}@${readConfig(c.env).gb!.realm}`);
}

const waitMs = (wait: number | undefined): number => (wait ? Math.min(wait * 1000, MAX_WAIT_MS) : DEFAULT_WAIT_MS);

function failure(c: Context<AppEnv>, o: Extract<GbOutcome, { ok: false }>) {
  return c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, FAILURE_STATUS[o.failure]);
}

/** Reads fail only for an unknown device or nothing to show. */
function notFound(c: Context<AppEnv>, o: Extract<GbOutcome, { ok: false }>) {
  return c.json({ error: o.error }, 404);
}

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/subscriptions', tags: ['GB28181'], summary: "The device's subscriptions",
  request: { params: DeviceParam },
  responses: { 200: json(z.object({ deviceId: z.string(), subscriptions: z.array(Subscription) }), 'catalog, alarm and position subscriptions, when held'), 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'list' })) as GbOutcome;
  return o.ok ? c.json(o.data as { deviceId: string; subscriptions: z.infer<typeof Subscription>[] }, 200) : notFound(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'put', path: '/devices/{id}/subscriptions/{kind}', tags: ['GB28181'], summary: 'Subscribe (or re-subscribe with new parameters)',
  description: 'SUBSCRIBE with `Event: Catalog` (catalog) or `Event: presence` (alarm, position) and the Query body; refreshed in the dialog before it expires.',
  request: { params: KindParam, query: Wait, body: { required: false, content: { 'application/json': { schema: SubscribeBody } } } },
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
  if (!o.ok) return failure(c, o);
  const data = o.data as z.infer<typeof Subscription> & { created: boolean };
  return data.created ? c.json({ ...data, created: true as const }, 201) : c.json({ ...data, created: false as const }, 200);
});

gbSubscriptions.openapi(createRoute({
  method: 'delete', path: '/devices/{id}/subscriptions/{kind}', tags: ['GB28181'], summary: 'Unsubscribe (SUBSCRIBE with Expires: 0)',
  request: { params: KindParam, query: Wait },
  responses: {
    200: json(z.object({ kind: z.string(), sent: z.boolean(), status: z.number().int().optional(), reason: z.string().optional() }), "forgotten; `status` is the device's answer when the dialog still lived"),
    404: errors[404],
  },
}), async (c) => {
  const { id, kind } = c.req.valid('param');
  const o = (await device(c, id).gbEvents({ op: 'unsubscribe', kind, waitMs: waitMs(c.req.valid('query').wait) })) as GbOutcome;
  return o.ok ? c.json(o.data as { kind: string; sent: boolean }, 200) : notFound(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/alarms', tags: ['GB28181'], summary: "The device's alarms, newest first",
  request: { params: DeviceParam, query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_ALARMS).optional().openapi({ description: `at most ${MAX_ALARMS} (the default)` }) }) },
  responses: { 200: json(z.object({ deviceId: z.string(), alarms: z.array(Alarm) }), `the last ${MAX_ALARMS} at most, by MESSAGE or NOTIFY`), 400: errors[400], 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'alarms', limit: c.req.valid('query').limit ?? MAX_ALARMS })) as GbOutcome;
  return o.ok ? c.json(o.data as { deviceId: string; alarms: z.infer<typeof Alarm>[] }, 200) : notFound(c, o);
});

gbSubscriptions.openapi(createRoute({
  method: 'get', path: '/devices/{id}/position', tags: ['GB28181'], summary: 'The last MobilePosition the device reported',
  request: { params: DeviceParam },
  responses: { 200: json(Position, 'the last position'), 404: errors[404] },
}), async (c) => {
  const o = (await device(c, c.req.valid('param').id).gbEvents({ op: 'position' })) as GbOutcome;
  return o.ok ? c.json(o.data as z.infer<typeof Position>, 200) : notFound(c, o);
});
