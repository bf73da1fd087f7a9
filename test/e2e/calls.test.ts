/**
 * Calls through the proxy end to end: real JsSIP (fake WebRTC) and SIP.js (fake session
 * description handler) user agents against a really started Worker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsSipUa } from './clients/jssip.js';
import type { SipJsUa } from './clients/sipjs.js';
import { sleep } from './clients/signal.js';
import type { WireMessage } from './clients/wire.js';
import { startService, type Service } from './harness.js';
import { aor, createUsers, UaPool } from './uas.js';

let svc: Service;
const uas = new UaPool(() => svc);

beforeAll(async () => {
  svc = await startService();
  await createUsers(svc, [
    'c-alice', 'c-bob', 'c-carol', 'c-dave',
    'c-erin', 'c-frank', 'c-gina', 'c-hank',
    'c-ivy', 'c-jack', 'c-kate', 'c-lena',
    'c-mike', 'c-absent',
    'c-nina', 'c-fork',
    'c-oscar', 'c-paula', 'c-quinn', 'c-rita',
    'c-sam', 'c-tina', 'c-uma', 'c-vic',
  ]);
});
afterEach(() => uas.stopAll());
afterAll(async () => {
  await svc?.close();
});

type Agent = JsSipUa | SipJsUa;

const vias = (m: WireMessage) => m.headerAll('via').flatMap((v) => v.split(','));

/** A full call: ring, answer, ACK, SDP checks, then BYE from one side. */
async function callAndHangUp(caller: Agent, callerUser: string, callee: Agent, calleeUser: string, byeFrom: 'caller' | 'callee') {
  const call = caller.call(aor(calleeUser));
  const inc = await callee.incoming.next();
  expect(inc.from).toBe(aor(callerUser));
  expect(inc.callId).toBe(call.callId);
  expect(await call.progress.wait()).toBe(180);

  // The offer reached the callee byte for byte.
  const offer = call.offerSent();
  expect(offer).toMatch(/^v=0\r\n[\s\S]*a=x-test:[0-9a-f-]{36}\r\n/);
  expect(inc.offerReceived()).toBe(offer);

  // The proxy is in the path: its own Via on top of the caller's, and a Record-Route.
  const invite = callee.wire.requests('INVITE', call.callId)[0]!;
  expect(vias(invite).length, callee.wire.dump()).toBeGreaterThanOrEqual(2);
  expect(invite.headerAll('record-route').length, callee.wire.dump()).toBeGreaterThanOrEqual(1);

  inc.answer();
  await call.accepted.wait();
  expect(await call.finalStatus()).toBe(200);
  await inc.confirmed.wait(); // the ACK crossed the proxy
  expect(callee.wire.requests('ACK', call.callId), callee.wire.dump()).toHaveLength(1);

  // The answer reached the caller byte for byte.
  const answer = inc.answerSent();
  expect(answer).toMatch(/a=x-test:[0-9a-f-]{36}\r\n/);
  expect(answer).not.toBe(offer);
  expect(call.answerReceived()).toBe(answer);
  if (inc.remoteOfferSeenByMedia) expect(inc.remoteOfferSeenByMedia()).toBe(offer);

  // The 2xx carried the Record-Route back, so the caller routes in-dialog requests via the proxy.
  const ok = caller.wire.responses('INVITE', call.callId).find((m) => m.status === 200)!;
  expect(ok.headerAll('record-route').length, caller.wire.dump()).toBeGreaterThanOrEqual(1);

  if (byeFrom === 'caller') {
    call.bye();
    expect(await inc.ended.wait()).toEqual({ by: 'remote', cause: 'bye' });
    expect((await call.ended.wait()).by).toBe('local');
    const bye = caller.wire.find((m) => m.dir === 'out' && m.method === 'BYE' && m.callId === call.callId)[0]!;
    expect(bye.header('route'), caller.wire.dump()).toBeDefined();
    const byeOk = await caller.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.callId === call.callId && (m.status ?? 0) >= 200, 'final response to BYE');
    expect(byeOk.status).toBe(200);
  } else {
    inc.bye();
    const end = await call.ended.wait();
    expect(end.by).toBe('remote');
    expect((await inc.ended.wait()).by).toBe('local');
    const bye = callee.wire.find((m) => m.dir === 'out' && m.method === 'BYE' && m.callId === call.callId)[0]!;
    expect(bye.header('route'), callee.wire.dump()).toBeDefined();
    const byeOk = await callee.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.callId === call.callId && (m.status ?? 0) >= 200, 'final response to BYE');
    expect(byeOk.status).toBe(200);
  }
  expect(caller.wire.requests('BYE', call.callId).length + callee.wire.requests('BYE', call.callId).length).toBe(1);
}

