/**
 * GET /api/v1/openapi.json: the OpenAPI 3.1 document generated from the routes' own schemas, the one validation
 * hook that answers a broken request, and README's API table naming the same routes as the document.
 */
import { exports } from 'cloudflare:workers';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import readme from '../../README.md?raw';
import { defaultHook, json } from '../../src/http/openapi.js';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string }> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: Array<Record<string, unknown[]>>;
}

async function doc(): Promise<Doc> {
  const res = await exports.default.fetch('http://edge/api/v1/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

/** `METHOD /path` of every operation in the document. */
function documented(d: Doc): string[] {
  return Object.entries(d.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
}

/** `METHOD /path` of every `/api/v1` row of README's API table (query strings left out). */
function tabled(text: string): string[] {
  const rows = text.split('\n').filter((l) => /^\| `(GET|PUT|POST|DELETE|PATCH) \/api\/v1/.test(l));
  return rows.map((l) => /^\| `(\w+) ([^`?\s]+)/.exec(l)!).map((m) => `${m[1]} ${m[2]}`).sort();
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document served without a token, every other route under the bearer scheme', async () => {
    const d = await doc();
    expect(d.openapi).toBe('3.1.0');
    expect(d.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(d.security).toEqual([{ bearerAuth: [] }]);
    expect(d.paths['/api/v1/openapi.json']!.get!.security).toEqual([]);
    expect(d.paths['/api/v1/users/{user}']!.put!.security).toBeUndefined();
  });

  it('names the path parameters in {param} style, with their schemas', async () => {
    const d = await doc();
    const params = d.paths['/api/v1/gb28181/devices/{id}/live/{callId}']!.delete!.parameters!.map((p) => `${p.in}:${p.name}`);
    expect(params).toEqual(expect.arrayContaining(['path:id', 'path:callId', 'query:wait']));
    expect(Object.keys(d.paths).filter((p) => p.includes(':'))).toEqual([]);
  });

  it('names exactly the routes of README\'s API table', async () => {
    const fromDoc = documented(await doc());
    const fromReadme = tabled(readme);
    expect(fromReadme.length).toBeGreaterThan(15);
    expect(fromReadme).toEqual(fromDoc);
  });
});

describe('a sub-app mounted with .route()', () => {
  // A stand-in for the sub-apps other files mount (traces, GB media): the same two calls, on a fresh parent.
  const sub = new OpenAPIHono();
  sub.openapi(createRoute({
    method: 'post', path: '/things/{id}',
    request: { params: z.object({ id: z.string().regex(/^\d+$/, { error: 'ids are digits' }) }), body: { content: { 'application/json': { schema: z.object({ n: z.number({ error: '"n" must be a number' }) }) } } } },
    responses: { 200: json(z.object({ id: z.string(), n: z.number() }), 'the thing') },
  }), (c) => c.json({ id: c.req.valid('param').id, n: c.req.valid('json').n }, 200));
  const parent = new OpenAPIHono({ defaultHook }).basePath('/api/v1');
  parent.route('/sub', sub);

  it('adds its paths to the parent\'s document', () => {
    const d = parent.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(Object.keys(d.paths ?? {})).toEqual(['/api/v1/sub/things/{id}']);
  });

  it('answers a request that breaks its schema with the parent\'s hook: 400 and the schema\'s message', async () => {
    const post = (id: string, body: unknown) => parent.request(`/api/v1/sub/things/${id}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const badId = await post('x1', { n: 1 });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toEqual({ error: 'ids are digits' });
    const badN = await post('7', { n: 'one' });
    expect(await badN.json()).toEqual({ error: '"n" must be a number' });
    expect(await (await post('7', { n: 1 })).json()).toEqual({ id: '7', n: 1 });
  });
});

describe('validation across /api/v1', () => {
  const api = (path: string, init: RequestInit = {}) =>
    exports.default.fetch(`http://edge/api/v1${path}`, { ...init, headers: { authorization: 'Bearer test-admin-token', ...(init.headers ?? {}) } });

  it('answers malformed JSON, a non-object body and a wrong field type with 400 and a JSON message', async () => {
    for (const [body, message] of [
      ['{not json', 'Malformed JSON in request body'],
      ['[1, 2]', 'body: Invalid input: expected object, received array'],
      ['{"password": 12345}', '"password" must be a string of 4 to 256 characters'],
      ['{}', '"password" must be a string of 4 to 256 characters'],
    ]) {
      const res = await api('/users/val', { method: 'PUT', body });
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ error: message });
    }
  });

  it('reads a body as JSON whatever its Content-Type, as curl -d and fetch send it', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain;charset=UTF-8', 'application/json']) {
      const res = await api('/users/curl', { method: 'PUT', body: JSON.stringify({ password: 'curl-pw-1' }), headers: { 'content-type': type } });
      expect(res.status, type).toBeLessThan(300);
    }
  });

  it('refuses a user name outside the SIP user subset with 400 on every /users route', async () => {
    for (const [method, path] of [['GET', '/users/a%20b'], ['DELETE', '/users/a%0Db'], ['GET', '/users/-lead/bindings'], ['DELETE', '/users/a%3Cb/bindings?contact=sip:x@y']]) {
      const res = await api(path!, { method });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain('user name must match');
    }
  });
});
