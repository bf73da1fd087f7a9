/**
 * `/zlm/hook/{event}?secret=…`: ZLMediaKit's web hooks (`[hook]` in its config.ini). Not under the admin token:
 * a hook is authenticated by the secret in its URL (ZLM_HOOK_SECRET, default ZLM_SECRET; ZLM cannot add a
 * header) and, when it names one, the `mediaServerId` (`[general] mediaServerId`). Wrong secret 401, another
 * media server 403; the answers are what ZLM reads (`{ code: 0, ... }`).
 * - `on_stream_changed` (regist true) marks the session's stream live;
 * - `on_stream_none_reader`: BYE and close the receiver (`close: true`), live view and playback only (a
 *   download keeps going without viewers);
 * - `on_rtp_server_timeout`: no RTP came: BYE and mark the session failed (ZLM already closed the receiver).
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { timingSafeEqual } from '../auth/hash.js';
import { mediaServerStub } from '../objects/stubs.js';
import { readZlmConfig, RTP_APP } from '../media/zlm.js';
import { stopMedia } from '../media/gb-media.js';
import { log } from '../log.js';
import { body, error, json, type AppEnv } from './openapi.js';

/** How long a hook-driven BYE waits for the device (it runs after the hook is answered). */
const BYE_WAIT_MS = 5_000;

const Hook = z.object({
  mediaServerId: z.string().max(128).optional(),
  app: z.string().max(128).optional(),
  stream: z.string().max(256).optional(),
  schema: z.string().max(32).optional(),
  regist: z.boolean().optional(),
  stream_id: z.string().max(256).optional(),
}).passthrough();

const Answer = z.object({ code: z.number(), msg: z.string().optional(), close: z.boolean().optional() });

/** The hook routes. */
export const zlmHooks = new OpenAPIHono<AppEnv>({
  defaultHook: (result, c) => {
    if (!result.success) return c.json({ code: -300, error: result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') }, 400);
  },
});

/** Run `p` after the answer (the Worker's waitUntil), logging a failure. */
function later(c: Context<AppEnv>, p: Promise<unknown>): void {
  const guarded = p.catch((e: unknown) => log('error', 'media hook follow-up failed', { error: String(e) }));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No execution context (a direct app.request): the promise still runs.
  }
}

zlmHooks.openapi(
  createRoute({
    method: 'post', path: '/{event}', summary: 'ZLMediaKit web hook (on_stream_changed, on_stream_none_reader, on_rtp_server_timeout; others answered code 0)',
    request: {
      params: z.object({ event: z.string().regex(/^on_[a-z_]{1,40}$/, 'a ZLM hook name (on_…)') }),
      query: z.object({ secret: z.string().max(256).optional() }),
      body: body(Hook),
    },
    responses: {
      200: json(Answer, 'what ZLM reads'),
      400: json(z.object({ code: z.number(), error: z.string() }), 'the hook breaks the schema (ZLM-shaped: code -300)'),
      401: error('wrong or missing secret'),
      403: error('another media server'),
      404: error('no media server configured'),
    },
  }),
  async (c) => {
    const zlm = readZlmConfig(c.env);
    if (!zlm) return c.json({ error: 'no media server is configured (ZLM_URL, ZLM_SECRET)' }, 404);
    if (!timingSafeEqual(c.req.valid('query').secret ?? '', zlm.hookSecret)) return c.json({ error: 'wrong or missing hook secret' }, 401);
    const h = c.req.valid('json');
    if (h.mediaServerId !== undefined && h.mediaServerId !== zlm.mediaServerId) return c.json({ error: `hook from media server ${h.mediaServerId.slice(0, 64)}, not ${zlm.mediaServerId}` }, 403);
    const server = mediaServerStub(c.env, zlm.mediaServerId);
    const event = c.req.valid('param').event;
    if (event === 'on_stream_changed' && h.app === RTP_APP && h.stream && h.regist !== undefined) {
      await server.streamChanged(h.stream, h.regist);
    } else if (event === 'on_stream_none_reader' && h.app === RTP_APP && h.stream) {
      const s = await server.get(h.stream);
      if (s?.kind === 'download' && s.state !== 'ended' && s.state !== 'failed') return c.json({ code: 0, close: false }, 200);
      if (s) later(c, stopMedia(c.env, zlm, h.stream, { state: 'ended', reason: 'no reader', closeReceiver: true }, BYE_WAIT_MS));
      return c.json({ code: 0, close: true }, 200);
    } else if (event === 'on_rtp_server_timeout' && h.stream_id) {
      later(c, stopMedia(c.env, zlm, h.stream_id, { state: 'failed', reason: 'no RTP from the device (rtp server timeout)', closeReceiver: false }, BYE_WAIT_MS));
    }
    return c.json({ code: 0, msg: 'success' }, 200);
  },
);