describe('a call between registered user agents', () => {
  it('JsSIP calls SIP.js: 180, 200, ACK, and a BYE from the caller ends both sides; offer and answer pass unchanged', async () => {
    const alice = await uas.registeredJsSip('c-alice');
    const bob = await uas.registeredSipJs('c-bob');
    await callAndHangUp(alice, 'c-alice', bob, 'c-bob', 'caller');
  });

  it('SIP.js calls JsSIP: 180, 200, ACK, and a BYE from the callee ends both sides; offer and answer pass unchanged', async () => {
    const carol = await uas.registeredSipJs('c-carol');
    const dave = await uas.registeredJsSip('c-dave');
    await callAndHangUp(carol, 'c-carol', dave, 'c-dave', 'callee');
  });
});

/** Establish a call, then INFO both ways and a re-INVITE from each side. */
async function inDialogRequests(caller: Agent, callee: Agent, calleeUser: string) {
  const call = caller.call(aor(calleeUser));
  const inc = await callee.incoming.next();
  inc.answer();
  await call.accepted.wait();
  await inc.confirmed.wait();

  expect(await call.sendInfo('application/x-e2e', 'from the caller'), caller.wire.dump()).toBe(200);
  expect(await inc.infos.next()).toEqual({ contentType: 'application/x-e2e', body: 'from the caller' });
  expect(await inc.sendInfo('application/x-e2e', 'from the callee'), callee.wire.dump()).toBe(200);
  expect(await call.infos.next()).toEqual({ contentType: 'application/x-e2e', body: 'from the callee' });

  expect(await call.reinvite(), caller.wire.dump()).toBe(200);
  await callee.wire.waitForNth((m) => m.dir === 'in' && m.method === 'ACK' && m.callId === call.callId, 1, 'ACK of the caller’s re-INVITE');
  expect(call.localSdps()).toHaveLength(2);
  expect(inc.remoteSdps()).toEqual(call.localSdps());
  expect(call.remoteSdps()).toEqual(inc.localSdps());

  expect(await inc.reinvite(), callee.wire.dump()).toBe(200);
  await caller.wire.waitForNth((m) => m.dir === 'in' && m.method === 'ACK' && m.callId === call.callId, 0, 'ACK of the callee’s re-INVITE');
  expect(inc.localSdps()).toHaveLength(3);
  expect(call.remoteSdps()).toEqual(inc.localSdps());
  expect(inc.remoteSdps()).toEqual(call.localSdps());

  // Every in-dialog request carried the route set the proxy recorded.
  const inDialogOut = [...caller.wire.messages, ...callee.wire.messages].filter(
    (m) => m.dir === 'out' && m.callId === call.callId && m.method !== undefined && m.header('to')?.includes('tag='),
  );
  expect(inDialogOut.length).toBeGreaterThanOrEqual(6);
  for (const m of inDialogOut) expect(m.header('route'), `${m.method} without Route`).toBeDefined();

  call.bye();
  expect(await inc.ended.wait()).toEqual({ by: 'remote', cause: 'bye' });
}

describe('in-dialog requests', () => {
  it('between JsSIP (caller) and SIP.js: INFO both ways and a re-INVITE from each side cross the proxy, SDPs unchanged', async () => {
    const sam = await uas.registeredJsSip('c-sam');
    const tina = await uas.registeredSipJs('c-tina');
    await inDialogRequests(sam, tina, 'c-tina');
  });

  it('between SIP.js (caller) and JsSIP: INFO both ways and a re-INVITE from each side cross the proxy, SDPs unchanged', async () => {
    const uma = await uas.registeredSipJs('c-uma');
    const vic = await uas.registeredJsSip('c-vic');
    await inDialogRequests(uma, vic, 'c-vic');
  });
});

describe('CANCEL before answer', () => {
  it('a JsSIP caller cancels while a SIP.js callee rings: the caller gets 487, the callee’s session ends as canceled', async () => {
    const erin = await uas.registeredJsSip('c-erin');
    const frank = await uas.registeredSipJs('c-frank');
    const call = erin.call(aor('c-frank'));
    const inc = await frank.incoming.next();
    expect(await call.progress.wait()).toBe(180);
    call.cancel();
    expect((await call.failed.wait()).cause).toBe('Canceled');
    expect(await call.finalStatus()).toBe(487);
    const cancelOk = await erin.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'CANCEL' && m.callId === call.callId, 'response to CANCEL');
    expect(cancelOk.status).toBe(200);
    expect(await inc.ended.wait()).toEqual({ by: 'remote', cause: 'canceled' });
    expect(call.accepted.fired).toBe(false);
  });

  it('a SIP.js caller cancels while a JsSIP callee rings: the caller gets 487, the callee’s session ends as canceled', async () => {
    const gina = await uas.registeredSipJs('c-gina');
    const hank = await uas.registeredJsSip('c-hank');
    const call = gina.call(aor('c-hank'));
    const inc = await hank.incoming.next();
    expect(await call.progress.wait()).toBe(180);
    call.cancel();
    expect((await call.failed.wait()).status).toBe(487);
    expect(await call.finalStatus()).toBe(487);
    const cancelOk = await gina.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'CANCEL' && m.callId === call.callId, 'response to CANCEL');
    expect(cancelOk.status).toBe(200);
    expect(await inc.ended.wait()).toEqual({ by: 'remote', cause: 'canceled' });
    expect(call.accepted.fired).toBe(false);
  });
});

