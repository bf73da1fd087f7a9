/**
 * GET /api/v1/overview: registered AORs and bindings from the shards' gauges, open connections from the
 * connection counters, GB devices from their directory. Each test file runs in its own workerd, so the numbers
 * here move only with what this file does; they are compared before and after, once they settle.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { connect, createUser, DOMAIN, eventually } from '../objects/helpers.js';

interface Overview { registeredAors: number; bindings: number; connections: number; gb: { online: number; total: number } | null }

async function overview(token: string | null = 'test-admin-token'): Promise<Response> {
  return exports.default.fetch('http://edge/api/v1/overview', { headers: token ? { authorization: `Bearer ${token}` } : {} });
}
const read = async () => (await (await overview()).json()) as Overview;
const until = (ok: (o: Overview) => boolean) => eventually(read, ok, 5_000, 25);

describe('GET /api/v1/overview', () => {
  it('needs the token', async () => {
    expect((await overview(null)).status).toBe(401);
    expect((await overview('wrong')).status).toBe(401);
  });

  it('counts a registration\'s AOR, its bindings and its connection, and takes them back when they go', async () => {
    const start = await read();
    expect(start.gb).toEqual({ online: expect.any(Number), total: expect.any(Number) });
    await createUser('ov', 'ov-pw');
    const c = await connect();
    const reg = (contacts: string[], expires: number, cseq: number) =>
      c.register({ user: 'ov', password: 'ov-pw', domain: DOMAIN, callId: 'reg-ov', cseq, contacts, expires });
    expect((await reg(['<sip:ov1@ov.invalid;transport=ws>', '<sip:ov2@ov.invalid;transport=ws>'], 600, 1)).status).toBe(200);
    const up = await until((o) => o.bindings === start.bindings + 2 && o.connections === start.connections + 1);
    expect(up).toMatchObject({ registeredAors: start.registeredAors + 1, bindings: start.bindings + 2, connections: start.connections + 1 });
    const metrics = await (await exports.default.fetch('http://edge/metrics', { headers: { authorization: 'Bearer test-admin-token' } })).text();
    expect(metrics).toContain('# TYPE sip_bindings gauge');
    expect(metrics).toContain('# TYPE sip_registered_aors gauge');
    // A refresh changes nothing.
    expect((await reg(['<sip:ov1@ov.invalid;transport=ws>', '<sip:ov2@ov.invalid;transport=ws>'], 600, 2)).status).toBe(200);
    expect((await api('/users/ov/bindings?contact=sip:ov1@ov.invalid;transport=ws', 'DELETE')).status).toBe(204);
    const one = await until((o) => o.bindings === start.bindings + 1);
    expect(one.registeredAors).toBe(start.registeredAors + 1);
    c.close();
    const down = await until((o) => o.bindings === start.bindings && o.connections === start.connections);
    expect(down).toMatchObject({ registeredAors: start.registeredAors, bindings: start.bindings, connections: start.connections });
  });
});

function api(path: string, method: string): Promise<Response> {
  return exports.default.fetch(`http://edge/api/v1${path}`, { method, headers: { authorization: 'Bearer test-admin-token' } });
}
