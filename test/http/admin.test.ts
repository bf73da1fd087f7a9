/**
 * The admin API under /api/v1 and the public HTTP routes, inside workerd.
 */
import { exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api } from '../objects/helpers.js';

describe('/api/v1', () => {
  it('refuses requests without the bearer token, or with a wrong one', async () => {
    expect((await api('/users/alice', { token: null })).status).toBe(401);
    expect((await api('/users/alice', { token: 'nope' })).status).toBe(401);
  });

  it('creates, replaces, reads and deletes a user', async () => {
    const put = { method: 'PUT', body: JSON.stringify({ password: 'pa55word' }), headers: { 'content-type': 'application/json' } };
    const created = await api('/users/zoe', put);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ user: 'zoe', aor: 'sip:zoe@edge-sip.test', realm: 'edge-sip.test' });
    expect((await api('/users/zoe', put)).status).toBe(200);
    expect((await api('/users/zoe')).status).toBe(200);
    expect(await (await api('/users/zoe/bindings')).json()).toEqual({ aor: 'sip:zoe@edge-sip.test', bindings: [] });
    expect((await api('/users/zoe', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/users/zoe')).status).toBe(404);
    expect((await api('/users/zoe', { method: 'DELETE' })).status).toBe(404);
  });

  it('stores the password only as HA1', async () => {
    await api('/users/yan', { method: 'PUT', body: JSON.stringify({ password: 'plain-text-pw' }) });
    const stub = env.AOR.get(env.AOR.idFromName('sip:yan@edge-sip.test'));
    const rows = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('SELECT data FROM account').toArray());
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain('plain-text-pw');
    expect(stored).toMatch(/[0-9a-f]{32}/);
  });

  it('answers bad JSON and bad fields with 400 and a message', async () => {
    const bad = await api('/users/bob', { method: 'PUT', body: '{not json' });
    expect(bad.status).toBe(400);
    expect((await bad.json()) as object).toHaveProperty('error');
    expect((await api('/users/bob', { method: 'PUT', body: JSON.stringify({ password: 1 }) })).status).toBe(400);
    expect((await api('/users/bad%20name', { method: 'PUT', body: JSON.stringify({ password: 'longenough' }) })).status).toBe(400);
  });
});

describe('public routes', () => {
  it('reports health', async () => {
    const res = await exports.default.fetch('http://edge/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('asks for a WebSocket upgrade on /sip', async () => {
    expect((await exports.default.fetch('http://edge/sip')).status).toBe(426);
  });
});

describe('POST /api/v1/messages', () => {
  it('refuses a contentType that is not a media type, so no CR LF can inject a header or a body', async () => {
    await api('/users/inj', { method: 'PUT', body: JSON.stringify({ password: 'inj-pw' }), headers: { 'content-type': 'application/json' } });
    for (const contentType of ['text/plain\r\nX-Injected: 1', 'text/plain\r\n\r\nbody', 'text/plain\n', 'text', 'text/plain; charset="a\rb"', '']) {
      const res = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'inj', body: 'hi', contentType }), headers: { 'content-type': 'application/json' } });
      expect(res.status, JSON.stringify(contentType)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain('contentType');
    }
    // A well-formed one passes the check (the user has no binding: 480 from the device side).
    const ok = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'inj', body: 'hi', contentType: 'text/plain;charset=UTF-8' }), headers: { 'content-type': 'application/json' } });
    expect(((await ok.json()) as { status: number }).status).toBe(480);
  });

  it('refuses a "from" or "to" that could carry CR LF or break the header, naming the field', async () => {
    await api('/users/inj2', { method: 'PUT', body: JSON.stringify({ password: 'inj2-pw' }) });
    for (const [field, value] of [
      ['from', 'sip:a@b\r\nX-Injected: 1'], ['from', 'sip:a@b\n'], ['from', '<sip:a@b>'], ['from', 'sip:a b@c'], ['from', 'tel:123'], ['from', 7],
      ['to', 'inj2\r\nX-Injected: 1'], ['to', 'sip:inj2\r@edge-sip.test'], ['to', 'sip:inj2@edge-sip.test\r\nX-Injected: 1'], ['to', ''], ['to', 'sip:@edge-sip.test'],
    ] as const) {
      const res = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'inj2', body: 'hi', [field]: value }) });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(((await res.json()) as { error: string }).error, JSON.stringify(value)).toContain(`"${field}"`);
    }
    const ok = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'sip:inj2@edge-sip.test', body: 'hi', from: 'sips:ops@edge-sip.test' }) });
    expect(await ok.json()).toMatchObject({ to: 'sip:inj2@edge-sip.test', status: 480 });
  });

  it('needs the token', async () => {
    expect((await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'inj', body: 'hi' }), token: null })).status).toBe(401);
  });
});
