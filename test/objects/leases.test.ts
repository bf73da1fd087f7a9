/**
 * Leases inside workerd: the flow answers refreshes alone (no RPC, no row, no alarm, counted by the
 * ledger), and the AOR stays the authority: a password change, a deletion, `Contact: *` and a binding taken
 * over by another flow reach every flow before they take effect, and no request goes to a binding its flow
 * has let lapse.
 */
import { exports } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import type { SipTestClient } from '../support/sip-client.js';
import { aorStub, connect, cost, createUser, DOMAIN, eventually } from './helpers.js';

const aorUnits = (d: Record<string, number>) => Object.entries(d).filter(([k]) => k.includes('AorObject') || k.includes('rows_written') || k.includes('alarms')).map(([k, v]) => `${k} ${v}`);

async function registered(user: string, contact: string, extra: string[] = []): Promise<SipTestClient> {
  const c = await connect();
  const res = await c.register({ user, password: `${user}-pw`, domain: DOMAIN, callId: `reg-${contact}`, cseq: 1, contacts: [`<sip:${contact}@${contact}.invalid;transport=ws>${extra.join('')}`], expires: 600 });
  expect(res.status).toBe(200);
  return c;
}

const refresh = (c: SipTestClient, user: string, contact: string, cseq: number, expires = 600, password = `${user}-pw`, extra: string[] = []) =>
  c.register({ user, password, domain: DOMAIN, callId: `reg-${contact}`, cseq, contacts: [`<sip:${contact}@${contact}.invalid;transport=ws>${extra.join('')}`], expires });

describe('a lease', () => {
  it('lets the flow answer refreshes at any interval with no RPC, no row written and no alarm', async () => {
    await createUser('lea', 'lea-pw');
    const c = await registered('lea', 'lea1');
    let cseq = 3;
    const spent = await cost(async () => {
      for (const expires of [600, 3600, 60, 7200]) expect((await refresh(c, 'lea', 'lea1', cseq += 2, expires)).status).toBe(200);
    });
    expect(aorUnits(spent)).toEqual([]);
    // What it did cost: WebSocket messages only (a 401 and a 200 each, the 401 answered by the flow too).
    expect(spent['ledger_ws_messages_total{class="FlowObject"}']).toBe(8);
    expect((await aorStub('lea').listBindings())[0]!.expires).toBeGreaterThan(7100);
    c.close();
  });

  it('survives the flow\'s hibernation and the AOR\'s eviction: refreshes stay on the flow', async () => {
    await createUser('lev', 'lev-pw');
    const c = await registered('lev', 'lev1');
    const [binding] = await aorStub('lev').listBindings();
    await evictDurableObject(env.FLOW.get(env.FLOW.idFromString(binding!.flowId)), { webSockets: 'hibernate' });
    await evictDurableObject(aorStub('lev'));
    const spent = await cost(async () => {
      expect((await refresh(c, 'lev', 'lev1', 3)).status).toBe(200);
    });
    expect(aorUnits(spent)).toEqual([]);
    expect(await aorStub('lev').listBindings()).toHaveLength(1);
    c.close();
  });

  it('is revoked on every flow by a password change before the API call returns', async () => {
    await createUser('pat', 'pat-pw');
    const a = await registered('pat', 'pat1');
    const b = await registered('pat', 'pat2');
    const put = await exports.default.fetch('http://edge/api/v1/users/pat', {
      method: 'PUT', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body: JSON.stringify({ password: 'pat-new-pw' }),
    });
    expect(put.status).toBe(200);
    // The old password is refused on both flows (the leases would have accepted it), the new one registers.
    expect((await refresh(a, 'pat', 'pat1', 3)).status).toBe(401);
    expect((await refresh(b, 'pat', 'pat2', 3)).status).toBe(401);
    expect((await refresh(a, 'pat', 'pat1', 7, 600, 'pat-new-pw')).status).toBe(200);
    a.close();
    b.close();
  });

  it('is revoked when the account is deleted: the flow no longer answers for it', async () => {
    await createUser('del', 'del-pw');
    const a = await registered('del', 'del1');
    const res = await exports.default.fetch('http://edge/api/v1/users/del', { method: 'DELETE', headers: { authorization: 'Bearer test-admin-token' } });
    expect(res.status).toBe(204);
    expect((await refresh(a, 'del', 'del1', 3)).status).toBe(401);
    expect(await aorStub('del').listBindings()).toEqual([]);
    a.close();
  });

  it('is revoked on the other flows by Contact: *, which removes their bindings', async () => {
    await createUser('wil', 'wil-pw');
    const a = await registered('wil', 'wil1');
    const b = await registered('wil', 'wil2');
    const star = await a.register({ user: 'wil', password: 'wil-pw', domain: DOMAIN, callId: 'reg-wil1', cseq: 3, contacts: ['*'], expires: 0 });
    expect(star.status).toBe(200);
    expect(await aorStub('wil').listBindings()).toEqual([]);
    // b's refresh now reaches the AOR (one RPC), which binds it again.
    const spent = await cost(async () => {
      expect((await refresh(b, 'wil', 'wil2', 3)).status).toBe(200);
    });
    expect(spent['ledger_requests_total{class="AorObject",kind="rpc",method="register"}']).toBe(1);
    expect(await aorStub('wil').listBindings()).toHaveLength(1);
    a.close();
    b.close();
  });

  it('moves with a binding taken over by another flow (RFC 5626 instance and reg-id)', async () => {
    await createUser('tak', 'tak-pw');
    const outbound = [';reg-id=1;+sip.instance="<urn:uuid:00000000-0000-0000-0000-00000000000a>"'];
    const a = await registered('tak', 'tak1', outbound);
    const b = await registered('tak', 'tak2', outbound);
    const list = await aorStub('tak').listBindings();
    expect(list).toHaveLength(1);
    expect(list[0]!.contact).toContain('tak2');
    const spent = await cost(async () => {
      expect((await refresh(a, 'tak', 'tak1', 3, 600, 'tak-pw', outbound)).status).toBe(200);
    });
    expect(spent['ledger_requests_total{class="AorObject",kind="rpc",method="register"}']).toBe(1);
    a.close();
    b.close();
  });

  it('routes nothing to a binding its flow let lapse: 480, and the AOR forgets it', async () => {
    await createUser('lap', 'lap-pw');
    await createUser('cal', 'cal-pw');
    const callee = await registered('lap', 'lap1');
    const caller = await registered('cal', 'cal1');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 700_000); // past the 600 s interval and its 30 s grace, well inside the lease's horizon
      caller.send([
        `MESSAGE sip:lap@${DOMAIN} SIP/2.0`, 'Via: SIP/2.0/WS cal1.invalid;branch=z9hG4bKlapse1', 'Max-Forwards: 70',
        `From: <sip:cal@${DOMAIN}>;tag=lapse`, `To: <sip:lap@${DOMAIN}>`, 'Call-ID: lapse-1', 'CSeq: 1 MESSAGE', 'Content-Length: 2', '', 'hi',
      ].join('\r\n'));
      expect((await caller.response()).status).toBe(480);
      expect(await callee.silent(200)).toBe(true);
      expect(await eventually(() => aorStub('lap').listBindings(), (l) => l.length === 0)).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
    callee.close();
    caller.close();
  });
});

