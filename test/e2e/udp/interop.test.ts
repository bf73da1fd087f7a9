/**
 * A UDP user agent (SIPp, through the real udp-bridge) and a WebSocket user agent (JsSIP) talking to each
 * other through a really started Worker: MESSAGE both ways and calls both ways (INVITE/180/200/ACK/BYE),
 * with in-dialog requests following the service's Record-Route on both sides.
 *
 * All SIPp runs of one test share one local UDP port, so they are one device (one flow) for the bridge and
 * the Worker: the first run registers it, later runs rely on that registration.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { UaPool, aor, createUsers } from '../uas.js';
import { freeUdpPort, killAllSipp, runSipp, startSipp, startTestBridge, waitUntilBound, type TestBridge } from './udp-kit.js';

let svc: Service;
let bridge: TestBridge;
const uas = new UaPool(() => svc);

const X = 'udp-x1';
const Y = 'ws-y1';
const Z = 'udp-z1';
const W = 'ws-w1';

beforeAll(async () => {
  svc = await startService();
  await createUsers(svc, [X, Y, Z, W]);
  bridge = await startTestBridge(svc.ws);
});
afterEach(async () => {
  await killAllSipp();
  await uas.stopAll();
});
afterAll(async () => {
  await killAllSipp();
  await bridge?.close();
  await svc?.close();
});

describe('a SIPp device behind the udp-bridge and a JsSIP user', () => {
  it('exchange MESSAGE both ways and complete calls both ways', async () => {
    const y = await uas.registeredJsSip(Y);
    const port = await freeUdpPort();
    const sipp = { remotePort: bridge.port, context: () => bridge.tail(), localPort: port, user: X, password: `${X}-secret` };

    // 1. The device registers (401, then 200 with digest).
    const reg = await runSipp({ ...sipp, scenario: 'register-digest-expect-200.xml' });
    expect(reg.code, reg.report).toBe(0);

    // 2. MESSAGE device → JsSIP, from the registered flow: no challenge, JsSIP's 200 comes back.
    const toY = await runSipp({ ...sipp, scenario: 'message-to-peer-expect-200.xml', keys: { peer: Y, body: 'hello from udp' } });
    expect(toY.code, toY.report).toBe(0);
    expect(toY.messages).not.toMatch(/SIP\/2\.0 407/);
    const got = await y.messages.next();
    expect(got.body.trim()).toBe('hello from udp');
    expect(got.from).toBe(aor(X));
    expect(got.contentType).toBe('text/plain');

    // 3. Call device → JsSIP: INVITE, 100, 180 (JsSIP), 200 (answered here), ACK and BYE along [routes].
    const call = startSipp({ ...sipp, scenario: 'call-to-peer-expect-200-ack-bye.xml', keys: { peer: Y } });
    const incoming = await y.incoming.next();
    expect(incoming.from).toBe(aor(X));
    expect(incoming.offerReceived()).toMatch(/^v=0/);
    incoming.answer();
    await incoming.confirmed.wait();
    const ended = await incoming.ended.wait(15_000);
    expect(ended).toEqual({ by: 'remote', cause: 'bye' });
    const callRun = await call.result;
    expect(callRun.code, callRun.report).toBe(0);
    // The Record-Route the device saw: the service at the bridge's address (UDP side) and at the domain (WS side).
    const ok200 = (callRun.messages.split('SIP/2.0 200 OK')[1] ?? '').split(/\r?\n\r?\n/)[0] ?? '';
    const rr = [...ok200.matchAll(/^Record-Route: (.*)$/gim)].map((m) => m[1]!.trim()).join(', ');
    expect(rr, callRun.report).toMatch(/^<sip:edge-sip\.test;transport=ws;lr;[^>]+>, <sip:127\.0\.0\.1:\d+;lr;[^>]+>$/);
    expect(rr).toContain(`<sip:127.0.0.1:${bridge.port};lr;`);
    // The device's in-dialog requests carried both entries as Route, its own side first.
    expect(callRun.messages).toMatch(new RegExp(`ACK [^\\r\\n]+\\r?\\nVia: [^\\r\\n]+\\r?\\nRoute: <sip:127\\.0\\.0\\.1:${bridge.port};lr;[^>]+>, <sip:edge-sip\\.test;transport=ws;lr;`));
    expect(callRun.messages).toMatch(/BYE [^\r\n]+\r?\nVia: [^\r\n]+\r?\nRoute: /);

    // 4. The same device as a server (same local port, same flow): a MESSAGE and a call from JsSIP reach it.
    const uas2 = startSipp({ ...sipp, scenario: 'uas-answer-message-or-call-expect-200.xml', calls: 2, timeoutMs: 40_000 });
    await waitUntilBound(port);
    const toX = await y.sendMessage(aor(X), 'hello from ws');
    expect(toX.status, y.wire.dump()).toBe(200);

    const out = y.call(aor(X));
    expect(await out.progress.wait(), y.wire.dump()).toBe(180);
    await out.accepted.wait();
    expect(out.answerReceived()).toMatch(/^v=0/);
    await new Promise((r) => setTimeout(r, 300));
    out.bye();
    const byeStatus = await y.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.status !== undefined, 'the 200 to JsSIP\'s BYE');
    expect(byeStatus.status, y.wire.dump()).toBe(200);
    const served = await uas2.result;
    expect(served.code, served.report).toBe(0);
    expect(served.messages).toContain('hello from ws');
    // JsSIP's ACK and BYE reached the device through the service: Route entries of the service removed.
    const ack = /ACK sip:[^\r\n]+[\s\S]*?\r?\n\r?\n/.exec(served.messages)?.[0] ?? '';
    expect(ack, served.report).toMatch(new RegExp(`^ACK sip:${X}@127\\.0\\.0\\.1:${port} SIP/2\\.0`));
    expect(ack).not.toMatch(/^Route:/m);
  });

  it('a device that never registered its flow is challenged with 407 for MESSAGE and gets through with credentials', async () => {
    const w = await uas.registeredJsSip(W);
    const port = await freeUdpPort();
    const run = await runSipp({
      scenario: 'message-unregistered-expect-407-then-200.xml', remotePort: bridge.port, context: () => bridge.tail(), localPort: port, user: Z, password: `${Z}-secret`,
      keys: { peer: W, body: 'let me in' },
    });
    expect(run.code, run.report).toBe(0);
    expect(run.messages).toMatch(/Proxy-Authenticate: Digest realm="edge-sip\.test"/);
    expect(run.messages).toMatch(/Proxy-Authorization: Digest username="udp-z1"/);
    const got = await w.messages.next();
    expect(got.body.trim()).toBe('let me in');
    expect(got.from).toBe(aor(Z));
  });
});
