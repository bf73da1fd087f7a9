/**
 * Garbage datagrams at the real udp-bridge in front of a really started Worker: random bytes, HTTP and HTML,
 * a datagram over the configured size limit. They are dropped and counted (`not_sip`, `oversized`); nothing
 * else changes: no answer, no new flow, no upstream traffic, the registered device keeps its binding and
 * is still served.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { UdpUa, eventually, sleep, startTestBridge, type TestBridge } from './udp-kit.js';

let svc: Service;
let bridge: TestBridge;
const uas: UdpUa[] = [];

beforeAll(async () => {
  svc = await startService();
  await svc.createUser('udp-garbage-1', 'udp-garbage-1-secret');
  bridge = await startTestBridge(svc.ws, { maxDatagramBytes: 4096 });
});
afterAll(async () => {
  for (const ua of uas.splice(0)) await ua.close();
  await bridge?.close();
  await svc?.close();
});

async function bindings(user: string): Promise<{ contact: string; cseq: number; callId: string; flowId: string }[]> {
  const res = await svc.admin(`/users/${user}/bindings`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { bindings: { contact: string; cseq: number; callId: string; flowId: string }[] }).bindings;
}

/** Random bytes that cannot start like a SIP message or a keep-alive (first byte not a letter, CR or LF). */
function randomGarbage(n: number): Buffer {
  const b = randomBytes(n);
  b[0] = 0x00;
  return b;
}

describe('garbage datagrams', () => {
  it('only move the drop counters', async () => {
    const user = 'udp-garbage-1';
    const dev = await UdpUa.open(user, `${user}-secret`, bridge.port, () => bridge.tail());
    uas.push(dev);
    const stranger = await UdpUa.open('stranger', 'x', bridge.port, () => bridge.tail()); // never sent anything: has no flow
    uas.push(stranger);
    stranger.answerRequests = null;
    expect((await dev.register()).response.status, dev.dump()).toBe(200);
    const bindingsBefore = await bindings(user);
    expect(bindingsBefore).toHaveLength(1);

    const m0 = await bridge.scrape();
    const b = bridge.bridge;
    const flowsBefore = b.flowCount();
    const receivedBefore = { dev: dev.received.length, stranger: stranger.received.length };

    const notSip: Buffer[] = [
      randomGarbage(512),
      randomGarbage(1),
      Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n'),
      Buffer.from('<!DOCTYPE html><html><head><title>hi</title></head><body><p>not SIP</p></body></html>\n'),
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
      Buffer.from('\0\0\0\0'),
    ];
    // Bigger than the bridge's limit (4096) but a valid-looking SIP request: dropped before parsing.
    const pad = 'x'.repeat(8192);
    const oversized = Buffer.from(
      `MESSAGE sip:${user}@edge-sip.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${dev.port};branch=z9hG4bKbig\r\nMax-Forwards: 70\r\n` +
        `From: <sip:${user}@edge-sip.test>;tag=big\r\nTo: <sip:${user}@edge-sip.test>\r\nCall-ID: big@127.0.0.1\r\nCSeq: 1 MESSAGE\r\n` +
        `Content-Type: text/plain\r\nContent-Length: ${pad.length}\r\n\r\n${pad}`,
    );
    expect(oversized.length).toBeGreaterThan(8192);

    for (const g of notSip) await dev.send(g);
    await dev.send(oversized);
    for (const g of notSip.slice(0, 3)) await stranger.send(g);
    await stranger.send(oversized);
    const sent = notSip.length + 1 + 3 + 1;

    const m1 = await eventually(() => bridge.scrape(), (m) => m.get('sip_bridge_datagrams_total{direction="in"}')! >= m0.get('sip_bridge_datagrams_total{direction="in"}')! + sent, 5_000);
    await sleep(500); // room for anything (wrongly) sent upstream to come back
    const m2 = await bridge.scrape();
    const delta = (k: string) => m2.get(k)! - m0.get(k)!;
    const context = `metrics before:\n${[...m0].join('\n')}\nafter:\n${[...m2].join('\n')}\nbridge log:\n${bridge.logs.slice(-30).join('\n')}`;

    expect(m1.get('sip_bridge_datagrams_total{direction="in"}'), context).toBe(m0.get('sip_bridge_datagrams_total{direction="in"}')! + sent);
    expect(delta('sip_bridge_drops_total{reason="not_sip"}'), context).toBe(notSip.length + 3);
    expect(delta('sip_bridge_drops_total{reason="oversized"}'), context).toBe(2);
    for (const r of ['rate_limited', 'flow_limit', 'buffer_full', 'internal_error']) expect(delta(`sip_bridge_drops_total{reason="${r}"}`), `${r}\n${context}`).toBe(0);
    // Nothing answered, nothing relayed, no new flow, no reconnect.
    expect(delta('sip_bridge_datagrams_total{direction="out"}'), context).toBe(0);
    expect(delta('sip_bridge_reconnects_total')).toBe(0);
    expect(delta('sip_bridge_retransmissions_absorbed_total')).toBe(0);
    expect(delta('sip_bridge_keepalives_total')).toBe(0);
    expect(m2.get('sip_bridge_flows')).toBe(flowsBefore);
    expect(m2.get('sip_bridge_flows_connected')).toBe(flowsBefore);
    expect(b.flowCount()).toBe(1);
    expect(dev.received.length, dev.dump()).toBe(receivedBefore.dev);
    expect(stranger.received.length, stranger.dump()).toBe(receivedBefore.stranger);
    const stable = (l: Awaited<ReturnType<typeof bindings>>) => l.map(({ contact, cseq, callId, flowId }) => ({ contact, cseq, callId, flowId }));
    expect(stable(await bindings(user))).toEqual(stable(bindingsBefore));

    // The device is still served: OPTIONS to the service, then a refreshing REGISTER.
    const options = await dev.options();
    expect(options.status, dev.dump()).toBe(200);
    const refresh = await dev.register();
    expect(refresh.response.status, dev.dump()).toBe(200);
    const after = await bindings(user);
    expect(after).toHaveLength(1);
    expect(after[0]!.contact).toBe(bindingsBefore[0]!.contact);
    expect(after[0]!.flowId).toBe(bindingsBefore[0]!.flowId);
    expect(after[0]!.cseq).toBeGreaterThan(bindingsBefore[0]!.cseq);
  });
});
