/**
 * `/api/v1/gb28181`: GB/T 28181 devices through the admin API. Unknown device
 * 404, offline device 409, device silent past the wait 504, all with a message.
 * @module
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { readConfig, type GbConfig } from '../config.js';
import { accountFor } from '../auth/authenticate.js';
import { aorStub, gbDirectoryStub } from '../objects/stubs.js';
import { isGbTime, RECORD_TYPES } from './fields.js';
import { buildPtzCmd, type PtzMove } from '../gb28181/ptz.js';
import type { QueryCmdType } from '../gb28181/manscdp-build.js';
import type { DeviceView, GbFailure, GbOutcome } from '../objects/aor-gb.js';
import { gbBroadcast } from './gb-broadcast.js';

type AppEnv = { Bindings: Env };
type Ctx = Context<AppEnv>;

const ID = /^\d{20}$/;
/** Default and largest wait for a device's answer, ms. */
const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 60_000;

function gbOf(c: Ctx): GbConfig | null {
  return readConfig(c.env).gb;
}

function device(c: Ctx, gb: GbConfig, id: string) {
  return aorStub(c.env, `sip:${id}@${gb.realm}`);
}

function waitMs(c: Ctx): number {
  const s = Number(c.req.query('wait'));
  return Number.isFinite(s) && s > 0 ? Math.min(s * 1000, MAX_WAIT_MS) : DEFAULT_WAIT_MS;
}

async function body(c: Ctx): Promise<Record<string, unknown> | null> {
  try {
    const b = (await c.req.json()) as unknown;
    return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** HTTP status of each reason a GB operation failed. */
const FAILURE_STATUS: Record<GbFailure, 404 | 409 | 502 | 504> = {
  'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504,
};

function reply(c: Ctx, outcome: unknown): Response {
  const o = outcome as GbOutcome;
  if (o.ok) return c.json(o.partial ? { partial: true, ...(o.data as object) } : (o.data as object), o.partial ? 206 : 200);
  return c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, FAILURE_STATUS[o.failure]);
}

/** The `/gb28181` routes (mounted under the admin API's token guard). */
export const gb28181 = new Hono<AppEnv>();

gb28181.use('*', async (c, next) => {
  if (!gbOf(c)) return c.json({ error: 'GB28181 is disabled: set GB_PLATFORM_ID' }, 404);
  await next();
});

// The device ID is checked where the route names it (a `*` middleware sees no route parameters).
const deviceId = async (c: Ctx, next: () => Promise<void>) => {
  if (!ID.test(c.req.param('id') ?? '')) return c.json({ error: 'device IDs are 20 digits' }, 400);
  await next();
};
gb28181.use('/devices/:id', deviceId);
gb28181.use('/devices/:id/*', deviceId);

gb28181.get('/devices', async (c) => {
  const gb = gbOf(c)!;
  const list = await gbDirectoryStub(c.env, gb.realm).list();
  return c.json({ platformId: gb.platformId, realm: gb.realm, devices: list });
});

gb28181.get('/devices/:id', async (c) => {
  const gb = gbOf(c)!;
  const view = (await device(c, gb, c.req.param('id')).gbDevice()) as DeviceView | null;
  if (!view || (view.registeredAt === null && !view.online)) return c.json({ error: 'no such device' }, 404);
  return c.json(view);
});

/** Per-device password (overrides the realm's shared one); stored as HA1. */
gb28181.put('/devices/:id', async (c) => {
  const gb = gbOf(c)!;
  const b = await body(c);
  const password = b?.password;
  if (typeof password !== 'string' || password.length < 1 || password.length > 256) return c.json({ error: '"password" must be a string' }, 400);
  const id = c.req.param('id');
  const { created } = await device(c, gb, id).putAccount(accountFor(id, gb.realm, password));
  return c.json({ deviceId: id, realm: gb.realm }, created ? 201 : 200);
});

const QUERIES: Record<string, QueryCmdType> = { catalog: 'Catalog', 'device-info': 'DeviceInfo', 'device-status': 'DeviceStatus', 'record-info': 'RecordInfo' };

gb28181.post('/devices/:id/:query{catalog|device-info|device-status|record-info}', async (c) => {
  const gb = gbOf(c)!;
  const cmd = QUERIES[c.req.param('query')]!;
  const b = (await body(c)) ?? {};
  let extra: { startTime?: string; endTime?: string; type?: string } | undefined;
  if (cmd === 'RecordInfo') {
    for (const k of ['startTime', 'endTime'] as const) {
      if (b[k] !== undefined && (typeof b[k] !== 'string' || !isGbTime(b[k]))) return c.json({ error: `"${k}" must be YYYY-MM-DDThh:mm:ss` }, 400);
    }
    if (b.type !== undefined && !RECORD_TYPES.includes(b.type as never)) return c.json({ error: `"type" must be one of ${RECORD_TYPES.join(', ')}` }, 400);
    extra = { ...(b.startTime ? { startTime: b.startTime as string } : {}), ...(b.endTime ? { endTime: b.endTime as string } : {}), ...(b.type ? { type: b.type as string } : {}) };
  }
  return reply(c, await device(c, gb, c.req.param('id')).gbQuery(cmd, waitMs(c), extra));
});

gb28181.post('/devices/:id/ptz', async (c) => {
  const gb = gbOf(c)!;
  const b = await body(c);
  if (!b) return c.json({ error: 'body must be JSON, e.g. {"tilt": "up", "speed": 128}' }, 400);
  const move: PtzMove = {};
  if (b.pan === 'left' || b.pan === 'right') move.pan = b.pan;
  else if (b.pan !== undefined) return c.json({ error: '"pan" must be "left" or "right"' }, 400);
  if (b.tilt === 'up' || b.tilt === 'down') move.tilt = b.tilt;
  else if (b.tilt !== undefined) return c.json({ error: '"tilt" must be "up" or "down"' }, 400);
  if (b.zoom === 'in' || b.zoom === 'out') move.zoom = b.zoom;
  else if (b.zoom !== undefined) return c.json({ error: '"zoom" must be "in" or "out"' }, 400);
  for (const [k, max] of [['speed', 255], ['zoomSpeed', 15]] as const) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return c.json({ error: `"${k}" must be an integer 0-${max}` }, 400);
    move[k] = v;
  }
  const id = c.req.param('id');
  const channel = typeof b.channel === 'string' && ID.test(b.channel) ? b.channel : id;
  const ptzCmd = buildPtzCmd(move);
  const o = (await device(c, gb, id).gbControl(channel, { ptzCmd }, waitMs(c))) as GbOutcome;
  return o.ok ? c.json({ ptzCmd, ...(o.data as object) }) : reply(c, o);
});

