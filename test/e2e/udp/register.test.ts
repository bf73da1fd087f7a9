/**
 * Registration over UDP, end to end: SIPp (and a plain dgram UA) → the real udp-bridge → a really started
 * Worker. Digest 401 then 200, unregister, a wrong password, and a retransmitted REGISTER answered from the
 * bridge's cache without a second binding.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { DOMAIN, UdpUa, eventually, freeUdpPort, killAllSipp, runSipp, sleep, startTestBridge, type TestBridge } from './udp-kit.js';

let svc: Service;
let bridge: TestBridge;
const uas: UdpUa[] = [];

beforeAll(async () => {
  svc = await startService();
  for (const u of ['udp-reg-1', 'udp-reg-2', 'udp-retx-1', 'udp-retx-2']) await svc.createUser(u, `${u}-secret`);
  bridge = await startTestBridge(svc.ws);
});
afterEach(async () => {
  await killAllSipp();
  for (const ua of uas.splice(0)) await ua.close();
});
afterAll(async () => {
  await killAllSipp();
  await bridge?.close();
  await svc?.close();
});

const bindings = (user: string) => svc.bindings(user);

async function ua(user: string): Promise<UdpUa> {
  const u = await UdpUa.open(user, `${user}-secret`, bridge.port, () => bridge.tail());
  uas.push(u);
  return u;
}

describe('SIPp registering through the udp-bridge', () => {
  it('gets 401, then 200 with digest; the binding is listed; REGISTER Expires: 0 with digest removes it', async () => {
    const user = 'udp-reg-1';
    const localPort = await freeUdpPort();
    const reg = await runSipp({ scenario: 'register-digest-expect-200.xml', remotePort: bridge.port, context: () => bridge.tail(), localPort, user, password: `${user}-secret` });
    expect(reg.code, reg.report).toBe(0);
    // The wire: first REGISTER got 401 with an MD5 qop=auth challenge first, the second carried Authorization and got 200.
    expect(reg.messages, reg.report).toMatch(/SIP\/2\.0 401 [^\r\n]*\r?\n/);
    expect(reg.messages).toMatch(/WWW-Authenticate: Digest realm="edge-sip\.test", nonce="[^"]+", algorithm=MD5, qop="auth"/);
    expect(reg.messages).toMatch(/Authorization: Digest username="udp-reg-1"/);
    expect(reg.messages).toMatch(/SIP\/2\.0 200 /);

    const list = await bindings(user);
    expect(list, reg.report).toHaveLength(1);
    expect(list[0]!.contact).toContain(`sip:${user}@127.0.0.1:${localPort}`);
    expect(list[0]!.userAgent).toBe('SIPp e2e');
    expect(list[0]!.expires).toBeGreaterThan(200);
    expect(list[0]!.expires).toBeLessThanOrEqual(300);

    // Same source address (same flow), fresh Call-ID: unregister.
    const unreg = await runSipp({ scenario: 'unregister-digest-expect-200.xml', remotePort: bridge.port, context: () => bridge.tail(), localPort, user, password: `${user}-secret` });
    expect(unreg.code, unreg.report).toBe(0);
    expect(await bindings(user), unreg.report).toEqual([]);
  });

  it('with a wrong password gets 401 twice and no binding', async () => {
    const user = 'udp-reg-2';
    const localPort = await freeUdpPort();
    const run = await runSipp({ scenario: 'register-wrong-password-expect-401.xml', remotePort: bridge.port, context: () => bridge.tail(), localPort, user, password: 'not-the-password' });
    expect(run.code, run.report).toBe(0);
    expect(await bindings(user)).toEqual([]);
  });
});

describe('a retransmitted REGISTER', () => {
  it('gets a byte-identical 200 from the bridge’s cache and creates no second binding', async () => {
    const user = 'udp-retx-1';
    const dev = await ua(user);
    const before = bridge.bridge.metrics.retransmissionsAbsorbed;
    const first = await dev.register();
    expect(first.response.status, dev.dump()).toBe(200);
    const listed = await bindings(user);
    expect(listed).toHaveLength(1);

    // The very same datagram again, as a UDP UA retransmits when its 200 is lost.
    const since = dev.received.length;
    await dev.send(first.request);
    const branch = /branch=([^;\s\r]+)/.exec(first.request.toString('latin1'))![1]!;
    const again = await dev.responseFor(branch, 'the answer to the retransmitted REGISTER', 5_000, since);
    expect(again.status).toBe(200);
    expect(Buffer.compare(again.raw, first.response.raw), `${first.response.text}\n----\n${again.text}`).toBe(0);
    expect(bridge.bridge.metrics.retransmissionsAbsorbed).toBe(before + 1);

    await sleep(300); // anything the Worker would have sent for a forwarded copy has arrived by now
    expect(dev.received.slice(since), dev.dump()).toHaveLength(1);
    const after = await bindings(user);
    expect(after).toHaveLength(1);
    expect(after[0]!.cseq).toBe(listed[0]!.cseq);
    expect(after[0]!.callId).toBe(listed[0]!.callId);
    const metrics = await bridge.scrape();
    expect(metrics.get('sip_bridge_retransmissions_absorbed_total')).toBe(before + 1);
  });

  it('sent again before the 200 arrives is absorbed: one 200, one binding', async () => {
    const user = 'udp-retx-2';
    const dev = await ua(user);
    const first = dev.registerRequest();
    const since0 = dev.received.length;
    await dev.send(first.bytes);
    const challenge = await dev.responseFor(first.branch, 'the 401', 10_000, since0);
    expect(challenge.status).toBe(401);
    const authed = dev.registerRequest({ authorization: dev.authorizationFor(challenge) });
    const before = bridge.bridge.metrics.retransmissionsAbsorbed;
    const since = dev.received.length;
    await dev.send(authed.bytes);
    await dev.send(authed.bytes); // back to back: the first is still pending at the Worker
    const ok = await dev.responseFor(authed.branch, 'the 200', 10_000, since);
    expect(ok.status).toBe(200);
    await eventually(() => bridge.bridge.metrics.retransmissionsAbsorbed, (n) => n === before + 1, 2_000);
    expect(bridge.bridge.metrics.retransmissionsAbsorbed).toBe(before + 1);
    await sleep(300);
    expect(dev.received.slice(since).filter((d) => d.status !== undefined), dev.dump()).toHaveLength(1);
    expect(await bindings(user)).toHaveLength(1);
    expect(DOMAIN).toBe('edge-sip.test');
  });
});
