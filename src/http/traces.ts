/**
 * `/api/v1/traces`: live SIP traces of users or a GB device (CONTRACT "Traces"). Starting one arms it at each
 * AOR, which tells the flows of its bindings; they copy every message to the trace's object until it ends.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { readConfig } from '../config.js';
import { TRACE_MAX_SECONDS, traceLimits } from '../trace/limits.js';
import { traceText } from '../trace/record.js';
import { aorStub, randomHex, traceListStub, traceStub } from '../objects/stubs.js';
import type { TraceMessage } from '../trace/record.js';
import { DeviceId, USER_REF } from './fields.js';
import { body, COMMON_ERRORS, error as failure, json, type AppEnv } from './openapi.js';

const TraceId = z.string().regex(/^[0-9a-f]{16}$/, 'a trace id is 16 hex digits').openapi({ param: { name: 'id', in: 'path' }, example: '3f9a0c1b2d4e5f60' });
const Summary = z.object({
  id: z.string(),
  until: z.number().int().openapi({ description: 'Unix ms the trace ends' }),
  targets: z.array(z.string()).openapi({ description: 'the traced AORs' }),
}).openapi('Trace');
const Start = z.object({
  users: z.array(z.string().regex(USER_REF, 'each user is a user name or sip:user@domain')).min(1).max(20).optional(),
  gbDevice: DeviceId.optional(),
  seconds: z.number().int().min(1).max(TRACE_MAX_SECONDS).default(TRACE_MAX_SECONDS),
}).refine((b) => b.users !== undefined || b.gbDevice !== undefined, 'name "users" or "gbDevice" to trace').openapi('TraceStart');
const Message = z.object({
  seq: z.number().int(), time: z.number().int(), direction: z.enum(['in', 'out']), flowId: z.string(), transport: z.string(),
  peer: z.string(), aor: z.string(), method: z.string().optional(), status: z.number().int().optional(), reason: z.string().optional(),
  callId: z.string(), cseq: z.string(), text: z.string().openapi({ description: 'the whole message; Authorization and Proxy-Authorization values are "***"' }),
}).openapi('TraceMessage');
const View = Summary.extend({ active: z.boolean(), dropped: z.number().int(), messages: z.array(Message) }).openapi('TraceMessages');
const After = z.object({ after: z.coerce.number().int().min(0).default(0).openapi({ description: 'only messages with a greater seq' }) });

/** The traces sub-app; a request that breaks a schema gets 400 `{ error }` from the `/api/v1` app's one hook. */
export const traces = new OpenAPIHono<AppEnv>();

traces.openapi(createRoute({
  method: 'post', path: '/', summary: 'Start a live SIP trace of users or a GB device',
  request: { body: body(Start) },
  responses: { 201: json(Summary, 'started'), ...COMMON_ERRORS, 404: failure('no such user or device') },
}), async (c) => {
  const body = c.req.valid('json');
  const config = readConfig(c.env);
  const targets: string[] = [];
  for (const u of body.users ?? []) {
    const [user, domain] = u.replace(/^sips?:/, '').split('@');
    if (domain !== undefined && domain.toLowerCase() !== config.domain) return c.json({ error: `${u} is not in the domain ${config.domain}` }, 400);
    targets.push(`sip:${user}@${config.domain}`);
  }
  if (body.gbDevice !== undefined) {
    if (!config.gb) return c.json({ error: 'the GB/T 28181 side is not configured (GB_PLATFORM_ID)' }, 404);
    targets.push(`sip:${body.gbDevice}@${config.gb.realm}`);
  }
  const unique = [...new Set(targets)];
  const known = await Promise.all(unique.map((aor) => aorStub(c.env, aor).hasAccount()));
  const missing = unique.filter((_, i) => !known[i]);
  if (missing.length > 0) return c.json({ error: `no such user or device: ${missing.join(', ')}` }, 404);
  const id = randomHex(8);
  const until = Date.now() + body.seconds * 1000;
  const summary = await traceStub(c.env, id).start({ id, until, targets: unique, limits: traceLimits(c.env) });
  await traceListStub(c.env).list(summary);
  await Promise.all(unique.map((aor) => aorStub(c.env, aor).armTrace({ trace: id, aor, until }, true)));
  return c.json(summary, 201);
});

traces.openapi(createRoute({
  method: 'get', path: '/', summary: 'The live traces',
  responses: { 200: json(z.object({ traces: z.array(Summary) }), 'the traces that have not ended'), 401: COMMON_ERRORS[401] },
}), async (c) => c.json({ traces: await traceListStub(c.env).listed() }, 200));

traces.openapi(createRoute({
  method: 'get', path: '/{id}/messages', summary: "A trace's messages, oldest first (the last N are kept)",
  request: { params: z.object({ id: TraceId }), query: After },
  responses: { 200: json(View, 'the messages after `after`'), ...COMMON_ERRORS, 404: failure('no such trace') },
}), async (c) => {
  const view = await traceStub(c.env, c.req.valid('param').id).read(c.req.valid('query').after);
  return view ? c.json(view, 200) : c.json({ error: 'no such trace' }, 404);
});

traces.openapi(createRoute({
  method: 'get', path: '/{id}/messages.txt', summary: "A trace's messages as text, one after another (a download)",
  request: { params: z.object({ id: TraceId }), query: After },
  responses: { 200: { content: { 'text/plain': { schema: z.string() } }, description: 'the messages' }, ...COMMON_ERRORS, 404: failure('no such trace') },
}), async (c) => {
  const { id } = c.req.valid('param');
  const view = await traceStub(c.env, id).read(c.req.valid('query').after);
  if (!view) return c.json({ error: 'no such trace' }, 404);
  return c.text(traceText(view.messages as TraceMessage[]), 200, { 'content-disposition': `attachment; filename="trace-${id}.txt"` });
});

traces.openapi(createRoute({
  method: 'delete', path: '/{id}', summary: 'Stop a trace (its messages stay readable for an hour)',
  request: { params: z.object({ id: TraceId }) },
  responses: { 204: { description: 'stopped' }, ...COMMON_ERRORS, 404: failure('no such trace') },
}), async (c) => {
  const { id } = c.req.valid('param');
  const stopped = await traceStub(c.env, id).stop();
  if (!stopped) return c.json({ error: 'no such trace' }, 404);
  await traceListStub(c.env).unlist(id);
  // Flows the AORs do not know of (callers' legs) drop their marks when the trace's object answers that it ended.
  await Promise.all(stopped.targets.map((aor) => aorStub(c.env, aor).armTrace({ trace: id, aor, until: stopped.until }, false)));
  return c.body(null, 204);
});
