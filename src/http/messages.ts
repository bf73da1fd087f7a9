/**
 * `POST /api/v1/messages`: a MESSAGE from the platform to every live binding of a user's or device's AOR.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { readConfig } from '../config.js';
import { aorStub } from '../objects/stubs.js';
import { FromUri, MediaType, MessageTarget, userPart } from './fields.js';
import { body, COMMON_ERRORS, error, json, type AppEnv } from './openapi.js';

/** Longest wait for a device's answer to a platform MESSAGE. */
const MESSAGE_TIMEOUT_MS = 10_000;

const MessageRequest = z.object({
  to: MessageTarget,
  body: z.string({ error: '"body" must be a string' }),
  contentType: MediaType.optional().openapi({ description: 'Content-Type of the MESSAGE; default text/plain' }),
  from: FromUri.optional().openapi({ description: 'From of the MESSAGE; default sip:platform@SIP_DOMAIN' }),
}).openapi('MessageRequest');

const MessageResult = z.object({
  to: z.string().openapi({ description: 'the AOR' }),
  status: z.number().int().openapi({ description: 'the final SIP status: the device\'s, 480 with no binding, 408 after 10 s' }),
  reason: z.string(),
  body: z.string().optional().openapi({ description: 'body of the final response, if any' }),
}).openapi('MessageResult');

/** The `/messages` route. */
export const messages = new OpenAPIHono<AppEnv>();

messages.openapi(createRoute({
  method: 'post', path: '/messages', tags: ['messages'], summary: 'Send a MESSAGE from the platform and wait for the final answer',
  request: { body: body(MessageRequest) },
  responses: { 200: json(MessageResult, 'the final answer'), ...COMMON_ERRORS, 404: error('no such user') },
}), async (c) => {
  const m = c.req.valid('json');
  const { domain } = readConfig(c.env);
  const to = userPart(m.to);
  const aor = `sip:${to}@${domain}`;
  const stub = aorStub(c.env, aor);
  if (!(await stub.hasAccount())) return c.json({ error: `no such user ${to}` }, 404);
  const result = await stub.sendRequest({
    method: 'MESSAGE', from: m.from ?? `sip:platform@${domain}`, contentType: m.contentType ?? 'text/plain', body: m.body, timeoutMs: MESSAGE_TIMEOUT_MS,
  });
  return c.json({ to: aor, status: result.status, reason: result.reason, ...(result.body !== undefined ? { body: result.body } : {}) }, 200);
});
