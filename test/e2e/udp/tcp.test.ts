/**
 * A phone over TCP, end to end: SIPp (`-t t1`, one TCP connection) → the real bridge's TCP listener → a really
 * started Worker. Digest 401 then 200 on the connection, the binding listed while the connection is open, and
 * gone once it closes (RFC 5626 §4.2.3: a connection's bindings die with it); nothing retransmitted over TCP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { eventually, freeUdpPort, killAllSipp, startSipp, startTestBridge, type TestBridge } from './udp-kit.js';

let svc: Service;
let bridge: TestBridge;

beforeAll(async () => {
  svc = await startService();
  await svc.createUser('tcp-reg-1', 'tcp-reg-1-secret');
  bridge = await startTestBridge(svc.ws);
});
afterEach(() => killAllSipp());
afterAll(async () => {
  await killAllSipp();
  await bridge?.close();
  await svc?.close();
});

describe('SIPp registering over TCP through the bridge', () => {
  it('gets 401 then 200 over one TCP connection; the binding lives as long as the connection', async () => {
    const user = 'tcp-reg-1';
    const tcpPort = bridge.bridge.tcpAddress()!.port;
    const sipp = startSipp({
      scenario: 'register-digest-expect-200-hold.xml', remotePort: tcpPort, localPort: await freeUdpPort(), user, password: `${user}-secret`,
      extra: ['-t', 't1', '-d', '60000'], timeoutMs: 90_000, context: () => bridge.tail(),
    });
    const listed = await eventually(() => svc.bindings(user), (b) => b.length === 1, 20_000, 100);
    expect(listed, bridge.tail()).toHaveLength(1);
    expect(listed[0]!.userAgent).toBe('SIPp e2e');
    expect(listed[0]!.flowId).toMatch(/^[0-9a-f]{64}$/);
    expect(bridge.bridge.tcpConnections()).toBe(1);
    const metrics = await bridge.scrape();
    expect(metrics.get('sip_bridge_tcp_connections_accepted_total')).toBe(1);
    expect(metrics.get('sip_bridge_tcp_messages_total{direction="in"}')).toBe(2);
    expect(metrics.get('sip_bridge_tcp_messages_total{direction="out"}')).toBe(2);
    expect(metrics.get('sip_bridge_request_retransmissions_total')).toBe(0);

    // SIPp (killed below, so its trace may be cut short) reached the pause after the 200: both REGISTERs
    // and both answers crossed the TCP connection, counted above.
    sipp.kill(); // the phone goes away: its connection closes
    await sipp.result;
    const after = await eventually(() => svc.bindings(user), (b) => b.length === 0, 20_000, 100);
    expect(after, bridge.tail()).toEqual([]);
    expect(bridge.bridge.tcpConnections()).toBe(0);
  });
});
