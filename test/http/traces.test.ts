/**
 * `/api/v1/traces` input: the admin token, the schema's 400s (with the schema's message), 404 for unknown users
 * and traces, and the API's error shape for a body that is not JSON.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../objects/helpers.js';

describe('/api/v1/traces input', () => {
  it('needs the admin token', async () => {
    expect((await api('/traces', { token: null })).status).toBe(401);
    expect((await api('/traces', { method: 'POST', token: 'wrong', json: { users: ['tra'] } })).status).toBe(401);
  });

  it.each([
    [{}, /"users" or "gbDevice"/],
    [{ users: [] }, /users/],
    [{ users: ['bad name'] }, /user name or sip:user@domain/],
    [{ users: ['x\r\nVia: evil'] }, /user name/],
    [{ gbDevice: '1234' }, /"gbDevice": device IDs are 20 digits/],
    [{ users: ['tra'], seconds: 601 }, /seconds/],
    [{ users: ['tra'], seconds: 0 }, /seconds/],
    [{ users: ['sip:tra@elsewhere.example'] }, /not in the domain/],
  ])('answers 400 for %j', async (body, error) => {
    const res = await api('/traces', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(error);
  });

  it('answers 400 for a malformed body or id, and 404 for an unknown user', async () => {
    expect((await api('/traces', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    // As everywhere in the API, a body is read as JSON whatever its Content-Type.
    const untyped = await api('/traces', { method: 'POST', body: JSON.stringify({ users: ['nobody-untyped'] }) });
    expect(untyped.status).toBe(404);
    expect((await api('/traces/not-an-id/messages')).status).toBe(400);
    expect((await api('/traces/0123456789abcdef/messages?after=-1')).status).toBe(400);
    const res = await api('/traces', { method: 'POST', json: { users: ['nobody-here'] } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no such user or device: sip:nobody-here@edge-sip.test' });
  });
});
