/**
 * `/api/v1/users`: the accounts of the SIP domain (`sip:{user}@SIP_DOMAIN`), their bindings, and the user
 * directory the list is read from (written here, on create and delete only).
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { readConfig } from '../config.js';
import { accountFor } from '../auth/authenticate.js';
import { aorStub, userDirectoryStub } from '../objects/stubs.js';
import { ContactRef, Password, UserName } from './fields.js';
import { body, COMMON_ERRORS, error, json, type AppEnv } from './openapi.js';

/** A user: its name and AOR. */
export const UserSchema = z.object({ user: z.string(), aor: z.string() }).openapi('User');

/** A binding as the API lists it (`objects/aor-leases.ts` BindingView). */
export const BindingSchema = z.object({
  contact: z.string().openapi({ description: 'the Contact value, without its expires parameter' }),
  expires: z.number().int().openapi({ description: 'seconds left' }),
  expiresAt: z.number().int().openapi({ description: 'end of the registration, Unix ms' }),
  q: z.number().nullable(),
  instanceId: z.string().nullable().openapi({ description: '+sip.instance (RFC 5626)' }),
  regId: z.number().int().nullable(),
  source: z.string().openapi({ description: 'the address the REGISTER came from' }),
  transport: z.enum(['ws', 'wss', 'udp', 'tcp']),
  userAgent: z.string().nullable(),
  flowId: z.string().openapi({ description: 'the connection (FlowObject id) the binding lives on' }),
  callId: z.string(),
  cseq: z.number().int(),
}).openapi('Binding');

const UserParams = z.object({ user: UserName.openapi({ param: { name: 'user', in: 'path' } }) });
const NO_SUCH_USER = { 404: error('no such user') };

function userOf(c: Context<AppEnv>, user: string) {
  const { domain } = readConfig(c.env);
  const aor = `sip:${user}@${domain}`;
  return { aor, stub: aorStub(c.env, aor), directory: userDirectoryStub(c.env, domain) };
}

/** The `/users` routes. */
export const users = new OpenAPIHono<AppEnv>();

users.openapi(createRoute({
  method: 'get', path: '/users', tags: ['users'], summary: 'Every user of the SIP domain, by name',
  responses: { 200: json(z.object({ users: z.array(UserSchema) }), 'the users'), 401: COMMON_ERRORS[401] },
}), async (c) => {
  const { domain } = readConfig(c.env);
  return c.json({ users: await userDirectoryStub(c.env, domain).list() }, 200);
});

users.openapi(createRoute({
  method: 'put', path: '/users/{user}', tags: ['users'], summary: 'Create a user or replace its password (stored as HA1 only)',
  request: { params: UserParams, body: body(z.object({ password: Password })) },
  responses: {
    201: json(UserSchema.extend({ realm: z.string() }), 'created'), 200: json(UserSchema.extend({ realm: z.string() }), 'password replaced'),
    ...COMMON_ERRORS,
  },
}), async (c) => {
  const { user } = c.req.valid('param');
  const { realm } = readConfig(c.env);
  const { aor, stub, directory } = userOf(c, user);
  const { created } = await stub.putAccount(accountFor(user, realm, c.req.valid('json').password));
  // Idempotent: a directory that missed a create (a failed call) learns it on the next PUT.
  await directory.add({ user, aor });
  return c.json({ user, aor, realm }, created ? 201 : 200);
});

users.openapi(createRoute({
  method: 'get', path: '/users/{user}', tags: ['users'], summary: 'A user',
  request: { params: UserParams },
  responses: { 200: json(UserSchema, 'the user'), ...COMMON_ERRORS, ...NO_SUCH_USER },
}), async (c) => {
  const { aor, stub } = userOf(c, c.req.valid('param').user);
  if (!(await stub.hasAccount())) return c.json({ error: 'no such user' }, 404);
  return c.json({ user: c.req.valid('param').user, aor }, 200);
});

users.openapi(createRoute({
  method: 'delete', path: '/users/{user}', tags: ['users'], summary: 'Delete a user and its bindings (their flows\' leases are revoked first)',
  request: { params: UserParams },
  responses: { 204: { description: 'deleted' }, ...COMMON_ERRORS, ...NO_SUCH_USER },
}), async (c) => {
  const { user } = c.req.valid('param');
  const { stub, directory } = userOf(c, user);
  const existed = await stub.deleteAccount();
  const listed = await directory.remove(user);
  return existed || listed ? c.body(null, 204) : c.json({ error: 'no such user' }, 404);
});

users.openapi(createRoute({
  method: 'get', path: '/users/{user}/bindings', tags: ['users'], summary: 'A user\'s live bindings, most preferred first',
  request: { params: UserParams },
  responses: { 200: json(z.object({ aor: z.string(), bindings: z.array(BindingSchema) }), 'the bindings'), ...COMMON_ERRORS, ...NO_SUCH_USER },
}), async (c) => {
  const { aor, stub } = userOf(c, c.req.valid('param').user);
  if (!(await stub.hasAccount())) return c.json({ error: 'no such user' }, 404);
  return c.json({ aor, bindings: await stub.listBindings() }, 200);
});

users.openapi(createRoute({
  method: 'delete', path: '/users/{user}/bindings', tags: ['users'],
  summary: 'Unregister one binding, as `Contact: <uri>;expires=0` would; the device registers again at its next refresh',
  request: { params: UserParams, query: z.object({ contact: ContactRef }) },
  responses: { 204: { description: 'removed; the flow it lived on lost its lease' }, ...COMMON_ERRORS, 404: error('no such user, or no live binding with that contact') },
}), async (c) => {
  const { stub } = userOf(c, c.req.valid('param').user);
  if (!(await stub.hasAccount())) return c.json({ error: 'no such user' }, 404);
  const { contact } = c.req.valid('query');
  return (await stub.removeBinding(contact)) ? c.body(null, 204) : c.json({ error: `no live binding with contact ${contact}` }, 404);
});
