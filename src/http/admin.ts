/**
 * `/api/v1`: the admin API, an `OpenAPIHono` app whose routes are declared with `createRoute` and zod schemas,
 * so requests are validated from the same objects the OpenAPI 3.1 document at `GET /api/v1/openapi.json` is
 * generated from. Every route but the document needs `Authorization: Bearer <ADMIN_TOKEN>`; without a configured
 * token the API refuses everything. Sub-apps are `OpenAPIHono` apps mounted with one `.route()` line each:
 * mounting copies their routes into this document and lends them this app's validation hook.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireAdmin } from './tokens.js';
import { BEARER, defaultHook, DOCUMENT, json, jsonBodies, type AppEnv } from './openapi.js';
import { users } from './users.js';
import { messages } from './messages.js';
import { overview } from './overview.js';
import { gb28181 } from './gb28181.js';

/** The `/api/v1` routes. */
export const admin = new OpenAPIHono<AppEnv>({ defaultHook }).basePath('/api/v1');
admin.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', BEARER);

let document: unknown = null;

// Routes registered before the token guard below do not take the admin token: this document (public: it
// documents, it reveals nothing), and any sub-app authenticated by its own secret (a media server's hooks).
admin.openapi(createRoute({
  method: 'get', path: '/openapi.json', tags: ['api'], summary: 'This OpenAPI 3.1 document (no token needed)', security: [],
  responses: { 200: json(z.record(z.string(), z.unknown()), 'the OpenAPI 3.1 document') },
}), (c) => {
  // Routes are all declared when the modules load, so the document is built once.
  document ??= admin.getOpenAPI31Document(DOCUMENT);
  return c.json(document as Record<string, unknown>, 200);
});

// Everything mounted from here on needs Authorization: Bearer <ADMIN_TOKEN>.
admin.use('*', requireAdmin);
admin.use('*', jsonBodies);

admin.route('/', users);
admin.route('/', messages);
admin.route('/', overview);
admin.route('/gb28181', gb28181);
