/**
 * What every OpenAPI route of `/api/v1` shares: the one validation hook (a request that breaks a route's schema
 * is answered 400 `{ "error": "<the schema's message>" }`), the reading of JSON bodies, the error schema and the
 * responses each route declares, and the document's header (OpenAPI 3.1, bearer security).
 * @module
 */
import { z, type Hook } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env.js';

/** The Hono environment of every route. */
export type AppEnv = { Bindings: Env };

/** The body of every error answer. */
export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

/** One message for a failed validation: each issue's message once, the field named where the schema did not. */
export function validationMessage(error: z.ZodError, target: string): string {
  const out = new Set<string>();
  for (const issue of error.issues) {
    const field = issue.path.join('.');
    const named = field === '' || issue.message.includes(`"${field}"`) || target === 'param';
    out.add(named ? (field === '' && target === 'json' ? `body: ${issue.message}` : issue.message) : `"${field}": ${issue.message}`);
  }
  return [...out].join('; ');
}

/**
 * The validation hook of every route, set once on the `/api/v1` app; mounted sub-apps find it through their
 * parent (`OpenAPIHono.route`).
 */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (!result.success) return c.json({ error: validationMessage(result.error as z.ZodError, result.target) }, 400);
};

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Bodies are read as JSON whatever their `Content-Type` (as the API always did: `curl -d` sends
 * `application/x-www-form-urlencoded`, `fetch` with a string `text/plain`), and an empty body is no body. So the
 * routes' JSON validators see every body, and a malformed one is a 400.
 */
export const jsonBodies: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (BODYLESS.has(c.req.method)) return next();
  // Bytes, not text(): workerd warns when a body whose type is not text is read as text.
  const text = c.req.raw.body === null ? '' : new TextDecoder().decode(await c.req.arrayBuffer());
  const empty = text.trim() === '';
  const headers = new Headers(c.req.raw.headers);
  if (empty) headers.delete('content-type');
  else headers.set('content-type', 'application/json');
  c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: empty ? null : text });
  await next();
};

/** A JSON response of `schema`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** An error response. */
export function error(description: string) {
  return json(ErrorBody, description);
}

/** What a route that takes input and the token can answer besides its own responses. */
export const COMMON_ERRORS = {
  400: error('the request breaks the schema; the message says which field and why'),
  401: error('missing or wrong bearer token'),
};

/** A JSON request body of `schema`. */
export function body<T extends z.ZodType>(schema: T, required = true) {
  return { content: { 'application/json': { schema } }, required };
}

/** The document's header: OpenAPI 3.1, every route under the bearer token unless it says otherwise. */
export const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'edge-sip API',
    version: '1',
    description: 'Admin API of the edge-sip registrar and proxy. Every route needs `Authorization: Bearer <ADMIN_TOKEN>` except this document; errors are `{ "error": "…" }`.',
  },
  security: [{ bearerAuth: [] }],
};

/** Name of the bearer security scheme in the document's components. */
export const BEARER = { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } as const;
