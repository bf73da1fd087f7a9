/**
 * The subscription routes as an OpenAPI sub-app: the document it contributes names every route, and the
 * schemas are the request checks.
 */
import { describe, expect, it } from 'vitest';
import { gbSubscriptions } from '../../src/http/gb-subscriptions.js';

describe('the GB28181 subscription routes (OpenAPI)', () => {
  it('document every route with its methods, parameters and the subscribe body', () => {
    const doc = gbSubscriptions.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'edge-sip', version: '1' } });
    const paths = doc.paths ?? {};
    expect(Object.fromEntries(Object.entries(paths).map(([p, ops]) => [p, Object.keys(ops ?? {}).sort()]))).toEqual({
      '/devices/{id}/subscriptions': ['get'],
      '/devices/{id}/subscriptions/{kind}': ['delete', 'put'],
      '/devices/{id}/alarms': ['get'],
      '/devices/{id}/position': ['get'],
    });
    const put = paths['/devices/{id}/subscriptions/{kind}']!.put!;
    expect(put.parameters?.map((p) => ('name' in p ? p.name : ''))).toEqual(['id', 'kind', 'wait']);
    expect(Object.keys(put.responses ?? {}).sort()).toEqual(['200', '201', '400', '404', '409', '502', '504']);
    expect(doc.components?.schemas?.SubscribeRequest).toMatchObject({ type: 'object', additionalProperties: false });
  });
});
