/**
 * The AOR object inside workerd: registrar rules over a real WebSocket,
 * expiry by alarm, nonce-count replay, refreshes written behind.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { AorObject } from '../../src/objects/aor-object.js';
import type { Binding } from '../../src/registrar/bindings.js';
import { answerChallenge, registerText } from '../support/sip-client.js';
import { aorStub, connect, createUser, DOMAIN } from './helpers.js';

describe('AorObject', () => {
  it('lists every binding with its expires in the 200, and answers a query without Contact', async () => {
    await createUser('erin', 'erin-pw');
    const c = await connect();
    const two = await c.register({
      user: 'erin', password: 'erin-pw', domain: DOMAIN, callId: 'q1', cseq: 1,
      contacts: ['<sip:a@x.invalid;transport=ws>;q=0.9', '<sip:b@x.invalid;transport=ws>;expires=120'], expires: 600,
    });
    expect(two.status).toBe(200);
    expect(two.headers.values('contact').sort()).toEqual([
      '<sip:a@x.invalid;transport=ws>;q=0.9;expires=600',
      '<sip:b@x.invalid;transport=ws>;expires=120',
    ]);
    const query = await c.register({ user: 'erin', password: 'erin-pw', domain: DOMAIN, callId: 'q1', cseq: 3, contacts: [] });
    expect(query.status).toBe(200);
    expect(query.headers.values('contact')).toHaveLength(2);
    c.close();
  });

  it('answers 423 with Min-Expires for a too brief interval', async () => {
    await createUser('fred', 'fred-pw');
    const c = await connect();
    const res = await c.register({ user: 'fred', password: 'fred-pw', domain: DOMAIN, callId: 'm1', cseq: 1, expires: 10 });
    expect(res.status).toBe(423);
    expect(res.headers.get('min-expires')).toBe('60');
    c.close();
  });

  it('removes all bindings on Contact: * with Expires: 0', async () => {
    await createUser('gina', 'gina-pw');
    const c = await connect();
    await c.register({ user: 'gina', password: 'gina-pw', domain: DOMAIN, callId: 'w1', cseq: 1 });
    expect(await aorStub('gina').listBindings()).toHaveLength(1);
    const res = await c.register({ user: 'gina', password: 'gina-pw', domain: DOMAIN, callId: 'w1', cseq: 3, contacts: ['*'], expires: 0 });
    expect(res.status).toBe(200);
    expect(await aorStub('gina').listBindings()).toEqual([]);
    c.close();
  });

  it('refuses a replayed nonce count and challenges again', async () => {
    await createUser('hank', 'hank-pw');
    const c = await connect();
    const first = await c.request(registerText({ user: 'hank', domain: DOMAIN, callId: 'r1', cseq: 1 }));
    const auth = answerChallenge(first, 'hank', 'hank-pw', `sip:${DOMAIN}`);
    const ok = await c.request(registerText({ user: 'hank', domain: DOMAIN, callId: 'r1', cseq: 2, authorization: auth }));
    expect(ok.status).toBe(200);
    const replay = await c.request(registerText({ user: 'hank', domain: DOMAIN, callId: 'r1', cseq: 3, authorization: auth }));
    expect(replay.status).toBe(401);
    const next = answerChallenge(first, 'hank', 'hank-pw', `sip:${DOMAIN}`, 2);
    const again = await c.request(registerText({ user: 'hank', domain: DOMAIN, callId: 'r1', cseq: 4, authorization: next }));
    expect(again.status).toBe(200);
    c.close();
  });

  it('gives an unknown user the same challenge as a known one', async () => {
    const c = await connect();
    const unknown = await c.register({ user: 'nobody', password: 'x', domain: DOMAIN, callId: 'u1', cseq: 1 });
    const wrong = await c.register({ user: 'hank', password: 'wrong', domain: DOMAIN, callId: 'u2', cseq: 1 });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const shape = (v: string | undefined) => v?.replace(/nonce="[^"]*"/, 'nonce=""');
    expect(shape(unknown.headers.get('www-authenticate'))).toBe(shape(wrong.headers.get('www-authenticate')));
    c.close();
  });

  it('leaves refreshes at any interval to the flow\'s lease: the stored row stays, the API shows the flow\'s expiry, across an eviction', async () => {
    await createUser('jill', 'jill-pw');
    const c = await connect();
    const stub = aorStub('jill');
    const stored = () => runInDurableObject(stub, (_i: AorObject, state) =>
      state.storage.sql.exec<{ data: string }>('SELECT data FROM bindings').toArray().map((r) => JSON.parse(r.data) as Binding));
    expect((await c.register({ user: 'jill', password: 'jill-pw', domain: DOMAIN, callId: 'wb', cseq: 1, expires: 600 })).status).toBe(200);
    const [row] = await stored();
    expect(row!.cseq).toBe(2); // register() answers the 401 with the next CSeq
    expect(row!.heldUntil! - Date.now()).toBeGreaterThan(23 * 3600 * 1000); // the lease's horizon: a day
    expect((await c.register({ user: 'jill', password: 'jill-pw', domain: DOMAIN, callId: 'wb', cseq: 3, expires: 600 })).status).toBe(200);
    expect((await stub.listBindings())[0]!.cseq).toBe(4);
    expect(await stored()).toEqual([row]);
    await evictDurableObject(stub);
    const after = await stub.listBindings();
    expect(after).toHaveLength(1);
    expect(after[0]!.expires).toBeGreaterThan(590);
    // A shorter interval is a refresh too: the flow's copy is the truth for the expiry.
    const shorter = await c.register({ user: 'jill', password: 'jill-pw', domain: DOMAIN, callId: 'wb', cseq: 5, expires: 300 });
    expect(shorter.headers.get('contact')).toMatch(/expires=(300|299)/);
    expect((await stub.listBindings())[0]).toMatchObject({ cseq: 6 });
    expect((await stub.listBindings())[0]!.expires).toBeLessThanOrEqual(300);
    expect(await stored()).toEqual([row]);
    c.close();
  });

  it('expires bindings by alarm', async () => {
    await createUser('ivy', 'ivy-pw');
    const c = await connect();
    await c.register({ user: 'ivy', password: 'ivy-pw', domain: DOMAIN, callId: 'e1', cseq: 1, expires: 60 });
    const stub = aorStub('ivy');
    expect(await stub.listBindings()).toHaveLength(1);
    const alarm = await runInDurableObject(stub, (_i: AorObject, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(alarm! + 1);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    const rows = await runInDurableObject(stub, (_i: AorObject, state) => state.storage.sql.exec('SELECT count(*) AS n FROM bindings').one());
    expect(rows.n).toBe(0);
    c.close();
  });
});
