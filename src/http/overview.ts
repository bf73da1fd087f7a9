/**
 * `GET /api/v1/overview`: the console's summary, from the metrics shards' gauges and counters (one RPC per
 * shard) and the GB device directory (one RPC); no AOR or flow object is asked anything.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { readConfig } from '../config.js';
import { overviewOf } from '../objects/metrics-gauges.js';
import { metricTotals } from '../objects/metrics-render.js';
import { gbDirectoryStub } from '../objects/stubs.js';
import { COMMON_ERRORS, json, type AppEnv } from './openapi.js';

const Overview = z.object({
  registeredAors: z.number().int().openapi({ description: 'AORs (users and GB devices) with at least one binding: gauge sip_registered_aors' }),
  bindings: z.number().int().openapi({ description: 'bindings of every AOR: gauge sip_bindings' }),
  gb: z.object({ online: z.number().int(), total: z.number().int() }).nullable()
    .openapi({ description: 'GB/T 28181 devices online and known (the device directory); null when GB28181 is disabled' }),
  connections: z.number().int().openapi({ description: 'open SIP connections (WebSockets, bridged devices): opened minus closed' }),
}).openapi('Overview');

/** The `/overview` route. */
export const overview = new OpenAPIHono<AppEnv>();

overview.openapi(createRoute({
  method: 'get', path: '/overview', tags: ['overview'], summary: 'Registered AORs, bindings, GB devices and open connections',
  responses: { 200: json(Overview, 'the summary'), 401: COMMON_ERRORS[401] },
}), async (c) => {
  const gb = readConfig(c.env).gb;
  const [totals, devices] = await Promise.all([metricTotals(c.env), gb ? gbDirectoryStub(c.env, gb.realm).list() : null]);
  return c.json({
    ...overviewOf(totals),
    gb: devices ? { online: devices.filter((d) => d.online).length, total: devices.length } : null,
  }, 200);
});
