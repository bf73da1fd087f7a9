/**
 * The Worker's HTTP surface (Hono): `/sip` WebSocket, `/api/v1` admin API, `/healthz`.
 * @module
 */
import { Hono } from 'hono';
import type { Env } from '../env.js';
import { log } from '../log.js';
import { HTTPException } from 'hono/http-exception';
import { admin } from './admin.js';
import { bridgeToken, requireAdmin } from './tokens.js';
import { renderMetrics } from '../objects/metrics-render.js';
import { sipWebSocket } from './sip-ws.js';

/** The application. */
export const app = new Hono<{ Bindings: Env }>();

app.get('/sip', bridgeToken, sipWebSocket);
app.route('/', admin);
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.get('/metrics', requireAdmin, async (c) => c.text(await renderMetrics(c.env), 200, { 'content-type': 'text/plain; version=0.0.4' }));

app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
app.onError((err, c) => {
  // An exception with its own response (the bearer check's 401) keeps it; others (malformed JSON) answer JSON.
  if (err instanceof HTTPException) return err.res ? err.getResponse() : c.json({ error: err.message }, err.status);
  log('error', 'http handler failed', { path: new URL(c.req.url).pathname, error: String(err) });
  return c.json({ error: 'internal error' }, 500);
});