describe('a callee that is busy', () => {
  it('rejects with 486 and the JsSIP caller’s call fails as Busy with 486', async () => {
    const ivy = await uas.registeredJsSip('c-ivy');
    const jack = await uas.registeredSipJs('c-jack');
    const call = ivy.call(aor('c-jack'));
    const inc = await jack.incoming.next();
    await call.progress.wait();
    inc.reject(486);
    const failure = await call.failed.wait();
    expect(failure.status).toBe(486);
    expect(failure.cause).toBe('Busy');
    expect(call.accepted.fired).toBe(false);
  });

  it('rejects with 486 and the SIP.js caller’s call fails with 486', async () => {
    const kate = await uas.registeredSipJs('c-kate');
    const lena = await uas.registeredJsSip('c-lena');
    const call = kate.call(aor('c-lena'));
    const inc = await lena.incoming.next();
    await call.progress.wait();
    inc.reject(486);
    expect((await call.failed.wait()).status).toBe(486);
    expect(call.accepted.fired).toBe(false);
  });
});

describe('a call nobody can take', () => {
  it('to a user without an account fails with 404, and to a provisioned user with no binding with 480', async () => {
    const mike = await uas.registeredJsSip('c-mike');
    const unknown = mike.call(aor('c-no-such-user'));
    const f404 = await unknown.failed.wait();
    expect(f404.status, mike.wire.dump()).toBe(404);
    expect(f404.cause).toBe('Not Found');
    const absent = mike.call(aor('c-absent'));
    const f480 = await absent.failed.wait();
    expect(f480.status, mike.wire.dump()).toBe(480);
    expect(f480.cause).toBe('Unavailable');
  });
});

describe('one user on two connections', () => {
  it('rings on both; when one answers, the other’s ringing session ends as canceled and the caller is connected to the one that answered', async () => {
    const nina = await uas.registeredJsSip('c-nina');
    const forkJs = await uas.registeredJsSip('c-fork', { name: 'JsSIP c-fork' });
    const forkSipJs = await uas.registeredSipJs('c-fork', { name: 'SIP.js c-fork' });
    const call = nina.call(aor('c-fork'));
    const [incJs, incSipJs] = await Promise.all([forkJs.incoming.next(), forkSipJs.incoming.next()]);
    expect(incJs.offerReceived()).toBe(call.offerSent());
    expect(incSipJs.offerReceived()).toBe(call.offerSent());
    await call.progress.wait();

    incSipJs.answer();
    await call.accepted.wait();
    await incSipJs.confirmed.wait();
    expect(await incJs.ended.wait()).toEqual({ by: 'remote', cause: 'canceled' });
    expect(forkJs.wire.requests('CANCEL', call.callId), forkJs.wire.dump()).toHaveLength(1);
    expect(call.answerReceived()).toBe(incSipJs.answerSent());
    expect(nina.wire.responses('INVITE', call.callId).filter((m) => m.status === 200), nina.wire.dump()).toHaveLength(1);

    call.bye();
    expect(await incSipJs.ended.wait()).toEqual({ by: 'remote', cause: 'bye' });
    expect(forkJs.wire.requests('BYE', call.callId)).toEqual([]);
  });
});

describe('an INVITE from a connection that is not registered', () => {
  it('is challenged with 407 and goes through once the caller authenticates with Proxy-Authorization', async () => {
    const oscar = await uas.jssip('c-oscar'); // started, never registered, right password
    const paula = await uas.registeredSipJs('c-paula');
    const call = oscar.call(aor('c-paula'));
    const inc = await paula.incoming.next();
    inc.answer();
    await call.accepted.wait();
    expect(call.answerReceived()).toBe(inc.answerSent());
    const challenges = oscar.wire.responses('INVITE', call.callId).filter((m) => m.status === 407);
    expect(challenges, oscar.wire.dump()).toHaveLength(1);
    expect(challenges[0]!.header('proxy-authenticate')).toMatch(/^Digest /i);
    const invites = oscar.wire.find((m) => m.dir === 'out' && m.method === 'INVITE' && m.callId === call.callId);
    expect(invites).toHaveLength(2);
    expect(invites[0]!.header('proxy-authorization')).toBeUndefined();
    expect(invites[1]!.header('proxy-authorization')).toMatch(/^Digest /i);
    expect(paula.incoming.all).toHaveLength(1);
    call.bye();
    expect(await inc.ended.wait()).toEqual({ by: 'remote', cause: 'bye' });
  });

  it('fails when the caller’s password is wrong, and the callee never rings', async () => {
    const quinn = await uas.jssip('c-quinn', { password: 'wrong-password' });
    const rita = await uas.registeredSipJs('c-rita');
    const call = quinn.call(aor('c-rita'));
    const failure = await call.failed.wait();
    expect([403, 407], quinn.wire.dump()).toContain(failure.status);
    await sleep(500);
    expect(call.accepted.fired).toBe(false);
    expect(rita.incoming.all).toEqual([]);
    expect(rita.wire.requests('INVITE')).toEqual([]);
  });
});
