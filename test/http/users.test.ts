/**
 * /api/v1/users: the user list from the user directory, the binding view the console shows, and the removal of
 * one binding (the AOR drops it and revokes its flow's lease, as `Contact: <uri>;expires=0` would).
 */
import { describe, expect, it } from 'vitest';
import type { SipTestClient } from '../support/sip-client.js';
import { api, connect, DOMAIN } from '../objects/helpers.js';

const put = (user: string) => api(`/users/${user}`, { method: 'PUT', body: JSON.stringify({ password: `${user}-pw` }) });

interface BindingJson { contact: string; expires: number; expiresAt: number; transport: string; flowId: string; source: string }
const bindings = async (user: string) => ((await (await api(`/users/${user}/bindings`)).json()) as { bindings: BindingJson[] }).bindings;

async function registered(user: string, contact: string, cseq = 1): Promise<SipTestClient> {
  const c = await connect();
  const res = await c.register({ user, password: `${user}-pw`, domain: DOMAIN, callId: `reg-${contact}`, cseq, contacts: [`<sip:${contact}@${contact}.invalid;transport=ws>`], expires: 600 });
  expect(res.status).toBe(200);
  return c;
}

describe('GET /api/v1/users', () => {
  it('lists the users created through the API, sorted by name, and forgets deleted ones', async () => {
    for (const u of ['ulist-b', 'ulist-a', 'ulist-c']) expect((await put(u)).status).toBe(201);
    expect((await put('ulist-a')).status).toBe(200);
    expect((await api('/users/ulist-c', { method: 'DELETE' })).status).toBe(204);
    const { users } = (await (await api('/users')).json()) as { users: Array<{ user: string; aor: string }> };
    const mine = users.filter((u) => u.user.startsWith('ulist-'));
    expect(mine).toEqual([{ user: 'ulist-a', aor: `sip:ulist-a@${DOMAIN}` }, { user: 'ulist-b', aor: `sip:ulist-b@${DOMAIN}` }]);
    expect(users.map((u) => u.user)).toEqual([...users.map((u) => u.user)].sort());
  });

  it('needs the token', async () => {
    expect((await api('/users', { token: null })).status).toBe(401);
    expect((await api('/users', { token: 'wrong' })).status).toBe(401);
  });
});

describe('GET /api/v1/users/{user}/bindings', () => {
  it('shows each binding\'s transport and the end of its registration in Unix ms', async () => {
    await put('bview');
    const before = Date.now();
    const c = await registered('bview', 'bview1');
    const [b] = await bindings('bview');
    expect(b).toMatchObject({ contact: '<sip:bview1@bview1.invalid;transport=ws>', transport: 'ws', expires: 600 });
    expect(b!.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(b!.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    c.close();
  });
});

describe('DELETE /api/v1/users/{user}/bindings?contact=', () => {
  it('removes the binding named by its listed contact, revoking its flow\'s lease: the next refresh asks the AOR again', async () => {
    await put('bdel');
    const c = await registered('bdel', 'bdel1');
    const other = await registered('bdel', 'bdel2');
    const listed = (await bindings('bdel')).find((b) => b.contact.includes('bdel1'))!;
    const res = await api(`/users/bdel/bindings?contact=${encodeURIComponent(listed.contact)}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await bindings('bdel')).map((b) => b.contact)).toEqual(['<sip:bdel2@bdel2.invalid;transport=ws>']);
    expect((await api(`/users/bdel/bindings?contact=${encodeURIComponent(listed.contact)}`, { method: 'DELETE' })).status).toBe(404);
    // Had the flow kept its lease it would answer this refresh alone and the AOR would not list the binding.
    const again = await c.register({ user: 'bdel', password: 'bdel-pw', domain: DOMAIN, callId: 'reg-bdel1', cseq: 2, contacts: ['<sip:bdel1@bdel1.invalid;transport=ws>'], expires: 600 });
    expect(again.status).toBe(200);
    expect((await bindings('bdel')).map((b) => b.contact).sort()).toEqual(['<sip:bdel1@bdel1.invalid;transport=ws>', '<sip:bdel2@bdel2.invalid;transport=ws>']);
    c.close();
    other.close();
  });

  it('also takes the bare Contact URI, compared as SIP URIs are', async () => {
    await put('buri');
    const c = await registered('buri', 'buri1');
    expect((await api(`/users/buri/bindings?contact=${encodeURIComponent('sip:buri1@BURI1.invalid;transport=ws')}`, { method: 'DELETE' })).status).toBe(204);
    expect(await bindings('buri')).toEqual([]);
    c.close();
  });

  it('answers 404 for an unknown user or contact, 400 for a missing or malformed contact, 401 without the token', async () => {
    await put('bbad');
    expect((await api('/users/nobody-here/bindings?contact=sip:x@y', { method: 'DELETE' })).status).toBe(404);
    const unknown = await api('/users/bbad/bindings?contact=sip:nobody@nowhere.invalid', { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('no live binding');
    for (const q of ['', '?contact=', '?contact=mailto:x@y', `?contact=${encodeURIComponent('sip:x@y\r\nX-Injected: 1')}`]) {
      const res = await api(`/users/bbad/bindings${q}`, { method: 'DELETE' });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toContain('"contact"');
    }
    expect((await api('/users/bbad/bindings?contact=sip:x@y', { method: 'DELETE', token: 'wrong' })).status).toBe(401);
  });
});
