/**
 * MESSAGE through the proxy, and the admin API that sends one, end to end: real JsSIP and SIP.js
 * user agents against a really started Worker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './clients/signal.js';
import { startService, type Service } from './harness.js';
import { aor, createUsers, UaPool } from './uas.js';

let svc: Service;
const uas = new UaPool(() => svc);

beforeAll(async () => {
  svc = await startService();
  await createUsers(svc, [
    'm-alice', 'm-bob', 'm-carol', 'm-dave', 'm-erin', 'm-frank', 'm-gina', 'm-hank', 'm-ivy', 'm-jack', 'm-kate', 'm-lena',
    'api-1', 'api-2', 'api-3', 'api-4', 'api-5',
  ]);
});
afterEach(() => uas.stopAll());
afterAll(async () => {
  await svc?.close();
});

describe('MESSAGE between registered user agents', () => {
  it('a JsSIP user’s MESSAGE reaches a SIP.js user with body and content type unchanged, and the sender gets 200', async () => {
    const alice = await uas.registeredJsSip('m-alice');
    const bob = await uas.registeredSipJs('m-bob');
    const body = 'Hello Bob — ünïcödé ✓\r\nsecond line';
    const result = await alice.sendMessage(aor('m-bob'), body, 'text/plain;charset=utf-8');
    expect(result.status, alice.wire.dump()).toBe(200);
    const got = await bob.messages.next();
    expect(got.body).toBe(body);
    expect(got.contentType).toBe('text/plain;charset=utf-8');
    expect(got.from).toBe(aor('m-alice'));
  });

  it('a SIP.js user’s MESSAGE reaches a JsSIP user with body and content type unchanged, and the sender gets 200', async () => {
    const carol = await uas.registeredSipJs('m-carol');
    const dave = await uas.registeredJsSip('m-dave');
    const body = JSON.stringify({ kind: 'ping', n: 42, text: 'fünf' });
    const result = await carol.sendMessage(aor('m-dave'), body, 'application/json');
    expect(result.status, carol.wire.dump()).toBe(200);
    const got = await dave.messages.next();
    expect(got.body).toBe(body);
    expect(got.contentType).toBe('application/json');
    expect(got.from).toBe(aor('m-carol'));
  });

  it('the sender gets the recipient’s final answer when it refuses the MESSAGE', async () => {
    const erin = await uas.registeredJsSip('m-erin');
    const frank = await uas.registeredSipJs('m-frank', { messageResponse: 488 });
    const result = await erin.sendMessage(aor('m-frank'), 'refuse me');
    expect(result.status, erin.wire.dump()).toBe(488);
    expect((await frank.messages.next()).body).toBe('refuse me');
  });

  it('a MESSAGE to a user on two connections reaches both, and the sender gets 200', async () => {
    const gina = await uas.registeredSipJs('m-gina');
    const hankJs = await uas.registeredJsSip('m-hank', { name: 'JsSIP m-hank' });
    const hankSipJs = await uas.registeredSipJs('m-hank', { name: 'SIP.js m-hank' });
    const result = await gina.sendMessage(aor('m-hank'), 'to both of you');
    expect(result.status, gina.wire.dump()).toBe(200);
    expect((await hankJs.messages.next()).body).toBe('to both of you');
    expect((await hankSipJs.messages.next()).body).toBe('to both of you');
  });

  it('a MESSAGE to an unknown user gets 404, and to a user without a live binding 480', async () => {
    const ivy = await uas.registeredJsSip('m-ivy');
    expect((await ivy.sendMessage(aor('m-nobody'), 'anyone?')).status, ivy.wire.dump()).toBe(404);
    expect((await ivy.sendMessage(aor('m-lena'), 'are you there?')).status, ivy.wire.dump()).toBe(480);
  });

  it('a MESSAGE from a connection that is not registered is challenged with 407 and goes through with Proxy-Authorization', async () => {
    const kate = await uas.registeredJsSip('m-kate');
    const jack = await uas.sipjs('m-jack'); // connected, never registered, right password
    const result = await jack.sendMessage(aor('m-kate'), 'let me in');
    expect(result.status, jack.wire.dump()).toBe(200);
    const challenges = jack.wire.responses('MESSAGE').filter((m) => m.status === 407);
    expect(challenges, jack.wire.dump()).toHaveLength(1);
    expect(challenges[0]!.header('proxy-authenticate')).toMatch(/^Digest /i);
    const sent = jack.wire.find((m) => m.dir === 'out' && m.method === 'MESSAGE');
    expect(sent).toHaveLength(2);
    expect(sent[0]!.header('proxy-authorization')).toBeUndefined();
    expect(sent[1]!.header('proxy-authorization')).toMatch(/^Digest /i);
    expect((await kate.messages.next()).body).toBe('let me in');
    await sleep(300);
    expect(kate.messages.all).toHaveLength(1);
  });
});

describe('POST /api/v1/messages', () => {
  const post = (json: unknown, headers: Record<string, string> = {}) =>
    svc.admin('/messages', { method: 'POST', body: JSON.stringify(json), headers });

  it('delivers a MESSAGE to a registered JsSIP user agent and answers the device’s final status', async () => {
    const ua = await uas.registeredJsSip('api-1');
    const res = await post({ to: aor('api-1'), contentType: 'text/plain', body: 'maintenance at 22:00' });
    expect(res.status).toBe(200);
    expect(await res.json(), ua.wire.dump()).toMatchObject({ status: 200, reason: 'OK' });
    const got = await ua.messages.next();
    expect(got.body).toBe('maintenance at 22:00');
    expect(got.contentType).toBe('text/plain');
  });

  it('accepts a bare user name as "to", a "from", and any content type', async () => {
    const ua = await uas.registeredSipJs('api-2');
    const body = JSON.stringify({ alert: 'door open' });
    const res = await post({ to: 'api-2', from: aor('api-1'), contentType: 'application/json', body });
    expect(res.status).toBe(200);
    expect(await res.json(), ua.wire.dump()).toMatchObject({ status: 200 });
    const got = await ua.messages.next();
    expect(got.body).toBe(body);
    expect(got.contentType).toBe('application/json');
  });

  it('answers HTTP 200 with the device’s SIP status even when the device refuses', async () => {
    const ua = await uas.registeredSipJs('api-3', { messageResponse: 488 });
    const res = await post({ to: aor('api-3'), body: 'no thanks' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { status: number; reason: string };
    expect(json.status, ua.wire.dump()).toBe(488);
    expect(typeof json.reason).toBe('string');
    expect((await ua.messages.next()).body).toBe('no thanks');
  });

  it('answers status 480 for a user with no live binding', async () => {
    const res = await post({ to: aor('api-4'), body: 'nobody home' });
    expect(await res.json()).toMatchObject({ status: 480 });
  });

  it('refuses a request without the bearer token with HTTP 401, and sends nothing', async () => {
    const ua = await uas.registeredJsSip('api-5');
    const res = await fetch(`${svc.http}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: aor('api-5'), body: 'sneaky' }),
    });
    expect(res.status).toBe(401);
    const wrong = await fetch(`${svc.http}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
      body: JSON.stringify({ to: aor('api-5'), body: 'sneaky' }),
    });
    expect(wrong.status).toBe(401);
    await sleep(500);
    expect(ua.messages.all).toEqual([]);
  });
});