gb28181.post('/devices/:id/control', async (c) => {
  const gb = gbOf(c)!;
  const b = await body(c);
  const command = b?.command;
  if (command !== 'SetGuard' && command !== 'ResetGuard' && command !== 'Reboot') {
    return c.json({ error: '"command" must be SetGuard, ResetGuard or Reboot' }, 400);
  }
  const id = c.req.param('id');
  return reply(c, await device(c, gb, id).gbControl(id, command === 'Reboot' ? { teleBoot: true } : { guard: command }, waitMs(c)));
});

gb28181.post('/devices/:id/live', async (c) => {
  const gb = gbOf(c)!;
  const b = (await body(c)) ?? {};
  const id = c.req.param('id');
  const channel = typeof b.channel === 'string' ? b.channel : id;
  if (!ID.test(channel)) return c.json({ error: '"channel" must be a 20-digit channel ID' }, 400);
  const ip = typeof b.mediaIp === 'string' ? b.mediaIp : gb.media?.ip;
  const port = typeof b.mediaPort === 'number' ? b.mediaPort : gb.media?.port;
  if (!ip || !/^[\d.]+$|^[0-9a-fA-F:]+$/.test(ip) || !port || port < 1 || port > 65535) {
    return c.json({ error: 'a media server is needed: "mediaIp" and "mediaPort", or GB_MEDIA_IP/GB_MEDIA_PORT' }, 400);
  }
  return reply(c, await device(c, gb, id).gbLiveStart(channel, { ip, port, tcp: b.tcp === true }, waitMs(c)));
});

gb28181.delete('/devices/:id/live/:callId', async (c) => {
  const gb = gbOf(c)!;
  return reply(c, await device(c, gb, c.req.param('id')).gbLiveStop(c.req.param('callId'), waitMs(c)));
});

gb28181.route('/', gbBroadcast);
