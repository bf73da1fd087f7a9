import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { startBridge } from '../../udp-bridge/src/bridge.js';
import type { Bridge } from '../../udp-bridge/src/bridge.js';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';
import { Device, FakeWorker, TOKEN, settle, testConfig, waitFor } from './harness.js';
import { register, response } from './sip-vectors.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(over: Partial<BridgeConfig> = {}): Promise<{ worker: FakeWorker; bridge: Bridge; port: number }> {
  const worker = await new FakeWorker().start();
  cleanup.push(() => worker.stop());
  const bridge = await startBridge(testConfig(worker, over));
  cleanup.push(() => bridge.close());
  return { worker, bridge, port: bridge.address().port };
}

async function device(): Promise<Device> {
  const d = await Device.open();
  cleanup.push(() => d.close());
  return d;
}

/** A MESSAGE whose body is GB2312 (not UTF-8), as GB28181 cameras send. */
function gbMessage(branch: string): Buffer {
  const body = Buffer.from([0x3c, 0x4e, 0x61, 0x6d, 0x65, 0x3e, 0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa, 0x3c, 0x2f, 0x4e, 0x61, 0x6d, 0x65, 0x3e]);
  const head = [
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    `Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=${branch}`,
    'From: <sip:34020000001320000001@3402000000>;tag=cam1',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: msg-1@192.168.1.64',
    'CSeq: 20 MESSAGE',
    'Content-Type: Application/MANSCDP+xml',
    'Max-Forwards: 70',
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

describe('udp-bridge', () => {
  it('opens one WebSocket per source with the sip subprotocol, the token and x-bridge-source, and relays the datagram byte for byte as a binary frame', async () => {
    const { worker, port } = await setup();
    const cam = await device();
    const datagram = gbMessage('z9hG4bKgb1');
    await cam.send(datagram, port);
    await waitFor(() => worker.connections[0]?.messages.length === 1, 'the frame upstream');
    const conn = worker.connections[0]!;
    expect(conn.protocol).toBe('sip');
    expect(conn.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(conn.headers['x-bridge-source']).toBe(`127.0.0.1:${cam.port}`);
    expect(conn.messages[0]!.isBinary).toBe(true);
    expect(Buffer.compare(conn.messages[0]!.data, datagram)).toBe(0);
  });

  it('sends every upstream message as one datagram from the listening port to the device address', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKr1'), port);
    await waitFor(() => worker.connections.length === 1 && worker.connections[0]!.messages.length === 1, 'the connection');
    const query = 'MESSAGE sip:34020000001320000001@192.168.1.64:5060 SIP/2.0\r\nContent-Length: 0\r\n\r\n';
    worker.connections[0]!.ws.send(query); // a text frame
    worker.connections[0]!.ws.send(Buffer.from(query), { binary: true });
    await waitFor(() => cam.inbox.length === 2, 'two datagrams at the device');
    for (const got of cam.inbox) {
      expect(got.data.toString()).toBe(query);
      expect(got.from.port).toBe(port);
    }
    expect(bridge.metrics.datagrams.out).toBe(2);
  });

  it('answers a retransmitted REGISTER from the cache and forwards it only once', async () => {
    const { worker, port, bridge } = await setup();
    const ok = response(200, 'OK', 'z9hG4bKr1', 'REGISTER', ['Contact: <sip:34020000001320000001@192.168.1.64:5060>;expires=3600']);
    worker.onMessage = (conn) => conn.ws.send(ok);
    const cam = await device();
    await cam.send(register('z9hG4bKr1'), port);
    await waitFor(() => cam.inbox.length === 1, 'the 200');
    await cam.send(register('z9hG4bKr1'), port);
    await waitFor(() => cam.inbox.length === 2, 'the replayed 200');
    expect(cam.inbox[1]!.data.toString()).toBe(ok);
    await settle();
    expect(worker.received()).toHaveLength(1);
    expect(bridge.metrics.retransmissionsAbsorbed).toBe(1);
    // A new transaction (new branch, next CSeq) is forwarded.
    await cam.send(register('z9hG4bKr2', { cseq: 2 }), port);
    await waitFor(() => worker.received().length === 2, 'the refresh upstream');
  });

  it('absorbs a retransmission while the request is still pending', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKp1'), port);
    await waitFor(() => worker.received().length === 1, 'the REGISTER upstream');
    await cam.send(register('z9hG4bKp1'), port);
    await waitFor(() => bridge.metrics.retransmissionsAbsorbed === 1, 'the absorbed retransmission');
    expect(cam.inbox).toHaveLength(0);
    expect(worker.received()).toHaveLength(1);
  });

  it('answers a CRLF keep-alive locally and sends nothing upstream', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send('\r\n\r\n', port);
    await waitFor(() => cam.inbox.length === 1, 'the pong');
    expect(cam.inbox[0]!.data.toString()).toBe('\r\n');
    expect(cam.inbox[0]!.from.port).toBe(port);
    await cam.send('\r\n', port); // a pong needs no answer
    await settle();
    expect(cam.inbox).toHaveLength(1);
    expect(worker.connections).toHaveLength(0);
    expect(bridge.metrics.keepalives).toBe(2);
  });

  it('drops garbage and oversized datagrams, changing nothing but the drop counters', async () => {
    const { worker, port, bridge } = await setup({ maxDatagramBytes: 1000 });
    const cam = await device();
    await cam.send('GET / HTTP/1.1 garbage \x00\x01\x02', port);
    await cam.send(Buffer.from([0xff, 0xfe, 0x00, 0x42]), port);
    await cam.send(Buffer.alloc(2000, 0x41), port);
    await waitFor(() => bridge.metrics.datagrams.in === 3, 'three datagrams in');
    await settle();
    expect(bridge.metrics.drops.not_sip).toBe(2);
    expect(bridge.metrics.drops.oversized).toBe(1);
    expect(bridge.flowCount()).toBe(0);
    expect(worker.connections).toHaveLength(0);
    expect(cam.inbox).toHaveLength(0);
    // The bridge still works.
    await cam.send(register('z9hG4bKafter'), port);
    await waitFor(() => worker.received().length === 1, 'a good datagram upstream');
  });

  it('rate-limits a flooding source while another source still gets through', async () => {
    const { worker, port, bridge } = await setup({ ratePerSecond: 1, rateBurst: 5 });
    const flood = await device();
    const quiet = await device();
    for (let i = 0; i < 30; i++) await flood.send(register(`z9hG4bKf${i}`, { cseq: i + 1 }), port);
    await waitFor(() => bridge.metrics.datagrams.in === 30, 'the flood to arrive');
    await quiet.send(register('z9hG4bKq1'), port);
    const fromQuiet = () => worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.1:${quiet.port}`);
    await waitFor(() => fromQuiet()?.messages.length === 1, 'the quiet source upstream');
    expect(bridge.metrics.drops.rate_limited).toBeGreaterThanOrEqual(23);
    const fromFlood = worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.1:${flood.port}`)!;
    await waitFor(() => fromFlood.messages.length + bridge.metrics.drops.rate_limited === 30, 'the flood accounted for');
    expect(fromFlood.messages.length).toBeLessThanOrEqual(7);
  });

  it('refuses new flows beyond the flow cap', async () => {
    const { worker, port, bridge } = await setup({ maxFlows: 1 });
    const a = await device();
    const b = await device();
    await a.send(register('z9hG4bKa'), port);
    await waitFor(() => worker.received().length === 1, 'the first flow');
    await b.send(register('z9hG4bKb'), port);
    await waitFor(() => bridge.metrics.drops.flow_limit === 1, 'the flow_limit drop');
    expect(bridge.flowCount()).toBe(1);
  });

  it('reconnects after the Worker restarts and delivers what was buffered meanwhile', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKb1'), port);
    await waitFor(() => worker.received().length === 1, 'the first REGISTER');
    await worker.stop();
    await waitFor(() => bridge.metrics.reconnects >= 1, 'a reconnect attempt');
    await cam.send(register('z9hG4bKb2', { cseq: 2 }), port);
    await cam.send(register('z9hG4bKb3', { cseq: 3 }), port);
    await waitFor(() => bridge.metrics.datagrams.in === 3, 'the datagrams at the bridge');
    await worker.start();
    await waitFor(() => worker.connections.length >= 2 && worker.connections.at(-1)!.messages.length === 2, 'the buffered messages');
    const last = worker.connections.at(-1)!;
    expect(last.headers['x-bridge-source']).toBe(`127.0.0.1:${cam.port}`);
    expect(last.messages.map((m) => m.data.toString())).toEqual([register('z9hG4bKb2', { cseq: 2 }), register('z9hG4bKb3', { cseq: 3 })]);
    // The new connection still reaches the device through the same socket.
    last.ws.send('OPTIONS sip:cam SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    await waitFor(() => cam.inbox.length === 1, 'a request from the restarted Worker');
    expect(cam.inbox[0]!.from.port).toBe(port);
  });

  it('lets a retransmission through again when the WebSocket dropped before the answer', async () => {
    const { worker, port } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKd1'), port);
    await waitFor(() => worker.received().length === 1, 'the REGISTER');
    worker.connections[0]!.ws.terminate();
    await waitFor(() => worker.connections.length === 2, 'the reconnection');
    await cam.send(register('z9hG4bKd1'), port);
    await waitFor(() => worker.connections[1]!.messages.length === 1, 'the retransmission on the new connection');
  });

  it('expires idle flows but keeps registered ones', async () => {
    const { worker, port, bridge } = await setup({ idleTimeoutMs: 100 });
    worker.onMessage = (conn, data) => {
      if (data.toString().includes('z9hG4bKreg')) {
        conn.ws.send(response(200, 'OK', 'z9hG4bKreg', 'REGISTER', ['Contact: <sip:c@192.168.1.64>;expires=3600']));
      }
    };
    const idle = await device();
    const registered = await device();
    await idle.send(register('z9hG4bKidle'), port);
    await registered.send(register('z9hG4bKreg'), port);
    await waitFor(() => registered.inbox.length === 1, 'the 200');
    const idleConn = () => worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.1:${idle.port}`);
    await waitFor(() => idleConn()?.closedWith === 1001, 'the idle flow to close');
    expect(bridge.flowCount()).toBe(1);
    const regConn = worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.1:${registered.port}`)!;
    expect(regConn.closedWith).toBeNull();
  });

  it('serves Prometheus metrics and a health check', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKm1'), port);
    await cam.send('not sip at all', port);
    await waitFor(() => worker.received().length === 1 && bridge.metrics.drops.not_sip === 1, 'traffic');
    const m = bridge.metricsAddress()!;
    const res = await fetch(`http://${m.host}:${m.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('sip_bridge_datagrams_total{direction="in"} 2');
    expect(text).toContain('sip_bridge_datagrams_total{direction="out"} 0');
    expect(text).toMatch(/sip_bridge_bytes_total\{direction="in"\} \d+/);
    expect(text).toContain('sip_bridge_flows 1');
    expect(text).toContain('sip_bridge_drops_total{reason="not_sip"} 1');
    expect(text).toContain('sip_bridge_drops_total{reason="rate_limited"} 0');
    expect(text).toContain('sip_bridge_reconnects_total 0');
    expect(text).toContain('sip_bridge_retransmissions_absorbed_total 0');
    expect(text).toContain('# TYPE sip_bridge_flows gauge');
    expect((await fetch(`http://${m.host}:${m.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://${m.host}:${m.port}/nope`)).status).toBe(404);
  });

  it('shuts down cleanly: WebSockets closed with 1001, UDP port and metrics port released, idempotent', async () => {
    const { worker, port, bridge } = await setup();
    const cam = await device();
    await cam.send(register('z9hG4bKc1'), port);
    await waitFor(() => worker.received().length === 1, 'the REGISTER');
    const m = bridge.metricsAddress()!;
    await Promise.all([bridge.close(), bridge.close()]);
    await waitFor(() => worker.connections[0]!.closedWith === 1001, 'the going-away close');
    expect(bridge.flowCount()).toBe(0);
    await settle(300);
    expect(worker.connections).toHaveLength(1); // no reconnect after close
    const again = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', resolve);
    });
    again.close();
    await expect(fetch(`http://${m.host}:${m.port}/metrics`)).rejects.toThrow();
  });
});
