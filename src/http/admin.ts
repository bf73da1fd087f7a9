/**
 * `/api/v1`: the admin API. Every route needs `Authorization: Bearer <ADMIN_TOKEN>`;
 * without a configured token the API refuses everything.
 * @module
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { accountFor } from '../auth/authenticate.js';
import { aorStub } from '../objects/stubs.js';
import { requireAdmin } from './tokens.js';
import { isMediaType } from './fields.js';
import { gb28181 } from './gb28181.js';
import { traces } from './traces.js';

type AppEnv = { Bindings: Env };

/** User names accepted by the API: a conservative subset of the SIP user part (RFC 3261 §25.1). */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}$/;

function userStub(c: Context<AppEnv>, user: string) {
  const aor = `sip:${user}@${readConfig(c.env).domain}`;
  return { aor, stub: aorStub(c.env, aor) };
}

/** The `/api/v1` routes. */
export const admin = new Hono<AppEnv>();
admin.use('*', requireAdmin);
admin.route('/gb28181', gb28181);
admin.route('/traces', traces);

admin.put('/users/:user', async (c) => {
  const user = c.req.param('user');
  if (!USER_NAME.test(user)) return c.json({ error: 'user name must match ' + USER_NAME.source }, 400);
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'body must be JSON: {"password": "..."}' }, 400);
  }
  const password = (body as { password?: unknown } | null)?.password;
  if (typeof password !== 'string' || password.length < 4 || password.length > 256) {
    return c.json({ error: '"password" must be a string of 4 to 256 characters' }, 400);
  }
  const { realm } = readConfig(c.env);
  const { aor, stub } = userStub(c, user);
  const { created } = await stub.putAccount(accountFor(user, realm, password));
  return c.json({ user, aor, realm }, created ? 201 : 200);
});

admin.get('/users/:user', async (c) => {
  const user = c.req.param('user');
  if (!USER_NAME.test(user)) return c.json({ error: 'no such user' }, 404);
  const { aor, stub } = userStub(c, user);
  if (!(await stub.hasAccount())) return c.json({ error: 'no such user' }, 404);
  return c.json({ user, aor });
});

admin.delete('/users/:user', async (c) => {
  const user = c.req.param('user');
  if (!USER_NAME.test(user)) return c.json({ error: 'no such user' }, 404);
  const { stub } = userStub(c, user);
  return (await stub.deleteAccount()) ? c.body(null, 204) : c.json({ error: 'no such user' }, 404);
});

admin.get('/users/:user/bindings', async (c) => {
  const user = c.req.param('user');
  if (!USER_NAME.test(user)) return c.json({ error: 'no such user' }, 404);
  const { aor, stub } = userStub(c, user);
  if (!(await stub.hasAccount())) return c.json({ error: 'no such user' }, 404);
  return c.json({ aor, bindings: await stub.listBindings() });
});

/** Longest wait for a device's answer to a platform MESSAGE. */
const MESSAGE_TIMEOUT_MS = 10_000;

/**
 * `POST /messages`: send a MESSAGE from the platform to every live binding of
 * an AOR; the answer carries the device's final status (or 408 after the wait).
 */
admin.post('/messages', async (c) => {
  let body: Record<string, unknown>;
  try {
    body = (await c.req.json()) as Record<string, unknown>;
  } catch {
    return c.json({ error: 'body must be JSON: {"to": "user", "body": "..."}' }, 400);
  }
  const { domain } = readConfig(c.env);
  const to = typeof body.to === 'string' ? body.to.replace(/^sips?:/, '').split('@')[0]! : '';
  if (!USER_NAME.test(to)) return c.json({ error: '"to" must be a user name or sip:user@domain' }, 400);
  if (typeof body.body !== 'string') return c.json({ error: '"body" must be a string' }, 400);
  const contentType = body.contentType === undefined ? 'text/plain' : body.contentType;
  if (typeof contentType !== 'string' || !isMediaType(contentType)) return c.json({ error: '"contentType" must be a media type, e.g. "text/plain;charset=UTF-8"' }, 400);
  const from = typeof body.from === 'string' && /^sips?:[^\s<>"]+$/.test(body.from) ? body.from : `sip:platform@${domain}`;
  if (body.from !== undefined && from !== body.from) return c.json({ error: '"from" must be a SIP URI' }, 400);
  const { aor, stub } = userStub(c, to);
  if (!(await stub.hasAccount())) return c.json({ error: `no such user ${to}` }, 404);
  const result = await stub.sendRequest({ method: 'MESSAGE', from, contentType, body: body.body, timeoutMs: MESSAGE_TIMEOUT_MS });
  return c.json({ to: aor, ...result });
});
