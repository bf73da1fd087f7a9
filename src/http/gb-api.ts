/**
 * What every `/api/v1/gb28181` route shares (`gb28181.ts` and the sub-apps it mounts): the device path and the
 * `?wait=` query, the one table from a GB or media outcome's failure to its HTTP status, the error responses
 * the routes declare, and the answer of an outcome. Unknown device or session 404, offline device 409, device
 * (or media server) refusal 502, no free SSRC 503, device silent past the wait 504, all with a message.
 * @module
 */
import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler, TypedResponse } from 'hono';
import { readConfig, type GbConfig } from '../config.js';
import { aorStub } from '../objects/stubs.js';
import type { GbOutcome } from '../objects/aor-gb.js';
import type { MediaFailure, MediaOutcome } from '../media/gb-media.js';
import { COMMON_ERRORS, error, ErrorBody, json, type AppEnv } from './openapi.js';
import { CallId, DeviceId } from './fields.js';

type Ctx = Context<AppEnv>;

/** Default and largest wait for a device's answer, ms. */
const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 60_000;

/** The path of every device route. */
export const DeviceParams = z.object({ id: DeviceId.openapi({ param: { name: 'id', in: 'path' } }) });

/** The path of a route on one of a device's sessions (live view, playback, download, broadcast). */
export const SessionParams = DeviceParams.extend({ callId: CallId.openapi({ param: { name: 'callId', in: 'path' } }) });

/** `?wait=S`: seconds to wait for the device (default 10, at most 60). */
export const WaitQuery = z.object({
  wait: z.coerce.number({ error: '"wait" must be a number of seconds > 0 (at most 60 are waited)' }).positive().optional()
    .openapi({ param: { name: 'wait', in: 'query' }, description: 'seconds to wait for the device (default 10, capped at 60)', example: 10 }),
});

/** The wait `?wait=` asks for, ms, capped. */
export function waitMs(wait: number | undefined): number {
  return wait === undefined ? DEFAULT_WAIT_MS : Math.min(wait * 1000, MAX_WAIT_MS);
}

/** HTTP status of each reason a GB or media operation failed: the one table. */
export const FAILURE_STATUS: Record<MediaFailure, 404 | 409 | 502 | 503 | 504> = {
  'not-a-device': 404, 'no-session': 404, offline: 409, refused: 502, timeout: 504, 'media-server': 502, 'no-ssrc': 503,
};

/** An error answer that may carry the device's SIP status. */
export const GbError = ErrorBody.extend({ sipStatus: z.number().int().optional() }).openapi('GbError');

const ERRORS = {
  ...COMMON_ERRORS,
  404: error('GB28181 disabled, unknown device, or no such session'),
  409: error('the device is offline'),
  502: json(GbError, 'the device (or the media server) refused; the device\'s SIP status in sipStatus'),
  503: error('no free SSRC on the media server'),
  504: json(GbError, 'the device did not answer within the wait'),
};

/** The error responses of `codes`, as the routes declare them. */
export function gbErrors<C extends keyof typeof ERRORS>(...codes: C[]): Pick<typeof ERRORS, C> {
  return Object.fromEntries(codes.map((c) => [c, ERRORS[c]])) as Pick<typeof ERRORS, C>;
}

/** The failures every device operation can answer. */
export const DEVICE_ERRORS = gbErrors(400, 401, 404, 409, 502, 504);

/**
 * An answer the routes' schemas describe but do not check: the device's own data, already checked by the MANSCDP
 * and SDP parsers, or a failure with its status from {@link FAILURE_STATUS}.
 */
export type DeviceReply = Response & TypedResponse<never, never, 'json'>;

/** Answer an outcome: 200 with its data (206 when partial), or the failure's status with `{ error, sipStatus? }`. */
export function reply(c: Ctx, o: GbOutcome | MediaOutcome): DeviceReply {
  const partial = o.ok && 'partial' in o && o.partial === true;
  const res = o.ok
    ? c.json({ ...(partial ? { partial: true } : {}), ...(o.data as Record<string, unknown>) }, partial ? 206 : 200)
    : c.json({ error: o.error, ...(o.sipStatus ? { sipStatus: o.sipStatus } : {}) }, FAILURE_STATUS[o.failure]);
  return res as DeviceReply;
}

/** A 400 `{ error }` found after validation (the fields are well formed but do not go together), typed as a reply. */
export function refuse(c: Ctx, message: string): DeviceReply {
  return c.json({ error: message }, 400) as DeviceReply;
}

/** 404 for every route while GB28181 is off (`GB_PLATFORM_ID` unset). */
export const gbEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!readConfig(c.env).gb) return c.json({ error: 'GB28181 is disabled: set GB_PLATFORM_ID' }, 404);
  await next();
};

/** The GB configuration (the routes run behind {@link gbEnabled}, so it is set). */
export function gbOf(c: Ctx): GbConfig {
  return readConfig(c.env).gb!;
}

/** The AOR object of device `id`. */
export function device(c: Ctx, id: string) {
  return aorStub(c.env, `sip:${id}@${gbOf(c).realm}`);
}
