/**
 * The two bearer tokens of the HTTP surface, both checked by Hono's `bearer-auth` middleware (constant-time
 * comparison): `ADMIN_TOKEN` guards `/api/v1` and `/metrics`; `BRIDGE_TOKEN` lets a udp-bridge name the
 * device address of the WebSocket it opens on `/sip`. HTTP statuses and bodies are chosen here.
 * @module
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { Env } from '../env.js';
import { timingSafeEqual } from '../auth/hash.js';

type AppEnv = { Bindings: Env };

/** `Authorization: Bearer <ADMIN_TOKEN>`; 503 when no token is configured, 401 (JSON) when it is missing or wrong. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c: Context<AppEnv>, next: Next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return c.json({ error: 'admin API disabled: ADMIN_TOKEN is not configured' }, 503);
  const refused = { message: { error: 'missing or wrong bearer token' }, wwwAuthenticateHeader: 'Bearer realm="edge-sip"' };
  return bearerAuth<AppEnv>({
    verifyToken: (given) => timingSafeEqual(given, token),
    noAuthenticationHeader: refused, invalidAuthenticationHeader: refused, invalidToken: refused,
  })(c, next);
};

/**
 * On `/sip`: a request with an `Authorization` header is a udp-bridge and must carry `BRIDGE_TOKEN` (401
 * otherwise); one without is an ordinary WebSocket client.
 */
export const bridgeToken: MiddlewareHandler<AppEnv> = async (c: Context<AppEnv>, next: Next) => {
  if (c.req.header('authorization') === undefined) return next();
  const token = c.env.BRIDGE_TOKEN;
  const refused = { message: 'Wrong bridge token', wwwAuthenticateHeader: 'Bearer realm="edge-sip-bridge"' };
  return bearerAuth<AppEnv>({
    verifyToken: (given) => token !== undefined && token !== '' && timingSafeEqual(given, token),
    invalidAuthenticationHeader: refused, invalidToken: refused,
  })(c, next);
};
